"""The extraction rules as data: cue phrases, scope terminators and the tables the engine reads.

Phrases are written as plain lower-case text; the engine folds them exactly as it folds the
abstract (case, British spelling, plurals, hyphens), so "tumour" here also matches "tumors".
Concept synonyms do not live here: they are SKOS labels in ``ontology/concepts.ttl``.
"""

from __future__ import annotations

from typing import NamedTuple

# --- negation -------------------------------------------------------------------------------

# A cue whose scope runs to the end of the clause: "gadolinium did not enhance the lesions".
NEGATION_CLAUSE = (
    "not", "did not", "does not", "do not", "cannot", "could not", "never", "neither", "nor",
    "none", "in no case", "no longer", "denied", "denies", "deny", "denying",
)  # fmt: skip
# A cue that negates the noun phrase after it: "with no systemic disease reported numbness"
# negates the disease, not the numbness.  A bare "no" that opens a clause negates the clause.
NEGATION_PHRASE = (
    "no", "without", "absence of", "absent", "free of", "free from", "lack of", "lacking",
    "lacked", "lacks", "devoid of", "prevent", "prevents", "prevented", "preventing",
)  # fmt: skip
# A cue after what it negates: "obvious enhancement was not seen".
NEGATION_POST = (
    "not seen", "not apparent", "not visible", "not evident", "not identified", "not detected",
    "not demonstrated", "not found", "not present", "was absent", "were absent", "is absent",
    "are absent", "was lacking", "were lacking", "is lacking", "did not recur",
    "not performed", "not undertaken", "not done", "not carried out", "not attempted",
    "not required", "not needed", "not necessary", "not indicated", "was withheld",
    "were withheld", "was deferred",
)  # fmt: skip
# Look like negation, negate nothing.
PSEUDO_NEGATION = (
    "no change", "no significant change", "no interval change", "no increase", "not only",
    "not necessarily", "not certain", "not be excluded", "not be ruled out",
    "cannot be excluded", "cannot be ruled out", "no doubt", "gram negative",
)  # fmt: skip
# A condition negated in a sentence about one of these tests is an exclusion, not annotated
# ("histology showed no malignancy", "cultures excluded infection").
EXCLUDING_TESTS = (
    "histology", "histological", "histologic", "histopathology", "histopathological",
    "histopathologic", "pathology", "pathological", "biopsy", "culture", "cytology", "work up",
    "workup", "investigation", "serology",
)  # fmt: skip
# A negated test that excludes a diagnosis is not annotated at all ("no evidence of malignancy",
# "investigations for infection were negative"); this applies to conditions only.
EXCLUSION_PRE = (
    "no evidence of", "without evidence of", "no sign of", "no signs of", "negative for",
    "ruled out", "rule out", "excluded",
)  # fmt: skip
EXCLUSION_POST = (
    "was negative", "were negative", "was excluded", "were excluded", "was ruled out",
    "were ruled out",
)  # fmt: skip
# What follows is set aside, not asserted: "calcinosis rather than disc material".
CONTRAST = ("rather than", "instead of", "as opposed to", "in contrast to")

# Verbs that end a negated noun phrase ("with no systemic disease | reported numbness").
PHRASE_END_VERBS = (
    "was", "were", "is", "are", "had", "has", "have", "did", "does", "reported", "presented",
    "developed", "showed", "revealed", "demonstrated", "underwent", "received", "complained",
    "suffered", "required", "produced", "caused", "led", "remained", "appeared", "occurred",
    "can", "could", "may", "might", "will", "would", "should",
)  # fmt: skip

# --- clause boundaries ----------------------------------------------------------------------

# Single words that open a new clause for every scope (negation, hedging, misdiagnosis).
CLAUSE_WORDS = (
    "but", "however", "although", "though", "whereas", "while", "yet", "except", "apart",
    "aside", "which", "who", "whom", "whose",
)  # fmt: skip
# Punctuation that closes a clause.
CLAUSE_PUNCTUATION = ";:?!"
# ", and" closes a negation (a new clause usually follows) but not a list of misdiagnoses.
SOFT_CLAUSE_WORDS = ("and",)

# --- uncertainty ----------------------------------------------------------------------------

