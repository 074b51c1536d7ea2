"""Imaging and laboratory cues: modalities, MRI signal words, calcification and normal values."""

from __future__ import annotations

# --- imaging --------------------------------------------------------------------------------

MODALITY_MRI = (
    "magnetic resonance", "mri", "mr", "mr imaging", "weighted", "gadolinium", "stir", "t1",
    "t2", "t1w", "t2w", "t1wi", "t2wi",
)  # fmt: skip
MODALITY_CT = ("computed tomography", "ct", "ct scan", "cat scan", "tomography")
MODALITY_RADIOGRAPH = (
    "radiograph", "radiography", "plain film", "x ray", "xray", "roentgenogram",
)  # fmt: skip
# Words that, seen with CT or plain films, show calcification.
CALCIFICATION_WORDS = (
    "calcified", "calcific", "calcification", "calcium", "radiopaque", "radio opaque",
    "hyperdense", "hyperdensity", "mineralized", "mineralization", "radiodense", "radiodensity",
    "radiopacity", "opacity", "opacities",
)  # fmt: skip
# Plain films that did or did not show the lesion show its calcification or not: "plain
# radiographs did not show the deposit", "it was not apparent on plain films". A word that
# sees, with a word for the lesion in its clause.
SEEN_WORDS = (
    "show", "shows", "showed", "shown", "visible", "apparent", "seen", "evident", "detected",
    "demonstrated", "demonstrate", "depicted", "revealed", "reveal", "identified", "disclosed",
)  # fmt: skip
SEEN_OBJECTS = (
    "lesion", "lesions", "deposit", "deposits", "mass", "masses", "it", "them", "abnormality",
    "abnormalities", "calcification", "calcifications",
)  # fmt: skip
SEEN_REACH = 4
# "Plain films showed calcific densities, which were confirmed on CT": a clause that refers back
# to the calcification and confirms it on another modality shows it there too.
CONFIRM_WORDS = (
    "confirmed", "confirm", "confirms", "verified", "corroborated", "also seen", "also shown",
    "also visible", "also demonstrated", "also evident", "also apparent",
)  # fmt: skip
REFERRING_WORDS = ("which", "this", "these", "it", "they", "that", "those")
# A study that showed nothing: "Plain radiographs showed no apparent abnormality".
NORMAL_STUDY = (
    "no apparent abnormality", "no abnormality", "no abnormal finding", "no abnormal findings",
    "unremarkable", "invisible", "normal finding", "normal findings",
    *(f"{study} {verb} normal" for study in ("film", "radiograph", "x ray", "ct", "ct scan")
      for verb in ("was", "were")),
)  # fmt: skip
# The MRI nouns that make a mass-lesion finding when the sentence is about MRI.
MASS_WORDS = ("mass",)
NOT_MASS_BEFORE = ("body", "bone", "muscle", "lean")
NOT_MASS_AFTER = ("effect", "index")
# Findings that need their modality named in the sentence.
FINDING_NEEDS_MRI = ("finding/mass-lesion", "finding/heterogeneous-signal")

