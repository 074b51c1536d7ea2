"""Publication dates: MedlineDate ranges, seasons, month names and numbers."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.dates import parse_date_parts, parse_date_text, parse_month, to_date

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.mark.parametrize(
    ("text", "year", "month", "day", "season"),
    [
        ("2009 Jul-Aug", 2009, 7, None, None),
        ("2019 May - Jun", 2019, 5, None, None),
        ("2019 May/June", 2019, 5, None, None),
        ("2011 Winter", 2011, None, None, "Winter"),
        ("2025 Jan-Dec", 2025, 1, None, None),
        ("1998 Dec-1999 Jan", 1998, 12, None, None),
        ("2002 Sep 15", 2002, 9, 15, None),
        ("2018 Nov 1", 2018, 11, 1, None),
        ("2012 Jun 5-12", 2012, 6, 5, None),
        ("1975-1976", 1975, None, None, None),
        ("2000 Spring-Summer", 2000, None, None, "Spring"),
        ("Fall 1999", 1999, None, None, "Fall"),
        ("2019", 2019, None, None, None),
        ("2020-03-15", 2020, 3, 15, None),
        ("2014 Sept.", 2014, 9, None, None),
    ],
)
def test_free_text_dates_give_year_month_day_and_season(
    text: str, year: int, month: int | None, day: int | None, season: str | None
) -> None:
    parsed = parse_date_text(text)
    assert (parsed.year, parsed.month, parsed.day, parsed.season) == (year, month, day, season)
    assert parsed.raw == text


def test_raw_text_is_kept_with_whitespace_collapsed() -> None:
    assert parse_date_text("  2019   May -\n Jun ").raw == "2019 May - Jun"


def test_text_without_a_year_keeps_only_the_raw_text() -> None:
    parsed = parse_date_text("unknown")
    assert (parsed.year, parsed.month, parsed.raw) == (None, None, "unknown")


def test_an_empty_date_is_empty() -> None:
    assert parse_date_text("").model_dump(exclude_none=True) == {}
    assert parse_date_text(None).model_dump(exclude_none=True) == {}


@pytest.mark.parametrize(
    ("text", "month"),
    [("Jan", 1), ("january", 1), ("SEPT", 9), ("09", 9), ("12", 12), ("13", None), ("0", None)],
)
def test_months_by_name_abbreviation_or_number(text: str, month: int | None) -> None:
    assert parse_month(text) == month


def test_structured_parts_with_a_season() -> None:
    parsed = parse_date_parts("2013", season="Jan-Mar")
    assert (parsed.year, parsed.month, parsed.season) == (2013, None, "Jan-Mar")


def test_structured_parts_with_a_numeric_month_and_day() -> None:
    parsed = parse_date_parts("1976", "09", "28")
    assert (parsed.year, parsed.month, parsed.day) == (1976, 9, 28)


def test_a_medline_date_is_used_when_there_is_no_year() -> None:
    parsed = parse_date_parts(None, medline_date="2019 Jul-Dec")
    assert (parsed.year, parsed.month, parsed.raw) == (2019, 7, "2019 Jul-Dec")


def test_a_season_written_as_a_month_is_kept_as_a_season() -> None:
    parsed = parse_date_parts("1990", month="Spring")
    assert (parsed.month, parsed.season) == (None, "Spring")


def test_an_impossible_month_number_is_dropped_not_taken_for_a_season() -> None:
    parsed = parse_date_parts("2001", month="13", day="2")
    assert (parsed.year, parsed.month, parsed.day, parsed.season) == (2001, None, None, None)


def test_to_date_refuses_impossible_days() -> None:
    assert to_date("2021", "02", "29") is None
    assert to_date("2020", "Feb", "29") == datetime.date(2020, 2, 29)
    assert to_date("2020", None, "1") is None


@given(st.integers(1000, 2999), st.integers(1, 12), st.integers(1, 28), st.booleans())
def test_any_year_month_day_round_trips(year: int, month: int, day: int, by_name: bool) -> None:
    month_text = MONTHS[month - 1] if by_name else f"{month:02d}"
    parsed = parse_date_text(f"{year} {month_text} {day}")
    assert (parsed.year, parsed.month, parsed.day) == (year, month, day)


@given(st.text(max_size=60))
def test_free_text_never_raises(text: str) -> None:
    parsed = parse_date_text(text)
    assert parsed.month is None or 1 <= parsed.month <= 12
    assert parsed.day is None or 1 <= parsed.day <= 31


@given(
    st.one_of(st.none(), st.text(max_size=8)),
    st.one_of(st.none(), st.text(max_size=8)),
    st.one_of(st.none(), st.text(max_size=8)),
    st.one_of(st.none(), st.text(max_size=8)),
    st.one_of(st.none(), st.text(max_size=20)),
)
def test_structured_parts_never_raise(
    year: str | None, month: str | None, day: str | None, season: str | None, medline: str | None
) -> None:
    parse_date_parts(year, month, day, season, medline)
    to_date(year, month, day)
