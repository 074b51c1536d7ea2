"""An abstract with every mention an assertion was read from marked in place.

Pure: the extractor keeps each assertion's sentence and the mention's offsets inside it
(``sentence[start:end]``); here each sentence is found in the abstract and each mention
placed, the assertions of one span gathered on one mark. Mentions that overlap an earlier
one join its mark, so that nothing read is hidden; assertions whose sentence is not in the
abstract (the title's) are handed back apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]


@dataclass
class Mark:
    """A span of the abstract and the assertions read from it."""

    start: int
    end: int
    rows: list[Row] = field(default_factory=list)

    @property
    def absent(self) -> bool:
        """Whether every assertion of the span says the thing was not there."""
        return all(r.get("polarity") == "absent" for r in self.rows)

    @property
    def roles(self) -> list[str]:
        """The roles of the span's assertions, each once, in order."""
        return list(dict.fromkeys(str(r.get("role")) for r in self.rows))


@dataclass(frozen=True)
class Segment:
    """A run of text, marked or not."""

    text: str
    mark: Mark | None = None


def place(abstract: str, row: Row) -> tuple[int, int] | None:
    """Where in the abstract an assertion's mention lies, or None if it cannot be found.

    >>> place("Pain. No enhancement was seen.", {"sentence": "No enhancement was seen.",
    ...       "start": 3, "end": 14, "mention": "enhancement"})
    (9, 20)
    """
    sentence = str(row.get("sentence") or "")
    at = abstract.find(sentence) if sentence else -1
    if at < 0:
        return None
    start, end = row.get("start"), row.get("end")
    mention = str(row.get("mention") or "")
    if (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(sentence)
        and (not mention or sentence[start:end] == mention)
    ):
        return at + start, at + end
    inside = sentence.find(mention) if mention else -1
    return (at + inside, at + inside + len(mention)) if inside >= 0 else None


def marks(abstract: str, rows: Iterable[Row]) -> tuple[list[Mark], list[Row]]:
    """The marks of the abstract, in order and not overlapping, and the rows not placed."""
    spans: dict[tuple[int, int], Mark] = {}
    apart: list[Row] = []
    for row in rows:
        where = place(abstract, row)
        if where is None:
            apart.append(row)
        else:
            spans.setdefault(where, Mark(*where)).rows.append(row)
    kept: list[Mark] = []
    for mark in sorted(spans.values(), key=lambda m: (m.start, m.start - m.end)):
        if kept and mark.start < kept[-1].end:
            kept[-1].rows.extend(mark.rows)
        else:
            kept.append(mark)
    return kept, apart


def paragraphs(abstract: str, found: Sequence[Mark]) -> list[list[Segment]]:
    r"""The abstract's sections (one per line), each as segments of plain and marked text.

    >>> [[(s.text, s.mark is not None) for s in p]
    ...  for p in paragraphs("A cyst.\nNo rim.", [Mark(2, 6), Mark(11, 14)])]
    [[('A ', False), ('cyst', True), ('.', False)], [('No ', False), ('rim', True), ('.', False)]]
    """
    result: list[list[Segment]] = []
    at = 0
    for line in abstract.split("\n"):
        end = at + len(line)
        segments: list[Segment] = []
        cursor = at
        for mark in found:
            if mark.start < at or mark.end > end:
                continue
            if mark.start > cursor:
                segments.append(Segment(abstract[cursor : mark.start]))
            segments.append(Segment(abstract[mark.start : mark.end], mark))
            cursor = mark.end
        if cursor < end:
            segments.append(Segment(abstract[cursor:end]))
        result.append(segments)
        at = end + 1
    return result
