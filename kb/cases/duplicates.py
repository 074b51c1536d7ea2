"""The same patient published twice: candidate duplicates across articles, with the reasons.

A case report is often followed by a series from the same group that counts the patient
again. Two cases of different articles are flagged when all of these hold:

- the same sex, both given;
- the same age within a year, allowing for the time between the two articles (a patient
  of 50 in a 2010 report may be 52 in a 2012 series);
- the same level of the lesion (or, when one of them gives no level, the same site or region);
- publication years at most ``MAX_YEARS`` apart;
- a shared author (family name and first initial) or a shared affiliation (its
  institution's words).

The flag is a relation on both cases (``tc:possibleDuplicate``) and a ``tc:DuplicateFlag``
naming both and each reason, all in one graph that is rewritten whole after every run, with
curators' verdicts on the flags applied.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Quad

from kb import iris
from kb.cases.similar import CaseFeatures
from kb.curation import PairVerdict, latest_by_pair
from kb.graph.terms import RDF_TYPE, QuadSet, tc
from kb.query.registry import Registry, bind_params, prepare, to_value

DUPLICATES_GRAPH = NamedNode(iris.GRAPH + "duplicates")
MAX_YEARS = 5
# Words of an affiliation that name no institution.
_COMMON = frozenset((
    "of", "the", "and", "for", "de", "di", "du", "la", "le", "el", "und", "department", "dept",
    "division", "unit", "university", "hospital", "medical", "medicine", "center", "centre",
    "school", "college", "institute", "clinic", "faculty", "surgery", "neurosurgery",
    "orthopaedic", "orthopedic", "radiology", "pathology", "spine", "usa",
))  # fmt: skip
_WORD = re.compile(r"[a-z]{3,}")
# Words that make a part of an affiliation name an institution, not a department or a town.
_INSTITUTIONS = frozenset((
    "university", "hospital", "clinic", "institute", "center", "centre", "college", "school",
    "foundation", "infirmary", "klinikum", "ospedale", "hopital",
))  # fmt: skip


@dataclass
class Authorship:
    """Who wrote an article: author keys (family name, first initial) and institution words."""

    authors: set[str] = field(default_factory=set)
    institutions: set[frozenset[str]] = field(default_factory=set)


def authorship_from_rows(rows: Iterable[Mapping[str, object]]) -> dict[str, Authorship]:
    """Gather ``article-authors`` rows by PMID."""
    found: dict[str, Authorship] = defaultdict(Authorship)
    for row in rows:
        who = found[str(row["pmid"])]
        family, given = str(row.get("family") or ""), str(row.get("given") or "")
        if family:
            who.authors.add(f"{family.lower()} {given[:1].lower()}")
        if row.get("affiliation"):
            who.institutions.add(institution(str(row["affiliation"])))
    return dict(found)


def institution(affiliation: str) -> frozenset[str]:
    """The words naming an institution: the first comma part that names one, less common words.

    "Department of Nephrology" names none; "Mayo Clinic" does.

    >>> sorted(institution("Department of Nephrology, Mayo Clinic, Rochester, MN, USA."))
    ['mayo']
    >>> institution("Department of Nephrology, Rochester")
    frozenset()
    """
    for part in affiliation.lower().split(","):
        words = set(_WORD.findall(part))
        if words & _INSTITUTIONS:
            return frozenset(words - _COMMON)
    return frozenset()


@dataclass(frozen=True)
class Flag:
    """Two cases that may be one patient, and why."""

    first: str
    second: str
    reasons: tuple[str, ...]


# An author or institution shared by more articles than this says nothing of one patient.
MAX_SHARED = 200


def find_duplicates(
    cases: Sequence[CaseFeatures], authorship: Mapping[str, Authorship]
) -> list[Flag]:
    """Every pair of cases of different articles that meets all the criteria, as flags.

    Cases are blocked by what the articles share (an author, an institution) and by sex, so
    each is compared only with the cases of the articles its authors also wrote.
    """
    blocks: dict[tuple[str, object], list[CaseFeatures]] = defaultdict(list)
    for c in cases:
        who = authorship.get(c.pmid)
        if who is None or not c.sex or c.age is None:
            continue
        for shared in (*who.authors, *(" ".join(sorted(w)) for w in who.institutions if w)):
            blocks[(c.sex, shared)].append(c)
    found: dict[tuple[str, str], Flag] = {}
    for block in blocks.values():
        if len({c.pmid for c in block}) > MAX_SHARED:
            continue
        for i, a in enumerate(block):
            for b in block[i + 1 :]:
                first, second = sorted((a.case, b.case))
                if (first, second) in found:
                    continue
                flag = _flag(a, b, authorship)
                if flag is not None:
                    found[(first, second)] = flag
    return sorted(found.values(), key=lambda f: (f.first, f.second))


def _flag(a: CaseFeatures, b: CaseFeatures, authorship: Mapping[str, Authorship]) -> Flag | None:
    a, b = sorted((a, b), key=lambda c: (c.key, c.case))  # the earlier report first
    reasons = _alike(a, b)
    if not reasons:
        return None
    x, y = authorship[a.pmid], authorship[b.pmid]
    authors = sorted(x.authors & y.authors)
    places = sorted(" ".join(sorted(w)) for w in x.institutions & y.institutions if w)
    reasons += [f"shared author ({', '.join(authors)})"] if authors else []
    reasons += [f"shared affiliation ({', '.join(places)})"] if places else []
    first, second = sorted((a.case, b.case))
    return Flag(first, second, tuple(reasons))


def _alike(a: CaseFeatures, b: CaseFeatures) -> list[str]:
    if a.pmid == b.pmid or not a.year or not b.year or a.age is None or b.age is None:
        return []
    years = abs(a.year - b.year)
    aged = abs((b.age - a.age) - (b.year - a.year)) <= 1 or abs(b.age - a.age) <= 1
    levels, sites = sorted(a.levels & b.levels), sorted(a.sites & b.sites)
    if a.levels and b.levels and not levels:
        return []  # both levels told, and none shared: two lesions
    regions = [] if levels else sorted(a.regions & b.regions)  # a level gives its region
    if years > MAX_YEARS or not aged or not (levels or sites or regions):
        return []
    reasons = [f"same sex ({a.sex})", f"ages {a.age} and {b.age} within a year"]
    if levels:
        reasons.append(f"same level ({', '.join(levels)})")
    for kind, shared in (("site", sites), ("region", regions)):
        if shared:
            reasons.append(f"same {kind} ({', '.join(s.split('/')[-1] for s in shared)})")
    low, high = sorted((a.year, b.year))
    reasons.append(f"published {years} year(s) apart ({low}, {high})")
    return reasons


# The reason of a flag only a curator raised (the rules did not).
JUDGED_SAME = "judged one patient by a curator"


def flag_quads(flags: Iterable[Flag], verdicts: Iterable[PairVerdict] = ()) -> list[Quad]:
    """The flags as quads of the duplicates graph: the relation both ways, and a flag node.

    Curators' verdicts act on them: a flag judged two patients is kept as refuted (its cases
    named by ``tc:refutedCase``, no relation between them), one judged one patient is marked
    accepted, and a pair judged one patient that the rules did not flag is flagged.
    """
    latest = latest_by_pair(verdicts)
    by_pair = {(f.first, f.second): f for f in flags}
    for pair, v in latest.items():
        if v.same and pair not in by_pair:
            by_pair[pair] = Flag(*pair, (JUDGED_SAME,))
    g = QuadSet(DUPLICATES_GRAPH)
    for pair, f in sorted(by_pair.items()):
        a, b = iris.case_from_id(f.first), iris.case_from_id(f.second)
        node, verdict = iris.duplicate_flag_iri(f.first, f.second), latest.get(pair)
        refuted = verdict is not None and not verdict.same
        if not refuted:
            g.add(a, tc("possibleDuplicate"), b)
            g.add(b, tc("possibleDuplicate"), a)
        g.add(node, RDF_TYPE, tc("DuplicateFlag"))
        g.add(node, tc("refutedCase" if refuted else "flagsCase"), a)
        g.add(node, tc("refutedCase" if refuted else "flagsCase"), b)
        for reason in f.reasons:
            g.add(node, tc("reason"), Literal(reason))
        if verdict is not None:
            g.text(node, tc("curationStatus"), "rejected" if refuted else "accepted")
            g.add(node, tc("verdict"), iris.verdict_iri(verdict.id))
    return list(g.quads)


def flags_from_quads(quads: Iterable[Quad]) -> list[Flag]:
    """The flags the duplicates graph holds, refuted ones too, as the rules raised them."""
    cases: dict[NamedNode, set[str]] = defaultdict(set)
    reasons: dict[NamedNode, list[str]] = defaultdict(list)
    for q in quads:
        if not isinstance(q.subject, NamedNode) or not isinstance(q.object, NamedNode | Literal):
            continue
        if q.predicate in (tc("flagsCase"), tc("refutedCase")):
            cases[q.subject].add(iris.case_id(q.object.value) or "")
        elif q.predicate == tc("reason") and q.object.value != JUDGED_SAME:
            reasons[q.subject].append(q.object.value)
    found = []
    for node, pair in cases.items():
        first, second = sorted(pair)
        if reasons[node] and first:
            found.append(Flag(first, second, tuple(sorted(reasons[node]))))
    return sorted(found, key=lambda f: (f.first, f.second))


def refresh_duplicates(
    registry: Registry, cases: Sequence[CaseFeatures], verdicts: Sequence[PairVerdict] = ()
) -> list[Flag]:
    """Flag the duplicates among the cases and rewrite the duplicates graph with them.

    Curators' verdicts on flags (``flag_quads``) act on what is written.
    """
    query = registry.get("article-authors")
    everyone = prepare(query, bind_params(query, {}))  # no PMID: every article's authors
    rows = (
        {name: to_value(s[name]) for name in ("pmid", "family", "given", "affiliation")}
        for s in registry.store.query(everyone)  # type: ignore[attr-defined]
    )
    flags = find_duplicates(cases, authorship_from_rows(rows))
    quads = flag_quads(flags, verdicts)
    if quads:
        registry.store.replace_graphs({DUPLICATES_GRAPH: quads})
    elif DUPLICATES_GRAPH in registry.store.graph_names():
        registry.store.drop_graphs([DUPLICATES_GRAPH])  # no empty graph left to count
    return flags