HEDGES = (
    "may", "might", "could", "possibly", "possible", "probably", "probable", "likely",
    "suggest", "suggested", "suggesting", "suggestive of", "appear", "appears", "appeared",
    "seem", "seems", "consistent with", "compatible with", "thought to represent",
    "raising the suspicion of", "suspicious for", "suspicious of", "presumed", "presumably",
    "not be excluded", "not be ruled out", "cannot be excluded", "cannot be ruled out",
    "uncertain",
)  # fmt: skip

# --- misdiagnosis ---------------------------------------------------------------------------

# Before what the lesion was taken for: "misinterpreted as neoplasms, infections, ...".
MISDIAGNOSIS_PRE = (
    "misinterpreted as", "interpreted as", "misdiagnosed as", "misdiagnosis of",
    "misdiagnosis as", "mistaken for", "mistaken as", "confused with", "mimicking", "mimic",
    "mimics", "mimicked", "masquerading as", "masquerade as", "masquerades as", "simulating",
    "simulate", "simulates", "simulated", "resembling", "resemble", "resembles", "resembled",
    *(f"{adverb} diagnosed as" for adverb in ("initially", "preoperatively", "provisionally")),
    *(f"diagnosed {adverb} as" for adverb in ("initially", "preoperatively", "provisionally")),
    "treated as", "managed as", "initially reported as", "initially attributed to",
    "initially thought to be", "thought to be", "taken for", "confusion with",
    "thought to represent", "considered to be", "considered as", "suspected", "suspicion of",
    "raising the suspicion of", "favoured", "favouring", "preoperative diagnosis of",
    "preoperative diagnosis was", "initial diagnosis of", "initial diagnosis was",
    "provisional diagnosis of", "provisional diagnosis was", "working diagnosis of",
    "working diagnosis was", "radiological diagnosis of", "radiological diagnosis was",
    "presumptive diagnosis was", "concerning for", "concern for", "worrisome for",
    "suspicious for", "presumptive diagnosis of", "presumed", "differential diagnosis included",
    "differential diagnosis includes", "differential diagnoses included",
    "differential diagnoses includes", "differential included", "differential includes",
    "possibility of",
)  # fmt: skip
# After it: "Lymphoma was considered the most likely diagnosis", "OLF was the main differential".
# A post cue followed by one of NOT_MISDIAGNOSIS_AFTER ("was considered a predisposing factor")
# names a cause, not a diagnosis.
MISDIAGNOSIS_POST = (
    "was considered", "were considered", "was suspected", "were suspected", "was favoured",
    "were favoured", "was presumed", "were presumed",
    *(f"{verb} {adverb} diagnosed" for verb in ("was", "were")
      for adverb in ("initially", "preoperatively", "provisionally")),
    *(f"{verb} diagnosed {adverb}" for verb in ("was", "were")
      for adverb in ("initially", "preoperatively", "provisionally")),
    "was initially suspected", "was initially considered",
    "was the main differential diagnosis", "was the differential diagnosis",
    "was the main differential", "was the most likely diagnosis", "was the presumed diagnosis",
    "was the working diagnosis", "was the preoperative diagnosis", "was suggested",
    "were suggested", "was entertained", "were entertained", "was queried", "been suspected",
    "been considered",
)  # fmt: skip
# A diagnosis held before histology: "the favoured diagnosis was X", "X was the leading
# preoperative diagnosis". Before the mention these open a misdiagnosis like the cues above;
# after it they need a verb to link them ("X was the ..."), within a few words.
TENTATIVE = (
    "preoperative", "initial", "provisional", "working", "radiological", "radiologic",
    "presumptive", "presumed", "favoured", "favouring", "preferred", "suspected", "tentative",
    "leading", "likely", "probable", "original", "imaging", "first", "main",
)  # fmt: skip
DIAGNOSIS_NOUNS = ("diagnosis", "diagnoses", "impression", "consideration", "concern")
_TENTATIVE_NAMED = tuple(
    f"{adjective} {noun}" for adjective in TENTATIVE for noun in DIAGNOSIS_NOUNS
)
TENTATIVE_DIAGNOSIS = (
    *_TENTATIVE_NAMED, "differential diagnosis", "main differential", "differential",
)  # fmt: skip
TENTATIVE_BEFORE = tuple(
    f"{diagnosis} {link}"
    for diagnosis in _TENTATIVE_NAMED
    for link in ("of", "was", "were", "included", "includes")
)
LINKING_VERBS = ("was", "were", "is", "are", "remained", "remains", "became", "seemed")
TENTATIVE_REACH = 5
# Adverbs that may stand between the words of any cue ("mistaken preoperatively for", "was
# also suggested"); so may any other word ending in -ly, except these.
CUE_GAP_WORDS = ("also", "first", "then", "still", "again", "even")
NOT_CUE_GAP_WORDS = ("only", "family", "early")
NOT_MISDIAGNOSIS_AFTER = ("factor", "cause", "risk", "contributor", "trigger", "association")
# What the lesion can be taken for is another lesion or disease of its place, not the
# patient's background: "should be suspected in dialysis patients" misdiagnoses no dialysis.
NOT_MISDIAGNOSES = (
    "condition/chronic-kidney-disease", "condition/hemodialysis", "condition/peritoneal-dialysis",
    "condition/kidney-transplant", "condition/hyperphosphatemia", "condition/hypercalcemia",
    "condition/hyperparathyroidism", "condition/calcium-metabolism-disorder",
    "condition/familial-tumoral-calcinosis", "condition/systemic-sclerosis",
    "condition/crest-syndrome", "condition/dermatomyositis",
    "condition/systemic-lupus-erythematosus", "condition/trauma",
    "condition/prior-spinal-surgery",
)  # fmt: skip
# "The differential diagnosis of a calcified mass includes a neoplasm": the list after "include"
# is the differential, the words between are the presentation.
DIFFERENTIAL_HEAD = "differential"
DIFFERENTIAL_LIST = ("include", "includes", "included", "including", "comprise", "comprises")

