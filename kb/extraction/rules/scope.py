"""Cues that bound what a mention means: negation, clauses, hedges, misdiagnosis and scope."""

from __future__ import annotations

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
    "not yet",  # "not yet requiring dialysis presented with back pain" denies the dialysis only
)  # fmt: skip
# A cue after what it negates: "obvious enhancement was not seen".
NEGATION_POST = (
    "not seen", "not apparent", "not visible", "not evident", "not identified", "not detected",
    "not demonstrated", "not found", "not present", "was absent", "were absent", "is absent",
    "are absent", "was lacking", "were lacking", "is lacking", "did not recur",
    "not performed", "not undertaken", "not done", "not carried out", "not attempted",
    "not required", "not needed", "not necessary", "not indicated", "was withheld",
    "were withheld", "was deferred", "not considered", "never considered", "not suspected",
    "never suspected", "not entertained", "never entertained",
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
    "possibility of", "diagnoses considered were", "diagnosis considered was",
    "diagnoses considered included", "diagnoses considered were", "initially it was diagnosed as",
    "at first it was diagnosed as", "mistook for", "mistook it for", "mistaking it for",
    "considered suggestive of", "referred with the diagnosis of", "referred with a diagnosis of",
    "referred with suspected", "referred with a suspected", "referred as", "report suggested",
    "reports suggested", "previously been reported as", "previously reported as",
    "read as", "misread as", "reported as", "radiologically consistent with",
    "radiographically consistent with",
    # "treated for months as disc herniation"
    *(f"{verb} for {time} as" for verb in ("treated", "managed", "followed")
      for time in ("months", "weeks", "years", "several months", "several weeks", "many months",
                   "many years", "a year", "a month", "some time", "a long time")),
)  # fmt: skip
# A sentence that opens with one of these and a colon lists the differential: "Ddx: synovial
# cyst, sequestrated disc, calcified meningioma."
DIFFERENTIAL_LABELS = (
    "differential", "differentials", "differential diagnosis", "differential diagnoses", "ddx",
    "dd", "dx",
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
    "been considered", "was raised", "were raised",
    # An adverb that other cues share ("was initially diagnosed") would block the gap rule.
    *(f"{verb} {adverb} {participle}" for verb in ("was", "were")
      for adverb in ("initially", "preoperatively", "provisionally", "first", "also")
      for participle in ("suspected", "considered", "favoured", "presumed", "suggested",
                         "raised", "entertained")),
    "were the main differential diagnoses", "were the differential diagnoses",
    "were the main differentials", "were the main differential", "were the differentials",
    # "A ganglion cyst was thought to be the most likely diagnosis", "... was considered likely"
    *(f"{verb} {held} {likely}" for verb in ("was", "were")
      for held in ("thought to be", "considered", "thought")
      for likely in ("likely", "most likely", "the most likely", "the likeliest")),
    # A diagnosis never held is a misdiagnosis with polarity absent ("malignancy was never
    # considered").
    *(f"{verb} {neg} {participle}" for verb in ("was", "were") for neg in ("never", "not")
      for participle in ("considered", "suspected", "entertained")),
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
    "we treated", "case of a", "case of an", "year old", "years old", "presented to",
    "to report", "to describe", "to present",
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
# A sentence about the cases of other articles: background even in a results section, and so
# are the sentences after it in that section until the article's own patient comes back.
LITERATURE = (
    "published cases", "published case", "reported cases", "cases reported", "cases published",
    "in the literature", "of the literature", "previously reported", "previous reports",
    "published series", "published reports", "published patients", "reported patients",
    "articles", "published", "case reports", "was described", "were described",
    "has been described", "have been described", "has been reported", "have been reported",
    "is exceptional", "are exceptional",
)  # fmt: skip
# A search of the literature: what follows it, in its section and the patient sections after it
# (a review's methods, then its results), is the literature's until the own patient returns.
LITERATURE_SEARCH = (
    "we searched", "were searched", "pubmed", "medline", "embase", "literature search",
    "search of the literature", "searched the literature",
)  # fmt: skip
# What a search of the literature found: after a search, a sentence saying so is the
# literature's, even when the article's own case was told in between.
RETRIEVED = (
    "were identified", "were included", "were retrieved", "met the inclusion criteria",
    "met inclusion criteria", "were eligible", "were found in the literature", "were reviewed",
    "articles", "studies", "publications", "reports",
)  # fmt: skip
# Words that bring the article's own patient back after a passage about the literature ("the
# patients" does not: a review says it of the cases it pools).
PERSONAL_WORDS = ("she", "he", "her", "his", "him", "our")
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
# In a sentence about the patient, a clause in the present tense with one of these says what
# is usual, not what the patient had: "such deposits are usually linked to hyperphosphataemia
# in dialysis patients, but this patient's phosphate was normal".
GENERAL_ADVERBS = ("usually", "typically", "commonly", "generally", "frequently", "classically")
PRESENT_VERBS = ("is", "are")
# A clause about another article's patient, in a sentence about the article's own (a letter):
# "we read with interest the recent report of tumoral calcinosis in a patient on dialysis, and
# we describe ...".
OTHER_REPORT = (
    "read with interest", "the recent report", "a recent report", "the report of",
    "the report by", "recently reported", "recently described", "the case reported by",
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
