"""Cases like a patient's: a compact index of every case's features, ranked in Python.

The index is read whole from the store by the ``case-features`` named query and kept until
the store's write generation moves on. A patient is described by findings seen (present) and
not seen (absent), and optionally level or region, age and sex; cases are ranked by

    score = shared findings - contradicted findings
            + 0.5 if the case lies at a level asked for (else in the region asked for)
            + 0.25 if its sex matches + 0.25 if its age is within 10 years,

the newest first among equals. A finding is shared when the case reports it with the same
polarity, contradicted when with the other. Only cases sharing at least ``min_shared``
findings are ranked (with no finding asked for, those at the level or region).
"""

from __future__ import annotations

import gc
import heapq
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from kb.iris import case_id, concept_id
from kb.query.named import Value
from kb.query.registry import Registry, to_value
from kb.store import OxigraphStore, Store
from kb.store.base import QueryOptions
from kb.vocabulary import VERTEBRAE, get_concepts

Finding = tuple[str, str]  # (concept id, polarity)


Claim = tuple[str, str, str]  # (role, concept id, polarity)
AskedKey = tuple[tuple[str, str], ...]


@dataclass
class CaseFeatures:
    """What the index keeps of one case."""

    case: str
    key: int = 0
    age: int | None = None
    sex: str | None = None
    side: str | None = None
    method: str | None = None
    design: str | None = None
    levels: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    sites: set[str] = field(default_factory=set)
    finals: set[str] = field(default_factory=set)
    claims: set[Claim] = field(default_factory=set)
    steps: list[tuple[int, str]] = field(default_factory=list)
    duplicates: set[str] = field(default_factory=set)

    @property
    def pmid(self) -> str:
        """The PMID of the article that describes the case."""
        return self.case.partition("-")[0]

    @property
    def year(self) -> int:
        """The publication year (0 if unknown), from the case key."""
        return self.key // 10**12

    @cached_property
    def findings(self) -> set[Finding]:
        """The (concept, polarity) of each finding the case's own assertions report."""
        return {(concept, polarity) for role, concept, polarity in self.claims if role == "finding"}

    @property
    def misdiagnoses(self) -> list[str]:
        """What the case was taken for, in order."""
        return [concept for _, concept in sorted(self.steps)]


_SETS = {"region": "regions", "site": "sites", "final": "finals"}  # kinds of concept kept as sets


def features_from_rows(
    rows: Iterable[tuple[str, str, str, int | None]], claims: Mapping[str, Claim]
) -> list[CaseFeatures]:
    """Gather ``case-features`` rows (case IRI, kind, value, rank) into one record per case.

    ``claims`` says what each claim IRI claims (the ``claims`` query).
    """
    cases: dict[str, CaseFeatures] = {}
    for iri, kind, value, rank in rows:
        name = case_id(iri)
        if name is None:
            continue
        f = cases.get(name)
        if f is None:
            f = cases[name] = CaseFeatures(name)
        if kind == "key":
            f.key = int(value)
        elif kind == "age":
            f.age = int(value)
        elif kind in ("sex", "side", "method", "design"):
            setattr(f, kind, value)
        elif kind == "level":
            f.levels.add(value)
        elif kind in _SETS:
            getattr(f, _SETS[kind]).add(concept_id(value) or value)
        elif kind == "claim" and value in claims:
            f.claims.add(claims[value])
        elif kind == "misdiagnosis":
            f.steps.append((rank or 0, concept_id(value) or value))
        elif kind == "duplicate":
            f.duplicates.add(case_id(value) or value)
    return list(cases.values())


@dataclass(frozen=True)
class Patient:
    """The patient whose like is sought."""

    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    region: str | None = None
    age: int | None = None
    sex: str | None = None

    @property
    def findings(self) -> dict[Finding, Finding]:
        """Each finding asked for, with the finding that would contradict it."""
        asked = [(c, "present") for c in self.present] + [(c, "absent") for c in self.absent]
        return {f: (f[0], "absent" if f[1] == "present" else "present") for f in asked}


@dataclass(frozen=True)
class Ranked:
    """One case in the ranking, with why it ranks where it does."""

    case: CaseFeatures
    score: float
    shared: tuple[str, ...]
    contradicted: tuple[str, ...]