# --- background and patient scope -----------------------------------------------------------

# A sentence that introduces the article's own patient(s).
CASE_INTRO = (
    "presented with", "was admitted", "was referred", "we report", "we describe", "we present",
    "we illustrate", "we reviewed", "we retrospectively", "we combined", "we studied",
    "we treated", "case of a", "case of an", "year old", "years old",
)  # fmt: skip
# "A woman developed ...": an indefinite patient told in the past also opens the case.
PATIENT_PHRASES = (
    "a patient", "a woman", "a man", "a female", "a male", "a girl", "a boy", "an elderly",
    "an older", "a young",
)  # fmt: skip
# A sentence that draws a general lesson from the case is background even after the case.
LESSON = (
    "should", "must", "this case shows", "this case illustrates", "this case indicates",
    "this case highlights", "this case suggests", "this case demonstrates", "the case shows",
    "the case illustrates", "the case indicates", "the case highlights", "this report",
    "awareness", "clinicians", "to our knowledge", "in the literature", "published",
    "in general",
)  # fmt: skip
# References back to the article's own patient or lesion (patient scope in a conclusion).
PATIENT_ANAPHORA = (
    "this patient", "these patients", "our patient", "our patients", "the patient",
    "the patients", "in our case", "in this case", "these lesions", "this lesion",
    "these masses", "this mass", "this process", "she", "he", "her", "his", "both patients",
)  # fmt: skip
# After the case of an unstructured abstract, a sentence in the present tense (and not in the
# past) reads as a general statement; a finite past verb marks an observation.
PRESENT_MARKERS = (
    "is", "are", "can", "cannot", "may", "might", "should", "must", "usually", "typically",
    "often", "commonly", "generally", "frequently", "rarely", "seldom", "tend", "tends",
)  # fmt: skip
PAST_VERBS = (
    "was", "were", "had", "did", "showed", "revealed", "demonstrated", "underwent", "presented",
    "developed", "received", "experienced", "suffered", "complained", "recovered", "improved",
    "resolved", "responded", "recurred", "remained", "yielded", "required", "contributed",
    "resulted", "established", "confirmed", "led", "caused", "produced", "compressed",
    "extended", "occurred", "settled", "arose",
)  # fmt: skip

