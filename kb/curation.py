"""Curators' verdicts on what the extractor read, and the reading they make of an article.

A verdict accepts, rejects or corrects one assertion, or adds one the extractor missed. It
names its target by content (``curation_key``: the article, the claim and the evidence), never
by an IRI a run minted, so the same text read again is found again. ``apply_verdicts`` is the
one place verdicts act: given what the extractor read of an article and the verdicts on it, it
returns the curated reading (what every query and page counts), the rejected assertions (shown,
not counted) and the orphans (verdicts whose target is gone, never re-attached by guess).

A later verdict on a target supersedes the earlier ones, which are kept: order is by time,
then by id, so every installation holding the same verdicts reads them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from pydantic import AwareDatetime, Field, ValidationError, model_validator

from kb.extraction.cases import laterality, misdiagnoses
from kb.extraction.extract import iter_sentence_texts
from kb.models import (
    ORCID_PATTERN,
    Article,
    Assertion,
    Case,
    Certainty,
    Extraction,
    Frozen,
    Polarity,
    Role,
    Scope,
    content_hash,
)
from kb.vocabulary import get_concepts

Action = Literal["accept", "reject", "correct", "add"]
Reason = Literal[
    "wrong-concept", "wrong-polarity", "wrong-scope", "not-about-lesion", "not-in-text", "other"
]
Status = Literal["machine", "accepted", "corrected", "added", "rejected"]
# The reader named on the assertions curators added (where an extractor's name would be).
CURATION = "curation"
STATUSES: tuple[Status, ...] = ("machine", "accepted", "corrected", "added", "rejected")
REASONS: tuple[Reason, ...] = Reason.__args__  # type: ignore[attr-defined]

# The concept schemes each role's concepts come from (the vocabulary's id prefixes).
ROLE_SCHEMES: dict[str, tuple[str, ...]] = {
    "lesion": ("lesion", "condition"),
    "site": ("site", "region"),
    "associated": ("condition",),
    "finding": ("finding",),
    "misdiagnosis": ("condition", "lesion"),
    "treatment": ("treatment",),
    "symptom": ("symptom",),
    "outcome": ("outcome",),
}


def curation_key(pmid: str, a: Assertion) -> str:
    """The content key a verdict targets: the article, the claim, and the evidence.

    The extractor's version is not part of it, so a re-extraction that reads the same
    claim from the same words finds the verdict again.

    >>> a = Assertion(role="finding", concept="finding/t1-hypointense", section="CASE",
    ...               sentence="T1 was dark.", start=0, end=2)
    >>> curation_key("1", a) == curation_key("1", a.model_copy(update={"certainty": "hedged"}))
    True
    >>> curation_key("1", a) == curation_key("2", a)
    False
    """
    return _key(pmid, a.model_dump(include=set(KEY_FIELDS)))


# What a target key is made of, after the PMID: the claim, then the evidence.
KEY_FIELDS = ("role", "concept", "polarity", "scope", "sentence", "start", "end")


def _key(pmid: str, fields: Mapping[str, object]) -> str:
    text = [str(fields[f]) for f in KEY_FIELDS[:5]]
    return content_hash([pmid, *text, *(int(str(fields[f])) for f in KEY_FIELDS[5:])])


def row_key(pmid: str, row: Mapping[str, object]) -> str | None:
    """The target key of an assertion as ``article-evidence`` answers it, or None if partial.

    A curated assertion says the key its verdicts target (a corrected one was read as
    something else); any other's is its own content's.
    """
    if isinstance(row.get("curation_key"), str):
        return str(row["curation_key"])
    if any(row.get(f) is None for f in KEY_FIELDS):
        return None
    return _key(pmid, row)


def refusal(exc: ValidationError) -> str:
    """What a refused verdict gets wrong, in one line: each field and its fault.

    >>> try:
    ...     Curator(name="")
    ... except ValidationError as exc:
    ...     print(refusal(exc))
    name: String should have at least 1 character
    """
    said = []
    for e in exc.errors():
        where = ".".join(map(str, e["loc"]))
        said.append(f"{where + ': ' if where else ''}{e['msg'].removeprefix('Value error, ')}")
    return "; ".join(said)


def check_concept(role: str, concept: str) -> None:
    """Refuse a concept the vocabulary lacks, or one from another role's scheme."""
    if concept not in get_concepts():
        raise ValueError(f"unknown concept {concept!r}")
    schemes = ROLE_SCHEMES.get(role, ())
    if concept.split("/")[0] not in schemes:
        raise ValueError(f"a {role} is a concept of {' or '.join(schemes)}, not {concept!r}")


