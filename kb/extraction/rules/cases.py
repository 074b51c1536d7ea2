"""Case cues: which of a series' patients a sentence is about, and how the lesion was proven."""

from __future__ import annotations

# "Case 2", "Patient 3", "case no. 1": a label that numbers one of the article's patients.
CASE_LABELS = ("case", "patient")
# Roman numerals a label may use ("Case II").
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}
# "the other patient", "the latter": in a pair, the patient not being told.
OTHER_WORDS = ("other", "latter")
# Words that make a sentence speak of several patients at once ("In both patients ...").
GROUP_WORDS = (
    "both", "all", "each", "either", "neither", "none", "patients", "cases", "lesions",
    "masses", "they", "their", "them",
)  # fmt: skip
# How the lesion was proven: tissue words, then what the tissue came from.
TISSUE_WORDS = (
    "histology", "histological", "histologic", "histologically", "histopathology",
    "histopathological", "histopathologic", "histopathologically", "pathology",
    "pathological", "pathologic", "pathologically", "microscopy", "microscopic",
    "specimen", "specimens",
)  # fmt: skip
BIOPSY_WORDS = ("biopsy", "biopsies", "biopsied")
# What a biopsy gives that proves the lesion: "the biopsy yielded chalky material".
YIELD_WORDS = ("yielded", "revealed", "showed", "disclosed", "demonstrated", "confirmed")
EXCISION_WORDS = (
    "excision", "excisional", "excised", "resection", "resected", "removed", "removal",
    "laminectomy", "laminoplasty", "decompression", "surgery", "surgical", "operation",
    "operative", "intraoperative",
)  # fmt: skip
# Said of a diagnosis made without tissue.
IMAGING_DIAGNOSIS = (
    "without biopsy", "without a biopsy", "without histological", "without histologic",
    "without tissue", "radiological diagnosis", "imaging diagnosis", "diagnosed on imaging",
    "diagnosed by imaging", "based on imaging", "based on the imaging", "based on ct",
    "based on the ct", "based on mri", "based on radiological", "based on the radiological",
    "on the basis of imaging", "on the basis of the imaging", "on imaging alone",
    "diagnosed radiologically",
)  # fmt: skip
