"""Evidence extraction: read an article's title and abstract into assertions about its lesion."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from kb.extraction import rules
from kb.extraction.cases import attribute, is_single, read_cases
from kb.extraction.cues import get_cues
from kb.extraction.levels import spine_order
from kb.extraction.lexicon import Definition, find_abbreviations, get_lexicons
from kb.extraction.mentions import Mention, Sentence, sentence_mentions
from kb.extraction.study import introduces_patient, read_study
from kb.extraction.text import Token, clause_ids, fold_all, split_sentences, tokenize
from kb.models import Article, Assertion, Extraction
from kb.vocabulary import get_concepts

EXTRACTOR = "tc-rules/1.12.0"

_ROLE_OF_SCHEME = {
    "lesion": "lesion",
    "anatomy": "site",
    "condition": "associated",
    "finding": "finding",
    "procedure": "treatment",
    "symptom": "symptom",
    "outcome": "outcome",
}
_CLAUSE_WORDS = fold_all(rules.CLAUSE_WORDS)
_SOFT_WORDS = fold_all(rules.SOFT_CLAUSE_WORDS)
_PRESENT_VERBS = fold_all(rules.PRESENT_VERBS)
_END_VERBS = fold_all(rules.PHRASE_END_VERBS)
_PHRASE_REACH = 8
_CALCIFIED = fold_all(rules.CALCIFIED_MODIFIERS)
_PRIOR = fold_all(rules.PRIOR_WORDS)
_LINKING = fold_all(rules.LINKING_VERBS)
_HISTORY_UNITS = fold_all(rules.HISTORY_UNITS)
_HISTORY_ARTICLES = fold_all(rules.HISTORY_ARTICLES)
_OTHER_ORGANS = fold_all(rules.OTHER_ORGANS)
_INVOLVEMENT = fold_all(rules.INVOLVEMENT_WORDS)
_EROSION = fold_all(rules.EROSION_WORDS)
_EROSION_VERBS = fold_all(rules.EROSION_VERBS)
_ADJACENT = fold_all(rules.ADJACENT_WORDS)
_LAB_CONCEPTS = frozenset(rules.LAB_ANALYTES.values())
_NOT_MISDIAGNOSES = frozenset(rules.NOT_MISDIAGNOSES)
_OPERATED_PLACES = fold_all(rules.OPERATED_PLACES)
_ELSEWHERE = fold_all(rules.PERIPHERAL_JOINTS)
_KNOWN = fold_all(rules.KNOWN_CONDITION)
_EXCLUSION = ("excl_pre", "excl_post", "excl_pre")
_DIFFERENTIAL_LABEL = re.compile(
    r"^\W*(?:" + "|".join(re.escape(w) for w in rules.DIFFERENTIAL_LABELS) + r")\s*:", re.I
)


@dataclass
class Candidate:
    """An assertion with what the article-level rules still need to know about it."""

    assertion: Assertion
    generic: bool = False
    short_acronym: bool = False
    taken_lesion: bool = False  # a kind of lesion the lesion was taken for ("mimicking TC")


def section_label(category: str | None, label: str | None) -> str:
    """The section name extraction reports: NlmCategory, else Label, upper-cased."""
    if category and category.upper() != "UNASSIGNED":
        return category.upper()
    return (label or category or "UNLABELLED").upper()


def section_kind(section: str) -> str:
    """Classify a section name as background, patient, conclusion or unlabelled."""
    if section == "TITLE":
        return "title"
    for kind, words in (
        ("background", rules.BACKGROUND_SECTIONS),
        ("patient", rules.PATIENT_SECTIONS),
        ("conclusion", rules.CONCLUSION_SECTIONS),
    ):
        if any(w in section for w in words):
            return kind
    return "unlabelled"


def iter_sentence_texts(article: Article) -> Iterator[tuple[str, str]]:
    """The title's and each abstract section's sentences, as (section name, sentence)."""
    parts = [("TITLE", article.title)] if article.title.strip() else []
    parts += [(section_label(s.category, s.label), s.text) for s in article.abstract]
    for section, text in parts:
        for start, end in split_sentences(text):
            yield section, text[start:end]


def iter_sentences(article: Article) -> Iterator[Sentence]:
    """Split the title and each abstract section into sentences, tokenised and cue-tagged."""
    for section, sentence in iter_sentence_texts(article):
        tokens = tokenize(sentence)
        if not tokens:
            continue
        hard, soft = clause_ids(tokens, _CLAUSE_WORDS, _SOFT_WORDS, rules.CLAUSE_PUNCTUATION)
        kind = section_kind(section)
        yield Sentence(sentence, section, kind, tokens, hard, soft, get_cues().scan(tokens))


def assign_scopes(sentences: Sequence[Sentence]) -> None:
    """Decide for each sentence whether it reports the article's patients or general knowledge.

    Titles and case or result sections report the patients; background sections do not,
    unless they introduce the case. In a conclusion, or after the case in an unstructured
    abstract, a sentence stays with the patients when it refers back to them or is told in the
    past (unstructured: or at least not in the present); a general lesson is background.
    A sentence about other articles' cases is background wherever it stands, and so are the
    sentences after it in its section until one turns back to the article's own patients;
    after a search of the literature, the patient sections that follow too (a review's
    methods, then its results), and any later sentence that tells what the search found
    ("Seventy-one patients were identified"), even after the article's own case.
    """
    seen_case = False
    section, literature, searching, searched = "", False, False, False
    for s in sentences:
        has = s.cues.has
        if s.section != section:
            section, literature = s.section, searching and s.kind == "patient"
        ours = has("own") or has("intro") or introduces_patient(s.text) or _personal(s)
        found = searched and has("retrieved") and not ours
        searched = searched or has("search")
        searching = s.kind != "title" and (has("search") or found or (searching and not ours))
        literature = s.kind != "title" and (
            has("literature") or searching or (literature and not ours)
        )
        if literature:
            s.scope = "background"
        elif s.kind in ("title", "patient"):
            s.scope = "patient"
            seen_case = seen_case or s.kind == "patient"
        elif s.kind == "background":
            s.scope = "patient" if has("intro") else "background"
        elif s.kind == "conclusion":
            # The case's course told in the past ("the pain resolved, and there was no
            # recurrence") is the patient's; a lesson, or anything in the present, is not.
            ours = has("anaphora") or (_told_in_past(s) and not has("present"))
            s.scope = "patient" if ours and not has("lesson") else "background"
        elif not seen_case:
            told = has("anaphora") or has("patient")
            seen_case = has("intro") or (told and _told_in_past(s)) or introduces_patient(s.text)
            s.scope = "patient" if seen_case else "background"
        elif has("lesson"):
            s.scope = "background"
        elif has("anaphora") or _told_in_past(s):
            s.scope = "patient"
        else:
            s.scope = "background" if has("present") else "patient"


_PRESENT_PASSIVE = fold_all(("is", "are", "be", "been", "being"))
_PERSONAL = fold_all(rules.PERSONAL_WORDS)


def _personal(s: Sentence) -> bool:
    """Tell whether a sentence speaks of one person or of the authors' own ("she", "our")."""
    return any(t.key in _PERSONAL for t in s.tokens)