class Curator(Frozen):
    """Who gave a verdict: a name, and an ORCID when they have one."""

    name: str = Field(min_length=1, max_length=200)
    orcid: str | None = Field(None, pattern=ORCID_PATTERN)


class Statement(Frozen):
    """What a correction says instead: each field given replaces the assertion's."""

    role: Role | None = None
    concept: str | None = None
    polarity: Polarity | None = None
    certainty: Certainty | None = None
    scope: Scope | None = None

    def changes(self) -> dict[str, str]:
        """The fields this statement sets."""
        return self.model_dump(exclude_none=True)


class Judgement(Frozen):
    """What every verdict has: who gave it, when, and why in their words."""

    note: str | None = Field(None, max_length=2000)
    curator: Curator
    created: AwareDatetime

    @property
    def id(self) -> str:
        """A content hash of the whole verdict: the same verdict has the same id anywhere."""
        return content_hash(self.model_dump(mode="json"))

    @property
    def order(self) -> tuple[datetime, str]:
        """Where the verdict falls in its target's history."""
        return self.created.astimezone(UTC), self.id


class Verdict(Judgement):
    """One curator's judgement of one assertion (a W3C Web Annotation in the graph)."""

    pmid: str = Field(pattern=r"^[0-9]+$")
    action: Action
    assertion: Assertion = Field(
        description="What was judged, as it read then (accept, reject, correct), or what is added."
    )
    correction: Statement | None = Field(None, description="For correct: what it says instead.")
    reason: Reason | None = Field(None, description="Why: required to reject.")
    extractor: str | None = Field(None, description="The reader of what was judged, if a machine.")

    @model_validator(mode="after")
    def _coherent(self) -> Verdict:
        a = self.assertion
        if not 0 <= a.start < a.end <= len(a.sentence):
            raise ValueError(f"the span {a.start}..{a.end} is not in the sentence")
        if (self.action == "reject") != (self.reason is not None):
            raise ValueError(
                "a rejection, and only a rejection, has a reason: " + ", ".join(REASONS)
            )
        if (self.action == "correct") != (self.correction is not None):
            raise ValueError("a correction, and only a correction, says what instead")
        if self.action == "correct" and self.corrected() == a:
            raise ValueError("the correction changes nothing")
        if self.action in ("correct", "add"):
            fixed = self.corrected()
            check_concept(fixed.role, fixed.concept)
        return self

    @property
    def target(self) -> str:
        """The content key of the assertion judged."""
        return curation_key(self.pmid, self.assertion)

    def corrected(self) -> Assertion:
        """The assertion as this verdict has it (the judged one, for all but a correction)."""
        changes = self.correction.changes() if self.correction else {}
        return self.assertion.model_copy(update=changes)


CASE_PATTERN = r"^[0-9]+-[0-9]{1,3}$"


class PairVerdict(Judgement):
    """A curator's judgement of a duplicate flag: the two cases are one patient, or two."""

    cases: tuple[str, str] = Field(description="The two cases' ids (PMID-number), in order.")
    same: bool = Field(description="True: one patient published twice; false: two patients.")

    @model_validator(mode="after")
    def _two_cases(self) -> PairVerdict:
        first, second = self.cases
        if not (re.match(CASE_PATTERN, first) and re.match(CASE_PATTERN, second)):
            raise ValueError(f"not two case ids (PMID-number): {first!r}, {second!r}")
        if first == second or list(self.cases) != sorted(self.cases):
            raise ValueError("two different cases, in order")
        return self

    @property
    def target(self) -> str:
        """The content key of the pair judged."""
        return content_hash(["duplicate", *self.cases])

    @property
    def pmids(self) -> tuple[str, str]:
        """The articles of the two cases."""
        first, second = (case.partition("-")[0] for case in self.cases)
        return first, second


AnyVerdict = Verdict | PairVerdict
V = TypeVar("V", bound=AnyVerdict)


def latest_by_pair(verdicts: Iterable[PairVerdict]) -> dict[tuple[str, str], PairVerdict]:
    """The verdict that holds on each pair of cases: its latest."""
    return {v.cases: v for v in sorted(verdicts, key=lambda v: v.order)}


