"""The case browser's facets: the case table's filters, laid out as the ontology orders them.

Pure: from the counts of the case index (``CaseIndex.facets``) and the filters asked for, to
facets of rows of options, each option with its count, whether it is chosen, and the query
string that toggles it. Region comes before its levels, sites and conditions sit under their
broader concept, findings under their modality and MRI sequence with a present and an absent
option each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kb.vocabulary import VERTEBRAE, Concept, region_of

Counts = Mapping[tuple[str, object], int]
Pairs = Sequence[tuple[str, str]]
MULTIPLE = frozenset(("present", "absent"))
# Choosing a value of these drops the page and sort along with the old value.
RESET = ("offset",)


@dataclass(frozen=True)
class Option:
    """One value of a filter: the parameters it sets, its count, and the link toggling it."""

    text: str
    params: tuple[tuple[str, str], ...]
    count: int
    chosen: bool
    href: str


@dataclass(frozen=True)
class Row:
    """A line of a facet: a label (indented by ``depth``) with one option or more."""

    label: str
    options: tuple[Option, ...]
    depth: int = 0
    group: str | None = None


@dataclass(frozen=True)
class Facet:
    """A facet: its parameter names (for its form), title and rows."""

    name: str
    title: str
    rows: tuple[Row, ...]


def toggle(asked: Pairs, params: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The filters after toggling an option's parameters (a page is reset to its first).

    >>> toggle([("region", "region/cervical")], [("region", "region/lumbar")])
    (('region', 'region/lumbar'),)
    >>> toggle([("region", "region/cervical")], [("region", "region/cervical")])
    ()
    >>> toggle([("present", "finding/a")], [("present", "finding/b")])
    (('present', 'finding/a'), ('present', 'finding/b'))
    """
    params = tuple(params)
    kept = [p for p in asked if p[0] not in RESET]
    if all(p in kept for p in params):
        return tuple(p for p in kept if p not in params)
    names = {name for name, _ in params if name not in MULTIPLE}
    kept = [p for p in kept if p[0] not in names]
    # A finding is asked present or absent, never both.
    opposite = {("absent" if n == "present" else "present", v) for n, v in params if n in MULTIPLE}
    return tuple(p for p in kept if p not in opposite) + params


def href(pairs: Iterable[tuple[str, str]]) -> str:
    """The case browser's URL for these filters."""
    from kb.web.render import query_string

    return "/cases" + query_string(pairs)


def option(text: str, params: Iterable[tuple[str, str]], counts: Counts, asked: Pairs) -> Option:
    """An option with its count (of the first parameter's value) and toggling link."""
    params = tuple(params)
    name, value = params[0]
    key: object = value
    if name in ("confirmed", "no_duplicates"):
        key = True
    count = counts.get((name, key), 0)
    chosen = all(p in asked for p in params)
    return Option(text, params, count, chosen, href(toggle(asked, params)))


def concept_rows(
    name: str,
    ids: Iterable[str],
    concepts: Mapping[str, Concept],
    counts: Counts,
    asked: Pairs,
) -> tuple[Row, ...]:
    """One row per concept with cases (or chosen), each under its broader concept."""
    wanted = {c for c in ids if counts.get((name, c)) or (name, c) in asked}
    rows: list[Row] = []

    def walk(cid: str, depth: int) -> None:
        label = concepts[cid].pref_label if cid in concepts else cid
        rows.append(Row(label, (option(label, [(name, cid)], counts, asked),), depth))
        children = [c for c in wanted if cid in _broader(c, concepts)]
        for child in sorted(children, key=lambda c: _label(c, concepts)):
            walk(child, depth + 1)

    tops = [c for c in wanted if not (set(_broader(c, concepts)) & wanted)]
    for top in sorted(tops, key=lambda c: _label(c, concepts)):
        walk(top, 0)
    return tuple(rows)