class CaseIndex:
    """Every case's features, with posting lists from each finding to the cases reporting it."""

    def __init__(self, cases: Sequence[CaseFeatures]) -> None:
        self.cases = sorted(cases, key=lambda c: c.key, reverse=True)  # the table's order
        self._selected: dict[AskedKey, list[int]] = {}
        self._facets: dict[AskedKey, Counter[tuple[str, object]]] = {}
        self.by_id = {c.case: c for c in self.cases}
        self.postings: dict[Finding, list[int]] = defaultdict(list)
        self.by_place: dict[str, list[int]] = defaultdict(list)
        # Each filter of the case table and its value -> the positions of the cases it keeps.
        self.keeps: dict[tuple[str, object], set[int]] = defaultdict(set)
        for i, c in enumerate(self.cases):
            for name, value in _filter_terms(c, self.by_id):
                self.keeps[(name, value)].add(i)
        for i, c in enumerate(self.cases):
            for f in c.findings:
                self.postings[f].append(i)
            for place in (*c.levels, *c.regions):
                self.by_place[place].append(i)

    def forget(self) -> None:
        """Drop the selections and facet counts kept so far, as a newly built index has none."""
        self._selected.clear()
        self._facets.clear()

    def like(self, patient: Patient, limit: int = 20, min_shared: int = 1) -> list[Ranked]:
        """The ``limit`` cases closest to the patient, best first."""
        asked = patient.findings
        shared: dict[int, list[str]] = defaultdict(list)
        against: dict[int, list[str]] = defaultdict(list)
        for finding, opposite in asked.items():
            for i in self.postings.get(finding, ()):
                shared[i].append(finding[0])
            for i in self.postings.get(opposite, ()):
                against[i].append(finding[0])
        if asked:
            base = {i: len(s) - len(against.get(i, ())) for i, s in shared.items()}
            base = {i: b for i, b in base.items() if len(shared[i]) >= min_shared}
            # The bonuses add at most 1: a case more than 1 below the limit-th best base
            # cannot rank, so only the others are scored whole.
            top = heapq.nlargest(limit, base.values())
            floor = top[-1] - 1 if len(top) == limit else float("-inf")
            candidates: Iterable[int] = [i for i, b in base.items() if b >= floor]
        else:
            places = {*patient.levels, *([patient.region] if patient.region else [])}
            candidates = {i for p in places for i in self.by_place.get(p, ())}
        ranked = (
            (self._score(i, patient, shared, against), self.cases[i].key, i) for i in candidates
        )
        best = heapq.nlargest(limit, ranked)
        return [
            Ranked(self.cases[i], score, tuple(sorted(shared[i])), tuple(sorted(against[i])))
            for score, _, i in best
        ]

    def select(self, asked: Mapping[str, object]) -> list[CaseFeatures]:
        """The cases the ``cases`` named query would list for these parameters, in its order.

        Retracted articles' cases are not in the index: ``include_retracted`` is the SPARQL's.
        """
        return [self.cases[i] for i in self._positions(asked)]

    def pick(
        self,
        asked: Mapping[str, object],
        start: int,
        count: int,
        order: Callable[[CaseFeatures], Any] | None = None,
        descending: bool = False,
    ) -> tuple[int, list[CaseFeatures]]:
        """How many cases ``asked`` selects, and ``count`` of them from ``start``.

        In the ``cases`` query's order, or by ``order``; only the page's cases are looked at.
        """
        positions = self._positions(asked)
        if order is not None:
            cases = self.cases
            positions = sorted(positions, key=lambda i: order(cases[i]), reverse=descending)
        return len(positions), [self.cases[i] for i in positions[start : start + count]]

    def facets(self, asked: Mapping[str, object]) -> Counter[tuple[str, object]]:
        """How many of the cases selected by ``asked`` each filter value would keep.

        Keys are the case table's filters and values, as ``keeps`` holds them, and
        ``("year", y)`` for the publication years.
        """
        key = _asked_key(asked)
        if key not in self._facets:
            chosen = self._positions(asked)
            counts: Counter[tuple[str, object]] = Counter(
                ("year", self.cases[i].year) for i in chosen
            )
            if len(chosen) * 2 > len(self.cases):  # most are kept: count those left out
                out = set(range(len(self.cases))).difference(chosen)
                counts.update({k: len(v) - len(v & out) for k, v in self.keeps.items()})
            else:
                kept = set(chosen)
                counts.update({k: len(v & kept) for k, v in self.keeps.items()})
            self._facets[key] = +counts  # without the zeros
        return self._facets[key]

    def _positions(self, asked: Mapping[str, object]) -> list[int]:
        key = _asked_key(asked)
        if key not in self._selected:  # the index is one write generation's: kept with it
            kept: set[int] | None = None
            for name, value in asked.items():
                if name in ("year_from", "year_to") or name not in SELECTABLE:
                    continue
                for one in value if isinstance(value, list) else [value]:
                    these = self.keeps.get((name, one), set())
                    kept = these if kept is None else kept & these
            chosen = list(range(len(self.cases))) if kept is None else sorted(kept)
            low, high = asked.get("year_from"), asked.get("year_to")
            if low is not None or high is not None:
                # Keys sort by year: a year's cases hold the keys from year * 10**12 on.
                first = int(str(low)) * 10**12 if low is not None else -1
                past = (int(str(high)) + 1) * 10**12 if high is not None else float("inf")
                cases = self.cases
                chosen = [i for i in chosen if first <= cases[i].key < past]
            self._selected[key] = chosen
        return self._selected[key]

    def _score(
        self,
        i: int,
        patient: Patient,
        shared: Mapping[int, list[str]],
        against: Mapping[int, list[str]],
    ) -> float:
        c = self.cases[i]
        score = float(len(shared.get(i, ())) - len(against.get(i, ())))
        at_level = bool(patient.levels and c.levels & patient.levels)
        if at_level or (patient.region is not None and patient.region in c.regions):
            score += 0.5
        if patient.sex and c.sex == patient.sex:
            score += 0.25
        if patient.age is not None and c.age is not None and abs(c.age - patient.age) <= 10:
            score += 0.25
        return score