def _told_in_past(s: Sentence) -> bool:
    """A finite past verb, not a participle after "is" or "be" ("is caused by")."""
    return any(
        a == 0 or s.tokens[a - 1].key not in _PRESENT_PASSIVE for a, _ in s.cues.spans("past")
    )


# --- what a mention says --------------------------------------------------------------------


def _before(spans: Iterable[tuple[int, int]], s: Sentence, start: int, ids: list[int]) -> list[int]:
    return [a for a, b in spans if b <= start and ids[a] == ids[start]]


def negated(s: Sentence, start: int, end: int, pre: str, post: str, phrase: str) -> bool:
    """Tell whether cues of the given families deny tokens [start, end) of a sentence.

    Where a phrase cue starts at the same word as a clause cue ("not yet" and "not"), the
    longer one is read: the phrase.
    """
    c, soft, toks = s.cues, s.soft, s.tokens
    phrases = {a for a, _ in c.spans(phrase)}
    if any(a not in phrases for a in _before(c.spans(pre), s, start, soft)):
        return True
    for a in _before(c.spans(phrase), s, start, soft):
        clause_start = a == 0 or soft[a - 1] != soft[a]
        between = {t.key for t in toks[a + 1 : start]}
        if clause_start or (start - a <= _PHRASE_REACH and not between & _END_VERBS):
            return True
    return any(
        a >= end and soft[a] == soft[end - 1] and a - end <= _PHRASE_REACH for a, _ in c.spans(post)
    )