# Section labels (NlmCategory or Label, upper-cased) by the scope they default to.
BACKGROUND_SECTIONS = ("BACKGROUND", "INTRODUCTION", "OBJECTIVE", "PURPOSE", "AIM", "CONTEXT")
PATIENT_SECTIONS = (
    "METHOD", "RESULT", "CASE", "PRESENTATION", "DESIGN", "PATIENT", "MATERIAL", "FINDING",
    "OBSERVATION", "DESCRIPTION", "REPORT", "SETTING",
)  # fmt: skip
CONCLUSION_SECTIONS = ("CONCLUSION", "DISCUSSION", "SUMMARY", "IMPLICATION", "LESSON", "COMMENT")

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
    "hyperdense", "hyperdensity", "mineralized", "mineralization",
)  # fmt: skip
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
    "renal function": "condition/chronic-kidney-disease",
    "kidney function": "condition/chronic-kidney-disease",
    "creatinine": "condition/chronic-kidney-disease",
}
# Raised, these name no condition of the vocabulary (a raised creatinine may be acute).
NORMAL_ONLY_ANALYTES = ("renal function", "kidney function", "creatinine")
LAB_NORMAL = (
    "normal", "within normal limits", "within normal range", "within the normal range",
    "within the normal limits", "within the reference range", "within reference range",
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
    "sodium", "uric", "acid", "urate", "electrolyte", "bicarbonate", "fgf23",
)  # fmt: skip
LAB_REACH = 10

# --- lesion, anatomy and levels -------------------------------------------------------------

# Plain calcification that names the lesion is dystrophic calcification only when the article
# names no tumoral calcinosis and no crystal for its patients.
GENERIC_LESION = "lesion/dystrophic-calcification"
GENERIC_LESION_EXPLICIT = "dystroph"
SPECIFIC_LESIONS = (
    "lesion/tumoral-calcinosis", "lesion/calcium-pyrophosphate-deposition",
    "lesion/hydroxyapatite-deposition",
)  # fmt: skip
# "calcified synovial cyst": a condition named calcified is the lesion itself.
CALCIFIED_MODIFIERS = ("calcified", "calcific", "calcifying", "ossified")
DEGREE_WORDS = ("completely", "densely", "partially", "heavily", "extensively", "largely")
# A concept read from two words near each other in one clause, whatever their form:
# "compression of the spinal cord", "the cord was compressed", "erosion of the adjacent bone".
# The mention is the first word, so that "the cord was not compressed" reads as negated.
COMPRESSION_WORDS = (
    "compression", "compressed", "compressing", "compress", "compressive", "impinging",
    "impinged", "impingement", "effacement", "effaced", "effacing",
)  # fmt: skip
CORD_WORDS = ("cord", "thecal sac", "dural sac", "medulla")
EROSION_CONCEPT = "finding/bone-erosion"
EROSION_WORDS = ("erosion", "eroded", "erode", "erodes", "eroding", "erosive", "scalloping")
# What erosion reached is no site of the lesion ("erosion of the adjacent laminae"), unless the
# lesion is the subject of the verb ("a mass eroding the lamina") and the bone is not adjacent.
EROSION_VERBS = ("eroding", "erode", "erodes", "eroded")
ADJACENT_WORDS = ("adjacent", "neighbouring", "nearby", "surrounding", "contiguous", "underlying")
BONE_WORDS = (
    "bone", "bony", "osseous", "lamina", "pedicle", "vertebra", "vertebral", "facet",
    "odontoid", "dens", "cortex", "cortical", "endplate", "spinous", "sacrum", "clivus",
)  # fmt: skip
# "protrusion of calcified disc material", "the disc had herniated": a disc herniation.
HERNIATION_WORDS = (
    "herniation", "herniated", "herniating", "protrusion", "protruded", "protruding",
    "extrusion", "extruded", "extruding", "prolapse", "prolapsed", "sequestration",
    "sequestrated", "sequestered",
)  # fmt: skip
DISC_WORDS = ("disc", "discal", "nucleus pulposus")
# "the neurological deficit in her hands persisted", "persisting weakness", "weakness remained".
PERSIST_WORDS = ("persisted", "persisting", "persistent", "persist", "persists")
REMAIN_WORDS = ("remained", "remain", "remains")
DEFICIT_WORDS = (
    "deficit", "weakness", "paresis", "paraparesis", "monoparesis", "tetraparesis", "numbness",
    "hypoesthesia", "hypesthesia", "sensory loss", "spasticity", "myelopathy",
)  # fmt: skip
# "Technetium bone scintigraphy showed intense uptake": uptake on a nuclear-medicine study.
UPTAKE_WORDS = ("uptake", "accumulation", "avidity", "avid")
NUCLEAR_WORDS = (
    "scintigraphy", "scintigraphic", "scintigram", "bone scan", "technetium", "99mtc", "99m",
    "mdp", "pet", "fdg", "spect", "radionuclide", "isotope", "radiotracer", "tracer", "gallium",
)  # fmt: skip
# "switched from CAPD to daily haemodialysis": a switch of dialysis modality.
SWITCH_WORDS = ("switched", "switch", "switching", "converted", "conversion")
DIALYSIS_WORDS = ("dialysis", "hemodialysis", "capd", "apd", "hd", "pd", "peritoneal")


