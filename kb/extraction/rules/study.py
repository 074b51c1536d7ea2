"""Study design and patient cues: designs, counts of patients, ages and sexes."""

from __future__ import annotations

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
PATIENT_NOUNS = (
    "patient", "case", "subject", "individual", "woman", "man", "child", "adult", "sibling",
    "brother", "sister", "twin",
)  # fmt: skip
# Words that may stand before a person noun opening a telegraphic case ("Elderly woman, L2-L3").
PERSON_ADJECTIVES = ("elderly", "older", "old", "young", "middle-aged", "adult", "obese")
LITERATURE_WORDS = (
    "published", "reported", "previous", "previously", "literature", "earlier", "other",
)  # fmt: skip
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