def misdiagnosed(s: Sentence, start: int, end: int) -> bool:
    """Tell whether a mention names what the lesion was taken for."""
    c, hard = s.cues, s.hard
    label = _DIFFERENTIAL_LABEL.match(s.text)
    if label and s.tokens[start].start >= label.end():
        return True  # "Differential: chordoma, giant cell tumour."
    if _before(c.spans("mis_pre"), s, start, hard):
        return True
    stops = [a for a, _ in c.spans("not_misdiagnosis")]
    for a, b in c.spans("mis_post"):
        if a >= end and hard[a] == hard[start] and not any(b <= x < b + 4 for x in stops):
            return True
    for a, b in c.spans("tentative"):
        near = end <= a <= end + rules.TENTATIVE_REACH and hard[a] == hard[start]
        if near and not _LINKING.isdisjoint(t.key for t in s.tokens[end:a]):
            return True  # "X was the favoured preoperative diagnosis"
        before = b <= start <= b + 2 * rules.TENTATIVE_REACH and hard[b - 1] == hard[start]
        if before and not _LINKING.isdisjoint(t.key for t in s.tokens[b:start]):
            return True  # "the working diagnosis in the emergency department was X"
    heads = [i for i in range(start) if s.tokens[i].key == rules.DIFFERENTIAL_HEAD]
    return bool(heads) and any(
        heads[0] < a < start and hard[a] == hard[start] for a, _ in c.spans("differential_list")
    )


def hedged(s: Sentence, start: int) -> bool:
    """Tell whether the clause of a mention is hedged, or the sentence is a question.

    ", and" ends a hedge: "MRI showed erosion, and metastasis was presumed" hedges only the
    metastasis.
    """
    return s.question or any(s.soft[a] == s.soft[start] for a, _ in s.cues.spans("hedge"))


def _resolve(m: Mention, s: Sentence, misdx: bool) -> str:
    """Pick the concept of a label shared by several (CPPD: a lesion, or a condition).

    The condition is what the lesion was taken for, or what the patient has elsewhere in the
    body ("known chondrocalcinosis of both knees").
    """
    schemes = {c: get_concepts()[c].scheme for c in m.concepts}
    if len(schemes) == 1:
        return m.concepts[0]
    prefer = "condition" if misdx or _elsewhere(s, m.start, m.end) else "lesion"
    return next((c for c in m.concepts if schemes[c] == prefer), m.concepts[0])


def _elsewhere(s: Sentence, start: int, end: int) -> bool:
    """Tell whether a condition is named as the patient's own, or in another part of the body."""
    toks = s.tokens
    if start and toks[start - 1].key in _KNOWN:
        return True
    after = range(end, min(len(toks), end + 4))
    return any(toks[i].key in _ELSEWHERE and s.soft[i] == s.soft[start] for i in after)