class Pair(NamedTuple):
    """A concept read from a word of ``a`` near a word of ``b``; the mention is the ``a`` word.

    ``order`` "ab" or "ba" asks for one word order; ``reach`` is the most words between.
    """

    concept: str
    a: tuple[str, ...]
    b: tuple[str, ...]
    order: str = "any"
    reach: int = 4


PAIRS = (
    Pair("finding/cord-compression", COMPRESSION_WORDS, CORD_WORDS),
    Pair(EROSION_CONCEPT, EROSION_WORDS, BONE_WORDS),
    Pair("condition/disc-herniation", HERNIATION_WORDS, DISC_WORDS),
    Pair("outcome/persistent-deficit", PERSIST_WORDS, DEFICIT_WORDS),
    # "she remained free of weakness" is no deficit: "remained" counts after the deficit only
    Pair("outcome/persistent-deficit", REMAIN_WORDS, DEFICIT_WORDS, order="ba"),
    Pair("finding/radiotracer-uptake", UPTAKE_WORDS, NUCLEAR_WORDS, reach=6),
    Pair("treatment/dialysis-intensification", SWITCH_WORDS, DIALYSIS_WORDS, order="ab", reach=2),
)
# A spinal operation done before the history told ("a prior L4-L5 fusion", "a laminectomy
# ten years earlier") is previous spinal surgery, not treatment of the lesion.
PRIOR_WORDS = ("prior", "previous", "previously", "earlier", "remote", "ago")
# "had undergone a laminectomy": the past perfect tells an operation before the story.
PAST_PERFECT = ("had", "undergone")
# "a mass in the laminectomy bed": the place an earlier operation left.
OPERATED_PLACES = ("bed", "defect", "scar")
# "6 years after a laminectomy": an operation that a time span after it places in the past.
HISTORY_UNITS = ("year", "month", "decade", "week")
HISTORY_ARTICLES = ("a", "an")
PRIOR_PROCEDURES = ("treatment/laminectomy", "treatment/decompression", "treatment/spinal-fusion")
PRIOR_SURGERY = "condition/prior-spinal-surgery"
# Levels read beside these belong to another process, not to the lesion.
NON_LESION_LEVEL_CONCEPTS = ("condition/vertebral-fracture", "condition/prior-spinal-surgery")
# A lesion "separate from the laminae" does not lie there: what follows is no site of it.
SEPARATE_FROM = (
    "separate from", "separated from", "distinct from", "not attached to", "unattached to",
    "independent of", "not connected to", "no connection to", "no connection with",
    "not contiguous with", "no contact with", "not in contact with", "away from", "sparing",
    "clear of",
)  # fmt: skip
SEPARATE_REACH = 6
# A site is stated absent only where the lesion's reach is denied: "no involvement of the
# vertebral bodies or the canal", "did not extend into the foramen".
INVOLVEMENT_WORDS = (
    "involvement", "involve", "involved", "involving", "extension", "extend", "extended",
    "extending", "invasion", "invade", "invaded", "invading", "infiltration", "infiltrated",
)  # fmt: skip
# A level that names a nerve root or its territory is not where the lesion lies ("the S1
# dermatome", "the L5 nerve root").
NOT_LEVEL_AFTER = (
    "dermatome", "dermatomal", "root", "nerve", "radiculopathy", "myotome", "fracture",
    "fractured", "collapse",
)  # fmt: skip
# Nor is a level of another process named just before it: "an old fracture of T12".
NOT_LEVEL_BEFORE = ("fracture", "fractured", "collapse", "collapsed", "wedging", "wedged")
LEVEL_LINKS = ("of", "the", "at", "in", "from", "involving")
VERTEBRAL_BODY = "site/vertebral-body"
BODY_WORDS = ("body", "bodies")
# A level gives its region (extraction.md): C5 gives the cervical spine.
REGION_OF_LETTER = {
    "C": "region/cervical",
    "T": "region/thoracic",
    "L": "region/lumbar",
    "S": "region/sacral",
}
CREST = "condition/crest-syndrome"
CREST_IMPLIES = "condition/systemic-sclerosis"