def build_facets(
    counts: Counts,
    asked: Pairs,
    concepts: Mapping[str, Concept],
    modalities: Mapping[str, str],
) -> list[Facet]:
    """Every facet of the case browser, for the cases the filters asked for select."""
    values: dict[str, set[object]] = {}
    for name, value in counts:
        values.setdefault(name, set()).add(value)

    def ids(name: str) -> set[str]:
        chosen = {v for n, v in asked if n == name}
        return {str(v) for v in values.get(name, set())} | chosen

    def by_concept(name: str, title: str) -> Facet:
        return Facet(name, title, concept_rows(name, ids(name), concepts, counts, asked))

    def one(label: str, name: str, value: str) -> Row:
        return Row(label, (option(label, [(name, value)], counts, asked),))

    findings = _finding_rows(counts, asked, concepts, modalities, ids("present") | ids("absent"))
    designs = sorted(ids("study_design"))
    facets = [
        Facet("place", "Region and level", _place_rows(counts, asked, concepts, ids("region"))),
        by_concept("site", "Compartment and site"),
        Facet("findings", "Imaging findings", findings),
        by_concept("misdiagnosis", "Mistaken for"),
        by_concept("associated", "Associated condition"),
        by_concept("treatment", "Treatment"),
        by_concept("outcome", "Outcome"),
        Facet("year", "Year published", _year_rows(counts, asked)),
        Facet("study_design", "Study design",
              tuple(one(d.replace("-", " "), "study_design", d) for d in designs)),
        Facet("flags", "Evidence", (one("proven by histology", "confirmed", "true"),
                                    one("possible duplicates hidden", "no_duplicates", "true"))),
    ]  # fmt: skip
    return [f for f in facets if f.rows]


def _place_rows(
    counts: Counts, asked: Pairs, concepts: Mapping[str, Concept], regions: set[str]
) -> tuple[Row, ...]:
    rows: list[Row] = []
    levels = [v for v in VERTEBRAE if counts.get(("level", v)) or ("level", v) in asked]
    for region in sorted(regions, key=_region_order):
        label = _label(region, concepts)
        rows.append(Row(label, (option(label, [("region", region)], counts, asked),)))
        for level in (v for v in levels if region_of(v) == region):
            rows.append(Row(level, (option(level, [("level", level)], counts, asked),), 1))
    return tuple(rows)


def _finding_rows(
    counts: Counts,
    asked: Pairs,
    concepts: Mapping[str, Concept],
    modalities: Mapping[str, str],
    findings: set[str],
) -> tuple[Row, ...]:
    def order(cid: str) -> tuple[str, str]:
        return modalities.get(cid, "other"), _label(cid, concepts)

    return tuple(
        Row(
            _label(cid, concepts),
            (
                option("seen", [("present", cid)], counts, asked),
                option("not seen", [("absent", cid)], counts, asked),
            ),
            group=modalities.get(cid, "other"),
        )
        for cid in sorted(findings, key=order)
    )


def _year_rows(counts: Counts, asked: Pairs) -> tuple[Row, ...]:
    decades: dict[int, int] = {}
    for (name, value), n in counts.items():
        if name == "year" and isinstance(value, int) and value > 0:
            decades[value // 10 * 10] = decades.get(value // 10 * 10, 0) + n
    rows = []
    for decade in sorted(decades, reverse=True):
        params = (("year_from", str(decade)), ("year_to", str(decade + 9)))
        text = f"{decade}s"
        chosen = all(p in asked for p in params)
        rows.append(Row(text, (Option(text, params, decades[decade], chosen,
                                      href(toggle(asked, params))),)))  # fmt: skip
    return tuple(rows)


def _label(cid: str, concepts: Mapping[str, Concept]) -> str:
    return concepts[cid].pref_label if cid in concepts else cid


def _broader(cid: str, concepts: Mapping[str, Concept]) -> tuple[str, ...]:
    return concepts[cid].broader if cid in concepts else ()


def _region_order(region: str) -> int:
    order = ("region/craniovertebral-junction", "region/cervical", "region/thoracic",
             "region/lumbar", "region/sacral")  # fmt: skip
    return order.index(region) if region in order else len(order)