def read_mention(s: Sentence, m: Mention, seen: dict[str, str]) -> Candidate | None:
    """Give a mention its role, concept, polarity and certainty, or drop it (None)."""
    start, end = m.start, m.end
    if _another_person(s, start):
        return None
    misdx = m.kind in ("label", "pair") and misdiagnosed(s, start, end)
    concept = _resolve(m, s, misdx)
    misdx = misdx and concept not in _NOT_MISDIAGNOSES
    if m.label in rules.SPINAL_CONTEXT_LABELS and not (misdx or s.cues.has("spine")):
        return None
    if concept in rules.PRIOR_PROCEDURES and _told_as_history(s, start, end):
        concept = rules.PRIOR_SURGERY
    scheme = get_concepts()[concept].scheme
    role = _ROLE_OF_SCHEME[scheme]
    if concept == rules.BIOPSY and _other_organ(s.tokens, start, end):
        return None
    if _before(s.cues.spans("contrast"), s, start, s.hard):
        return None
    # An excluded condition is not annotated, unless normal laboratory values beside it state
    # it absent ("calcium was normal and there was no evidence of hyperparathyroidism").
    lab_absent = concept in _LAB_CONCEPTS and s.cues.has("lab_normal")
    if scheme == "condition" and not lab_absent and negated(s, start, end, *_EXCLUSION):
        return None
    absent = m.polarity == "absent" or (
        m.polarity is None and negated(s, start, end, "neg_clause", "neg_post", "neg_phrase")
    )
    if absent and m.polarity is None and scheme == "condition" and s.cues.has("tests"):
        return None  # a test that excludes a diagnosis is not annotated
    taken = scheme == "lesion" and misdx and len(m.concepts) == 1
    if scheme in ("condition", "lesion") and misdx:
        if absent:
            return None
        role = "misdiagnosis"
    elif scheme == "condition" and s.scope == "patient" and _calcified(s.tokens, start):
        role = "lesion"
    if absent and (role == "lesion" or (role == "site" and not _involvement(s, start))):
        return None
    if concept in rules.FINDING_NEEDS_MRI and not s.cues.has("mri"):
        return None
    if role == "site" and (_eroded(s, start) or _separate(s, start)):
        return None
    if _anaphor(s.tokens, m, seen):
        return None
    assertion = Assertion(
        role=role,
        concept=concept,
        polarity="absent" if absent else "present",
        certainty="hedged" if hedged(s, start) else "asserted",
        scope="background" if s.scope == "patient" and _said_in_general(s, start) else s.scope,
        section=s.section,
        sentence=s.text,
        start=s.tokens[start].start,
        end=s.tokens[end - 1].end,
    )
    generic = concept == rules.GENERIC_LESION and rules.GENERIC_LESION_EXPLICIT not in (
        assertion.mention.lower()
    )
    short = m.acronym and len(m.label) <= rules.SHORT_ACRONYM
    return Candidate(assertion, generic=generic, short_acronym=short, taken_lesion=taken)


def _said_in_general(s: Sentence, start: int) -> bool:
    """Tell whether a clause of a sentence about the patient is about others.

    "Such deposits are usually linked to hyperphosphataemia in dialysis patients, but this
    patient's phosphate was normal": the first clause, in the present tense with "usually"
    and no word for the patient, is general knowledge. "We read with interest the recent
    report of tumoral calcinosis in a patient on dialysis, and we describe ...": the first is
    another article's patient.
    """
    if len(set(s.soft)) < 2:
        return False

    def inside(family: str, ids: list[int]) -> bool:
        return any(ids[a] == ids[start] for a, _ in s.cues.spans(family))

    if inside("other_report", s.soft):
        return True
    clause = s.hard[start]
    present = any(s.hard[i] == clause and t.key in _PRESENT_VERBS for i, t in enumerate(s.tokens))
    return present and inside("general", s.hard) and not inside("anaphora", s.hard)


def _calcified(toks: Sequence[Token], start: int) -> bool:
    return start > 0 and toks[start - 1].key in _CALCIFIED


def _told_as_history(s: Sentence, start: int, end: int) -> bool:
    """Tell whether an operation is the patient's history: "prior fusion", "ten years ago".

    So is an operation that a time span follows: "6 years after a T12 laminectomy" (with an
    indefinite article; "3 months after the decompression" tells the outcome of this one), one
    told in the past perfect ("had undergone a laminectomy"), and the place it left ("the
    laminectomy bed").
    """
    toks, clause = s.tokens, s.soft[start]
    near = range(max(0, start - 4), min(len(toks), end + 8))
    if any(toks[i].key in _PRIOR and s.soft[i] == clause for i in near):
        return True
    if end < len(toks) and toks[end].key in _OPERATED_PLACES:
        return True
    keys = [t.key for t in toks[max(0, start - 6) : start]]
    if any(keys[i : i + 2] == list(rules.PAST_PERFECT) for i in range(len(keys) - 1)):
        return True
    for i in range(max(1, start - 6), start - 1):
        if toks[i].key == "after" and toks[i - 1].key in _HISTORY_UNITS:
            return toks[i + 1].key in _HISTORY_ARTICLES
    return False