@dataclass(frozen=True)
class Reading:
    """One assertion as curation leaves it: its status, its target key and its verdict.

    ``base`` is the assertion the key names (the machine's, or the one a curator added);
    ``assertion`` is what is counted and shown (the same, but for a correction).
    """

    assertion: Assertion
    status: Status
    key: str
    verdict: Verdict | None = None
    base: Assertion | None = None

    @property
    def judged(self) -> Assertion:
        """What a verdict on this reading judges: the assertion its key names."""
        return self.base or self.assertion


@dataclass(frozen=True)
class Curated:
    """An article's reading after its verdicts: counted, shown struck out, and orphaned."""

    extraction: Extraction
    readings: tuple[Reading, ...]
    rejected: tuple[Reading, ...]
    orphans: tuple[Verdict, ...]

    def find(self, key: str) -> Reading | None:
        """The reading a verdict with this target key would judge, counted or rejected."""
        return next((r for r in (*self.readings, *self.rejected) if r.key == key), None)


def histories(verdicts: Iterable[V]) -> dict[str, list[V]]:
    """The verdicts of each target, oldest first; the last one holds."""
    by_target: dict[str, list[V]] = {}
    for v in sorted(verdicts, key=lambda v: v.order):
        by_target.setdefault(v.target, []).append(v)
    return by_target


def apply_verdicts(article: Article, x: Extraction, verdicts: Iterable[Verdict]) -> Curated:
    """Apply the verdicts on an article to what the extractor read of it.

    An added assertion holds while its sentence is still in the article's title or abstract.
    Each target's latest verdict acts on the machine's assertion with that key, or on the
    assertion a curator added under it; a verdict with neither is an orphan.
    """
    history = histories(v for v in verdicts if v.pmid == x.pmid)
    if not history:
        readings = tuple(Reading(a, "machine", curation_key(x.pmid, a)) for a in x.assertions)
        return Curated(x, readings, (), ())
    kept: list[Reading] = []
    rejected: list[Reading] = []
    seen: set[str] = set()
    for a in x.assertions:
        key = curation_key(x.pmid, a)
        seen.add(key)
        latest = history[key][-1] if key in history else None
        _judge(a, key, latest, "accepted", kept, rejected)
    orphans = []
    text = "\n".join((article.title, article.abstract_text))
    for key, told in history.items():
        if key in seen:
            continue
        added = [v for v in told if v.action == "add" and v.assertion.sentence in text]
        if added:
            _judge(added[-1].assertion, key, told[-1], "added", kept, rejected)
        else:
            orphans.append(told[-1])
    assertions = tuple(r.assertion for r in kept)
    curated = x.model_copy(update={"assertions": assertions, "cases": recase(x.cases, assertions)})
    return Curated(curated, tuple(kept), tuple(rejected), tuple(orphans))


def _judge(
    a: Assertion,
    key: str,
    latest: Verdict | None,
    confirmed: Status,
    kept: list[Reading],
    rejected: list[Reading],
) -> None:
    """File one assertion under its latest verdict (``confirmed``: what accepting it makes)."""
    if latest is None:
        kept.append(Reading(a, "machine", key))
    elif latest.action == "reject":
        rejected.append(Reading(a, "rejected", key, latest))
    elif latest.action == "correct":
        changes = latest.correction.changes() if latest.correction else {}
        kept.append(Reading(a.model_copy(update=changes), "corrected", key, latest, a))
    else:  # accept, or an add of what the machine read too
        kept.append(Reading(a, confirmed, key, latest))


def recase(cases: Sequence[Case], assertions: Sequence[Assertion]) -> tuple[Case, ...]:
    """The cases again, their misdiagnoses and side from the curated assertions."""
    out = []
    for case in cases:
        mine = [a for a in assertions if a.patient == case.patient]
        update = {"misdiagnoses": misdiagnoses(mine), "laterality": laterality(mine)}
        out.append(case.model_copy(update=update))
    return tuple(out)


def locate(article: Article, mention: str, near: str = "") -> tuple[str, str, int, int]:
    """Find the words a curator names in the article: (section, sentence, start, end).

    The first sentence of the title or the abstract (split as the extractor splits them) that
    holds ``mention``, and ``near`` too when given (to choose among several); ValueError when
    none does.
    """
    for section, sentence in iter_sentence_texts(article):
        at = sentence.find(mention) if mention else -1
        if at >= 0 and near in sentence:
            return section, sentence, at, at + len(mention)
    where = f" in a sentence with {near!r}" if near else ""
    raise ValueError(f"PMID {article.pmid} has no {mention!r}{where} in its title or abstract")