# Phrases that look like a concept and are not one: cord oedema is not perilesional oedema.
NOT_CONCEPTS = (
    "contrast enhanced", "gadolinium enhanced", "enhanced image", "enhanced mri", "enhanced ct",
    "enhanced t1", "post contrast", "cord edema", "spinal cord edema", "cord signal change",
    "postoperative course", "postoperative period", "postoperative day",
    "postoperative follow up", "postoperative imaging", "postoperative mri", "postoperative ct",
    "postoperative radiograph", "postoperative recovery", "postoperative complication",
    "this observation", "our observation", "these observations",
    "calcium pyrophosphate crystal analysis", "crystal analysis",
    "erythrocyte sedimentation rate", "sedimentation rate", "pulmonary tuberculosis",
    "tuberculosis of the lung", "metastatic calcification", "fall in serum", "fall in the serum",
    "fall in the level", "fall in phosphate", "fall in calcium", "microscopic observation",
    "histological observation",
)  # fmt: skip
# A biopsy of another organ tests something else: "a temporal artery biopsy was normal".
OTHER_ORGANS = (
    "artery", "arterial", "skin", "muscle", "marrow", "kidney", "renal", "liver", "hepatic",
    "lymph", "node", "lung", "bronchial", "breast", "thyroid", "salivary", "lip", "sural",
    "gastric", "colonic", "rectal", "prostate", "endometrial", "bowel", "cutaneous",
)  # fmt: skip
BIOPSY = "treatment/biopsy"
# A condition of a peripheral joint ("chondrocalcinosis of both knees") or one the patient is
# known to have is the patient's condition, not the spinal lesion of the same name.
PERIPHERAL_JOINTS = (
    "knee", "wrist", "hip", "shoulder", "elbow", "ankle", "meniscus", "menisci", "hand",
    "finger", "symphysis", "pubic", "temporomandibular",
)  # fmt: skip
KNOWN_CONDITION = ("known", "longstanding", "established")
# Mentions told of a relative belong to another person: "whose sister had undergone excision".
KIN = (
    "sister", "brother", "mother", "father", "sibling", "parent", "son", "daughter", "cousin",
    "aunt", "uncle", "grandmother", "grandfather", "twin", "relative",
)  # fmt: skip
KIN_PHRASES = (
    *(f"{owner} {kin}" for owner in ("his", "her", "whose", "their", "patient") for kin in KIN),
    *(f"{owner} {age} {kin}" for owner in ("his", "her", "whose", "their", "patient")
      for age in ("older", "younger", "elder", "twin") for kin in KIN),
    "family history of", "family member",
)  # fmt: skip
# Bare labels of a spinal condition that name it only in a spinal context: as what the lesion
# was taken for ("tuberculosis was suspected"), or beside a word of the spine.
SPINAL_CONTEXT_LABELS = ("tuberculosis", "tuberculous", "tuberculoma")
SPINE_WORDS = (
    "spine", "spinal", "vertebra", "vertebral", "disc", "discal", "cervical", "thoracic",
    "lumbar", "sacral", "epidural", "extradural", "paraspinal", "paravertebral", "intraspinal",
    "spondylitis", "spondylodiscitis",
)  # fmt: skip
# Region words in phrases that name no part of the spine ("the femoral neck").
NOT_REGIONS = (
    "femoral neck", "neck of the femur", "neck of femur", "bladder neck", "neck of the rib",
    "rib neck", "neck of the mandible", "cervical cancer", "cervical carcinoma",
    "uterine cervical", "cervical lymph node", "cervical lymphadenopathy",
)  # fmt: skip
# "low back and buttock pain", "cord and root compression": the first item also takes the
# head noun ("low back pain", "cord compression").
COORDINATED_HEADS = (
    "pain", "ache", "stenosis", "compression", "hypertrophy", "degeneration", "weakness",
    "numbness", "fracture", "arthropathy", "osteoarthritis", "disease", "failure",
    "insufficiency", "surgery", "fusion", "decompression", "deposition",
)  # fmt: skip
# "Case 3 was observed", "two patients were observed without treatment": a patient kept under
# observation is conservative management; "calcification was observed" and "she was observed
# to limp" are not.
OBSERVED = ("observed", "monitored")
OBSERVED_SUBJECTS = (
    "patient", "case", "he", "she", "they", "remainder", "rest", "other", "others",
)  # fmt: skip
NOT_OBSERVED_AFTER = (
    "to", "in", "on", "at", "that", "with", "by", "between", "within", "among", "during", "as",
    "after", "around", "near",
)  # fmt: skip
OBSERVATION_CONCEPT = "treatment/conservative-management"
# "tumor-like masses" are not tumours.
LIKE_SUFFIX = "like"
# Acronyms this short count only where the text defines them or names the concept in full.
SHORT_ACRONYM = 3
DETERMINERS = ("the", "a", "an")
# Words that may stand inside a multi-word label: "the thickened left ligamentum flavum", "it
# enhanced only peripherally".
LABEL_GAP_WORDS = (
    "left", "right", "bilateral", "unilateral", "ipsilateral", "contralateral", "only",
    "mainly", "mostly", "predominantly", "chiefly", "solely", "purely", "faintly", "mildly",
    "slightly", "avidly", "intensely", "strongly", "markedly", "partly", "partially",
)  # fmt: skip
ANAPHORA_DETERMINERS = ("the", "this", "these", "that", "such")