def _another_person(s: Sentence, start: int) -> bool:
    """Tell whether a mention is told of a relative: "whose sister had undergone excision".

    The relative's part runs from the kin word to the next comma or clause boundary; a
    relative who opens the sentence ("Their father, a carrier, had normal phosphate") holds
    the whole clause.
    """
    return any(
        b <= start
        and s.hard[a] == s.hard[start]
        and (a == 0 or not any("," in t.gap for t in s.tokens[b : start + 1]))
        for a, b in s.cues.spans("kin")
    )


def _other_organ(toks: Sequence[Token], start: int, end: int) -> bool:
    """Tell whether a biopsy is of another organ ("temporal artery biopsy", "biopsy of skin")."""
    before = toks[max(0, start - 2) : start]
    after = toks[end : end + 3] if end < len(toks) and toks[end].key == "of" else []
    return any(t.key in _OTHER_ORGANS for t in (*before, *after))


def _involvement(s: Sentence, start: int) -> bool:
    """Tell whether a site is what the lesion reached ("no involvement of the canal")."""
    clause = s.soft[start]
    return any(s.tokens[i].key in _INVOLVEMENT and s.soft[i] == clause for i in range(start))


def _eroded(s: Sentence, start: int) -> bool:
    """Tell whether a site is only what erosion reached ("erosion of the adjacent laminae").

    A lesion that erodes a bone ("a mass eroding the lamina") lies against it: that bone
    stays a site unless it is called adjacent.
    """
    toks = s.tokens
    for i in range(max(0, start - 6), start):
        if toks[i].key in _EROSION and s.soft[i] == s.soft[start]:
            acting = toks[i].key in _EROSION_VERBS and not (
                i and toks[i - 1].key in rules.ANAPHORA_DETERMINERS
            )
            return not acting or not _ADJACENT.isdisjoint(t.key for t in toks[i + 1 : start])
    return False


def _separate(s: Sentence, start: int) -> bool:
    """Tell whether a site is what the lesion is apart from ("separate from the laminae")."""
    return any(
        b <= start and start - b <= rules.SEPARATE_REACH and s.soft[a] == s.soft[start]
        for a, b in s.cues.spans("separate")
    )


def _anaphor(toks: Sequence[Token], m: Mention, seen: dict[str, str]) -> bool:
    """Tell whether "the cyst" refers back to a named "synovial cyst" (another concept)."""
    if m.end - m.start != 1 or not m.start or m.kind != "label":
        return False
    if toks[m.start - 1].key not in rules.ANAPHORA_DETERMINERS:
        return False
    earlier = seen.get(toks[m.start].key)
    return earlier is not None and earlier not in m.concepts


# --- the article ----------------------------------------------------------------------------


def _lesions(found: list[Candidate]) -> list[Candidate]:
    """Apply the lesion rules: plain calcification is a fallback; the topic lesion once.

    A kind of lesion the lesion was taken for ("a pyrophosphate deposit mimicking tumoral
    calcinosis") is a misdiagnosis when the article names the lesion as another kind; named
    only so ("presumed tumoral calcinosis", "considered compatible with tumoral
    calcinosis"), it is the lesion, hedged.
    """
    named = {c.assertion.concept for c in found if _is_lesion(c, "patient") and not c.generic}
    if not named:
        found = [
            _as_lesion(c) if c.taken_lesion and c.assertion.scope == "patient" else c for c in found
        ]
    patient = {c.assertion.concept for c in found if _is_lesion(c, "patient") and not c.generic}
    specific = patient & set(rules.SPECIFIC_LESIONS)
    kept = [c for c in found if not c.generic or (c.assertion.scope == "patient" and not specific)]
    if not any(_is_lesion(c, "patient") for c in kept):
        fallback = next((c for c in found if _is_lesion(c, "background")), None)
        if fallback is not None:
            promoted = fallback.assertion.model_copy(update={"scope": "patient"})
            kept.append(Candidate(promoted))
    lesions = {c.assertion.concept for c in kept if _is_lesion(c, "patient")}
    return [
        c
        for c in kept
        if not (_is_lesion(c, "background") or c.taken_lesion) or c.assertion.concept not in lesions
    ]


def _as_lesion(c: Candidate) -> Candidate:
    lesion = c.assertion.model_copy(update={"role": "lesion", "certainty": "hedged"})
    return replace(c, assertion=lesion, taken_lesion=False)


