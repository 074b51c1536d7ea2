"""PubMed searches by date window: the bounds, the halving of a window, and what was found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kb.errors import EutilsError

# PubMed's esearch (and efetch on the history server) cannot page past this many records.
SEARCH_CAP = 9_999
DATETYPES = frozenset({"edat", "mdat", "pdat", "crdt"})
# The bounds a date window opens with when the caller gives none: wide, and fixed, so a
# split search asks the same windows every time and an offline replay finds them.
FIRST_DAY = date(1800, 1, 1)
LAST_DAY = date(2999, 12, 31)


def parse_date_bound(text: str, *, end: bool) -> date:
    """Read YYYY, YYYY/MM or YYYY/MM/DD (or with dashes) as the first or last day it covers.

    >>> parse_date_bound("2020/02", end=True)
    datetime.date(2020, 2, 29)
    """
    parts = text.strip().replace("-", "/").split("/")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) == 3:
            return date(*numbers)
        if len(numbers) == 2:
            first = date(numbers[0], numbers[1], 1)
            return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1) if end else first
        if len(numbers) == 1:
            return date(numbers[0], 12, 31) if end else date(numbers[0], 1, 1)
    except ValueError:
        pass
    raise EutilsError(f"date {text!r} is not YYYY, YYYY/MM or YYYY/MM/DD")


def format_date(day: date) -> str:
    """Write a date the way E-utilities reads it (YYYY/MM/DD)."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def split_window(start: date, end: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """Cut an inclusive date window into two disjoint halves that cover it.

    >>> [tuple(map(format_date, w)) for w in split_window(date(2020, 1, 1), date(2020, 1, 4))]
    [('2020/01/01', '2020/01/02'), ('2020/01/03', '2020/01/04')]
    """
    middle = start + (end - start) // 2
    return (start, middle), (middle + timedelta(days=1), end)


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPart:
    """The part of a search that lies in one date window, under the esearch cap."""

    mindate: str | None
    maxdate: str | None
    count: int
    ids: tuple[str, ...]
    webenv: str | None
    query_key: str | None


@dataclass(frozen=True)
class SearchResult:
    """A PubMed search: its parts (one per date window) and NCBI's notes about the query."""

    query: str
    datetype: str
    parts: tuple[SearchPart, ...]
    notes: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """Every PMID found, once each, in the order the parts listed them."""
        return tuple(dict.fromkeys(pmid for part in self.parts for pmid in part.ids))

    @property
    def count(self) -> int:
        """How many distinct PMIDs the search found."""
        return len(self.ids)
