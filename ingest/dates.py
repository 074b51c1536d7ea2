"""Publication dates as PubMed writes them, parsed to year and month where possible."""

from __future__ import annotations

import re
from datetime import date

from kb.models import PubDate

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_SEASONS = {"spring", "summer", "fall", "autumn", "winter"}

# A year, then optionally a month (name or number) and a day; whatever follows (a range, a
# second year, a season) is kept in `raw` and only named seasons are recognised.
_LEADING = re.compile(
    r"^\s*(?P<year>\d{4})(?:[\s/-]+(?P<month>[A-Za-z]+\.?|\d{1,2})(?![\d:])"
    r"(?:[\s/-]+(?P<day>\d{1,2})(?!\d))?)?",
)
_SEASON_WORD = re.compile(r"\b(spring|summer|fall|autumn|winter)\b", re.IGNORECASE)


def parse_month(text: str | None) -> int | None:
    """Return the month number of a name, an abbreviation or a number, or None.

    >>> parse_month("Sep"), parse_month("september"), parse_month("09"), parse_month("Spring")
    (9, 9, 9, None)
    """
    if not text:
        return None
    text = text.strip().rstrip(".").lower()
    if text.isascii() and text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(text)


def _day(text: str | None) -> int | None:
    if not text or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= 31 else None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    text = text.strip()
    return int(text) if len(text) == 4 and text.isascii() and text.isdigit() else None


def parse_date_text(text: str | None) -> PubDate:
    """Parse a free-form PubMed date (MedlineDate, MEDLINE ``DP``) as far as it goes.

    The raw text is always kept; a range keeps its first month; a season is named.

    >>> parse_date_text("1998 Dec-1999 Jan").model_dump(exclude_none=True)
    {'year': 1998, 'month': 12, 'raw': '1998 Dec-1999 Jan'}
    >>> parse_date_text("2011 Winter").model_dump(exclude_none=True)
    {'year': 2011, 'season': 'Winter', 'raw': '2011 Winter'}
    """
    raw = " ".join(text.split()) if text else ""
    if not raw:
        return PubDate()
    found = _LEADING.match(raw)
    if found is None:
        # Dates such as "Spring 2000" or "Winter 1998-1999": take the first year anywhere.
        year_match = re.search(r"\b(\d{4})\b", raw)
        year = int(year_match.group(1)) if year_match else None
        return PubDate(year=year, season=_season(raw), raw=raw)
    month = parse_month(found.group("month"))
    day = _day(found.group("day")) if month else None
    season = None if month else _season(raw)
    return PubDate(year=int(found.group("year")), month=month, day=day, season=season, raw=raw)


def _season(text: str) -> str | None:
    found = _SEASON_WORD.search(text)
    return found.group(1).capitalize() if found else None


def parse_date_parts(
    year: str | None,
    month: str | None = None,
    day: str | None = None,
    season: str | None = None,
    medline_date: str | None = None,
) -> PubDate:
    """Build a PubDate from PubMed's structured parts, or from its MedlineDate.

    >>> parse_date_parts("1990", season="Spring").model_dump(exclude_none=True)
    {'year': 1990, 'season': 'Spring'}
    """
    if medline_date and not year:
        return parse_date_text(medline_date)
    parsed_month = parse_month(month)
    season_text = " ".join(season.split()) if season else None
    if season_text is None and month and parsed_month is None and not month.strip().isdigit():
        season_text = " ".join(month.split()) or None  # e.g. <Month>Spring</Month>
    return PubDate(
        year=_year(year),
        month=parsed_month,
        day=_day(day.strip() if day else None) if parsed_month else None,
        season=season_text,
    )


def to_date(year: str | None, month: str | None, day: str | None) -> date | None:
    """Return a calendar date from PubMed's parts, or None when they do not make one.

    >>> to_date("2020", "02", "30") is None, to_date("2020", "Feb", "29")
    (True, datetime.date(2020, 2, 29))
    """
    parsed_year, parsed_month, parsed_day = _year(year), parse_month(month), _day(day)
    if parsed_year is None or parsed_month is None or parsed_day is None:
        return None
    try:
        return date(parsed_year, parsed_month, parsed_day)
    except ValueError:
        return None
