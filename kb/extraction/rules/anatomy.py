"""Lesion, anatomy and level cues: what names the lesion, where it lies, which vertebra."""

from __future__ import annotations

from typing import NamedTuple

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
# "the dialysis prescription was intensified", "intensified haemodialysis"
INTENSIFY_WORDS = ("intensified", "intensify", "intensifying", "intensification", "escalated")
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
    Pair("treatment/dialysis-intensification", INTENSIFY_WORDS, DIALYSIS_WORDS, reach=3),
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
NON_LESION_LEVEL_CONCEPTS = (
    "condition/vertebral-fracture", "condition/prior-spinal-surgery", "condition/disc-degeneration",
    "condition/degenerative-spine-disease", "condition/spondylolisthesis", "condition/spondylosis",
)  # fmt: skip
# So do levels beside these, unless the sentence tells what the lesion was taken for: "a C5-C6
# disc herniation seen on an earlier scan" is another process, "an L4-L5 disc herniation was
# suspected" the lesion taken for one.
OTHER_UNLESS_TAKEN = ("condition/disc-herniation",)
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
NOT_LEVEL_BEFORE = (
    "fracture", "fractured", "collapse", "collapsed", "wedging", "wedged", "oedema", "edema",
)  # fmt: skip
LEVEL_LINKS = ("of", "the", "at", "in", "from", "involving", "extending", "spanning")
# Nor is a sensory level, the cord's and not the lesion's: "a sensory level at T8", "numbness
# below T10". One of these before "level" or "below" says so.
SENSORY_WORDS = (
    "sensory", "sensation", "numbness", "hypoesthesia", "hypoaesthesia", "hypesthesia",
    "anesthesia", "paresthesia", "loss",
)  # fmt: skip
VERTEBRAL_BODY = "site/vertebral-body"
BODY_WORDS = ("body", "bodies")
# A level gives its region (extraction.md): C5 gives the cervical spine.
CREST = "condition/crest-syndrome"
CREST_IMPLIES = "condition/systemic-sclerosis"
FAMILIAL_TC = "condition/familial-tumoral-calcinosis"
TC = "lesion/tumoral-calcinosis"
TC_WORDS = "tumoral calcinosis"

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
    *(f"{owner} {age} {kin}" for owner in ("his", "her", "whose", "their", "patient", "an", "a")
      for age in ("older", "younger", "elder", "twin", "late", "deceased", "eldest", "youngest")
      for kin in KIN),
    "family history of", "family member",
    # Controls are other people too: "40 age-matched controls with rheumatoid arthritis".
    "controls with", "control subjects with", "controls who", "other patients", "other patient",
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