# --- study design and patients --------------------------------------------------------------

DESIGN_RETROSPECTIVE = (
    "retrospective", "retrospectively", "review of the records", "records of", "chart review",
    "charts were reviewed", "records were reviewed", "medical records",
)  # fmt: skip
DESIGN_PROSPECTIVE = ("prospective", "prospectively")
DESIGN_REVIEW = (
    "review of the literature", "literature review", "systematic review", "we review",
    "meta analysis", "scoping review", "pooled analysis", "published cases",
)  # fmt: skip
# Signs that an article reports patients of its own; a review without them reports none
# (extraction.md: "review" only when no new patient is reported), so its n_patients is null.
OWN_PATIENTS = (
    "our patient", "our patients", "our institution", "our hospital", "our department",
    "our center", "our series", "our experience", "our case", "our cases", "we treated",
    "we operated", "case of a", "case of an", "was admitted", "was referred",
    *(f"we {verb} {count}" for verb in ("report", "describe", "present")
      for count in ("a", "an", "two", "three", "four", "five", "six", "seven", "eight", "nine")),
)  # fmt: skip
CASE_REPORT_TYPES = ("Case Reports",)
REVIEW_TYPES = ("Review", "Systematic Review", "Meta-Analysis")
PROSPECTIVE_TYPES = ("Clinical Trial", "Randomized Controlled Trial", "Clinical Study")
PATIENT_NOUNS = ("patient", "case", "subject", "individual", "woman", "man", "child", "adult")
LITERATURE_WORDS = ("published", "reported", "previous", "previously", "literature", "earlier")
# A cohort screened or enrolled is the denominator, not the patients with the lesion.
DENOMINATOR_WORDS = ("enrolled", "screened", "examined", "eligible", "control", "controls")
# Word starts that name the lesion in a sentence that counts the patients who have it.
LESION_WORDS = (
    "calcinosis", "calcif", "calcific", "deposit", "lesion", "mass", "pseudogout", "cppd",
    "hydroxyapatite", "TC", "tumou?r",
)  # fmt: skip
# "the lesion was identified in 14 patients": the patients found to have it.
FOUND_VERBS = (
    "identified", "found", "detected", "diagnosed", "confirmed", "present", "noted", "observed",
    "seen", "occurred", "demonstrated",
)  # fmt: skip
FEMALE_WORDS = ("woman", "female", "girl", "lady")
MALE_WORDS = ("man", "male", "boy", "gentleman")
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}  # fmt: skip