def _is_lesion(c: Candidate, scope: str) -> bool:
    return c.assertion.role == "lesion" and c.assertion.scope == scope


def _acronyms(found: list[Candidate]) -> list[Candidate]:
    """Keep a short undefined acronym only where the article also names its concept in full."""
    named = {c.assertion.concept for c in found if not c.short_acronym}
    return [c for c in found if not c.short_acronym or c.assertion.concept in named]


def _implied(found: list[Candidate]) -> list[Candidate]:
    """Add what extraction.md says a concept implies (CREST syndrome: systemic sclerosis).

    A name of familial tumoral calcinosis also names the lesion in its words ("tumoral
    calcinosis" gives the lesion, whatever stands before it).
    """
    extra = [
        Candidate(c.assertion.model_copy(update={"concept": rules.CREST_IMPLIES}))
        for c in found
        if c.assertion.concept == rules.CREST
    ]
    for c in found:
        a = c.assertion
        if a.concept != rules.FAMILIAL_TC:
            continue
        at = a.sentence.lower().find(rules.TC_WORDS, a.start, a.end)
        if at >= 0:
            end = at + len(rules.TC_WORDS)
            update = {"role": "lesion", "concept": rules.TC, "start": at, "end": end}
            extra.append(Candidate(a.model_copy(update=update)))
    return found + extra


def _about(c: Candidate, patient: int | None) -> Candidate:
    """Attribute a patient-scope assertion to the case its sentence tells of."""
    if c.assertion.scope != "patient" or patient is None:
        return c
    return replace(c, assertion=c.assertion.model_copy(update={"patient": patient}))


def _unique(found: Iterable[Candidate]) -> tuple[Assertion, ...]:
    """One assertion per claim and case: the first asserted, else the first.

    A claim is (role, concept, polarity, scope); each case may make it once, and the group.
    """
    best: dict[tuple[str, str, str, str, int | None], Assertion] = {}
    for c in found:
        a = c.assertion
        key = (a.role, a.concept, a.polarity, a.scope, a.patient)
        if key not in best or (best[key].certainty == "hedged" and a.certainty == "asserted"):
            best[key] = a
    return tuple(best.values())


def extract_article(article: Article) -> Extraction:
    """Read one article's title and abstract into an Extraction (design, levels, assertions)."""
    sentences = list(iter_sentences(article))
    assign_scopes(sentences)
    study = read_study(article, [(s.text, s.scope, s.cues) for s in sentences])
    if study.design == "review":  # no patient of its own: what it says is the literature's
        for s in sentences:
            if s.kind != "title":
                s.scope = "background"
    numbers = attribute(sentences, study)
    main, _ = get_lexicons()
    defined: dict[str, Definition] = {}
    for s in sentences:
        defined.update(find_abbreviations(s.tokens, main))
    found: list[Candidate] = []
    seen: dict[str, str] = {}
    after_calc = False
    for s, number in zip(sentences, numbers, strict=True):
        mentions = sentence_mentions(s, defined, after_calc)
        after_calc = any(m.kind == "modality" and m.polarity is None for m in mentions)
        for m in sorted(mentions, key=lambda m: (m.start, -m.end)):
            candidate = read_mention(s, m, seen)
            if candidate is not None:
                found.append(_about(candidate, number))
            if m.kind == "label" and m.end - m.start > 1:
                seen.setdefault(s.tokens[m.end - 1].key, m.concepts[0])
    found = _lesions(_implied(_acronyms(found)))
    if is_single(
        study, sentences
    ):  # a lesion promoted from the background is the one patient's too
        found = [_about(c, 1) for c in found]
    levels = spine_order(
        v for s in sentences if s.scope == "patient" for lv in s.levels for v in lv.vertebrae
    )
    assertions = _unique(found)
    return Extraction(
        pmid=article.pmid,
        study=study,
        levels=levels,
        assertions=assertions,
        cases=read_cases(sentences, numbers, study, assertions),
        extractor=EXTRACTOR,
    )


def to_json_line(extraction: Extraction) -> str:
    """Write an Extraction as one line of ``kb extract --format jsonl`` (without the extractor)."""
    data = extraction.model_dump(mode="json", exclude={"extractor"})
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