def _asked_key(asked: Mapping[str, object]) -> AskedKey:
    return tuple(sorted((name, repr(value)) for name, value in asked.items()))


def _filter_terms(
    c: CaseFeatures, by_id: Mapping[str, CaseFeatures]
) -> Iterable[tuple[str, object]]:
    """Each (filter, value) of the ``cases`` query that keeps this case, as the query means it."""
    yield from (("region", v) for v in c.regions)
    yield from (("level", v) for v in c.levels)
    yield from (("site", v) for v in c.sites)
    yield from (("misdiagnosis", v) for v in c.misdiagnoses)
    for role, concept, polarity in c.claims:
        if role in ("associated", "treatment", "outcome") and polarity == "present":
            yield role, concept
        elif role == "finding":
            yield polarity, concept  # "present" or "absent"
    if c.design:
        yield "study_design", c.design
    if c.method in ("excision-histology", "biopsy-histology"):
        yield "confirmed", True
    if all(by_id[d].key > c.key for d in c.duplicates if d in by_id):
        yield "no_duplicates", True


SELECTABLE = frozenset(
    ("region", "level", "site", "misdiagnosis", "associated", "treatment", "outcome",
     "study_design", "year_from", "year_to", "confirmed", "no_duplicates", "present", "absent")
)  # fmt: skip


class CaseIndexHolder:
    """The case index of a store, rebuilt when the store's write generation moves on.

    One build at a time: callers arriving during a build wait for it rather than start
    their own.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._index: CaseIndex | None = None
        self._generation: int | None = None

    def get(self) -> CaseIndex:
        """The index for the store as it is now (built here if it is not)."""
        with self._lock:
            generation = self.registry.store.generation
            if self._index is None or generation != self._generation:
                index = build_index(self.registry)
                index.facets({})  # counted once here: the case browser opens unfiltered
                self._index, self._generation = index, generation
            return self._index

    def fresh(self) -> CaseIndex | None:
        """The index if it is built for the store as it is now; else None, and a build begins.

        For callers that can answer another way meanwhile (the case table, from SPARQL).
        """
        index, generation = self._index, self._generation
        if index is not None and generation == self.registry.store.generation:
            return index
        if not self._lock.locked():
            self.warm_in_background()
        return None

    def warm_in_background(self) -> threading.Thread:
        """Build the index in a thread of its own, so the first question finds it built."""
        thread = threading.Thread(target=self.get, name="kb-case-index", daemon=True)
        thread.start()
        return thread


# Reading every case is a whole-store read: a minute or more at 100,000 articles, past the
# limit a visitor's query has (KB_QUERY_TIMEOUT) but not past this one.
INDEX_READ_LIMIT = 900.0  # seconds


def read_whole(store: Store, sparql: str) -> object:
    """Answer a query over the whole store, in the store's workers if it has them."""
    if isinstance(store, OxigraphStore):
        return store.run_query(sparql, QueryOptions(timeout=INDEX_READ_LIMIT))
    return store.query(sparql)


def build_index(registry: Registry) -> CaseIndex:
    """Read every case's features from the store (two queries, streamed) into an index."""
    claims = {
        str(to_value(s["claim"])): (
            str(to_value(s["role"])),
            concept_id(str(to_value(s["concept"]))) or "",
            str(to_value(s["polarity"])),
        )
        for s in read_whole(registry.store, registry.get("claims").sparql)  # type: ignore[attr-defined]
    }
    result = read_whole(registry.store, registry.get("case-features").sparql)
    rows = (
        (
            str(to_value(s["case"])),
            str(to_value(s["kind"])),
            str(to_value(s["value"])),
            rank if isinstance(rank := to_value(s["rank"]), int) else None,
        )
        for s in result  # type: ignore[attr-defined]
    )
    index = CaseIndex(features_from_rows(rows, claims))
    # The index is millions of long-lived objects: left to the collector, each full
    # collection walks them all (seconds at 100,000 articles, in the middle of a ranking).
    gc.freeze()
    return index


@cache
def concept_labels() -> dict[str, str]:
    """Each concept's preferred label, as the case table shows it."""
    return {cid: concept.pref_label for cid, concept in get_concepts().items()}


def ranked_rows(ranking: Sequence[Ranked]) -> list[dict[str, Value]]:
    """The ranking as table rows: labels, not ids, and lists as arrays."""
    labels = concept_labels()

    def label(cid: str) -> str:
        return labels.get(cid, cid)

    return [
        {
            "case": r.case.case,
            "pmid": r.case.pmid,
            "year": r.case.year or None,
            "age": r.case.age,
            "sex": r.case.sex,
            "levels": [v for v in VERTEBRAE if v in r.case.levels],
            "regions": sorted(label(x) for x in r.case.regions),
            "score": r.score,
            "shared": [label(x) for x in r.shared],
            "contradicted": [label(x) for x in r.contradicted],
            "mistaken_for": [label(x) for x in r.case.misdiagnoses],
            "url": f"/cases/{r.case.case}",
        }
        for r in ranking
    ]