# MRI signal: a descriptor bound to the sequence it is read on.
SIGNAL_WORDS = {
    "hypointense": "hypo",
    "hypointensity": "hypo",
    "hypo": "hypo",
    "isointense": "iso",
    "isointensity": "iso",
    "iso": "iso",
    "hyperintense": "hyper",
    "hyperintensity": "hyper",
    "hyper": "hyper",
}
# These describe the signal only when "signal" or "intensity" follows within two words.
SIGNAL_ADJECTIVES = {
    "low": "hypo",
    "decreased": "hypo",
    "reduced": "hypo",
    "dark": "hypo",
    "intermediate": "iso",
    "high": "hyper",
    "increased": "hyper",
    "bright": "hyper",
}
SIGNAL_NOUNS = ("signal", "intensity")
SEQUENCES = {"t1": "t1", "t1w": "t1", "t1wi": "t1", "t2": "t2", "t2w": "t2", "t2wi": "t2"}
SEQUENCE_SUFFIXES = ("weighted", "w", "wi", "image", "sequence")
# A rim, septa or foci of another signal do not describe the lesion's main signal, whether
# the signal comes after them ("a rim of high signal") or before ("a thin hyperintense rim").
MINOR_COMPONENTS = ("rim", "septa", "septum", "focus", "foci", "area", "spot", "margin", "ring")
MINOR_AFTER_SIGNAL = (
    "rim", "ring", "margin", "halo", "border", "capsule", "septa", "septum", "focus", "foci",
    "spot", "periphery", "component",
)  # fmt: skip
SIGNAL_CONCEPT = {
    ("t1", "hypo"): "finding/t1-hypointense",
    ("t1", "iso"): "finding/t1-isointense",
    ("t1", "hyper"): "finding/t1-hyperintense",
    ("t2", "hypo"): "finding/t2-hypointense",
    ("t2", "iso"): "finding/t2-isointense",
    ("t2", "hyper"): "finding/t2-hyperintense",
}
SAME_SIGNAL_CONCEPT = "finding/t1-t2-identical-signal"
MRI_CONCEPT = "finding/mass-lesion"
CT_CONCEPT = "finding/ct-calcification"
RADIOGRAPH_CONCEPT = "finding/radiograph-calcification"

# --- laboratory values ----------------------------------------------------------------------

# A normal laboratory value is the matching condition, absent; a raised one is present.
LAB_ANALYTES = {
    "calcium": "condition/hypercalcemia",
    "phosphate": "condition/hyperphosphatemia",
    "phosphorus": "condition/hyperphosphatemia",
    "pth": "condition/hyperparathyroidism",
    "parathyroid hormone": "condition/hyperparathyroidism",
    "parathormone": "condition/hyperparathyroidism",
    "renal function": "condition/chronic-kidney-disease",
    "kidney function": "condition/chronic-kidney-disease",
    "creatinine": "condition/chronic-kidney-disease",
    # Abbreviations of a laboratory list ("Labs: Ca, P, PTH normal"); they count only beside a
    # normal or raised state, with nothing but list words between.
    "ca": "condition/hypercalcemia",
    "p": "condition/hyperphosphatemia",
    "phos": "condition/hyperphosphatemia",
}
# Raised, these name no condition of the vocabulary (a raised creatinine may be acute).
NORMAL_ONLY_ANALYTES = ("renal function", "kidney function", "creatinine")
LAB_NORMAL = (
    "normal", "within normal limits", "within normal range", "within the normal range",
    "within the normal limits", "in normal limits", "in the normal limits", "in normal range",
    "in normal ranges", "in the normal ranges", "within the reference range",
    "within reference range",
    "within reference limits", "within the reference interval", "in the normal range",
    "unremarkable",
)  # fmt: skip
LAB_HIGH = ("elevated", "raised", "high", "increased")
# Words that may stand between an analyte and its state: other analytes of a list ("calcium,
# magnesium and phosphate levels were normal") and the words around them.
LAB_FILLERS = (
    "markedly", "mildly", "slightly", "significantly", "persistently", "serum", "plasma",
    "blood", "level", "concentration", "value", "and", "or", "of", "both", "all", "were", "was",
    "remained", "intact", "corrected", "ionized", "total", "the", "her", "his", "their",
    "magnesium", "alkaline", "phosphatase", "alp", "urea", "albumin", "vitamin", "potassium",
    "sodium", "uric", "acid", "urate", "electrolyte", "bicarbonate", "fgf23", "being",
    "found", "shown", "to", "be", "subsequently", "also", "repeatedly",
)  # fmt: skip
# A state after one of these tells of the analyte before it ("phosphate was elevated, calcium
# ..."): it is no attribute of an analyte that follows.
LAB_COPULAS = ("was", "were", "remained", "being", "be", "is", "are")
LAB_REACH = 10
