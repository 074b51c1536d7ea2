"""MEDLINE text into Article records: fields, author blocks, broken records, odd bytes."""

from __future__ import annotations

import datetime
import gzip
import io
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.medline import iter_medline_records, parse_medline, parse_medline_record
from kb.errors import KBError, RecordError
from kb.models import Article, Rejection

RECORD = """\
PMID- 31000001
OWN - NLM
STAT- MEDLINE
IS  - 1524-4628 (Electronic)
IS  - 0039-2499 (Linking)
VI  - 50
IP  - 3
DP  - 2019 Mar-Apr
TI  - Tumoral calcinosis of the cervical spine: a case report with a title that
      wraps onto a continuation line.
PG  - 697-704
LID - 10.1000/xyz [doi]
AB  - BACKGROUND: Tumoral calcinosis is rare. CASE PRESENTATION: A 55-year-old woman
      had neck pain. CONCLUSIONS: CT helps.
FAU - Doe, Jane A
AU  - Doe JA
AUID- ORCID: 0000-0002-1825-0097
AD  - Dept of Spine, City, Country.
AD  - Second Dept, Town.
FAU - Roe, Richard
AU  - Roe R
AD  - Elsewhere, and a long affiliation that
      continues here.
CN  - Spine Study Group
LA  - eng
PT  - Case Reports
PT  - Journal Article
TT  - Calcinose tumorale.
TA  - Stroke
JT  - Stroke; a journal of cerebral circulation
MH  - *Calcinosis/diagnostic imaging/*surgery
MH  - Cervical Vertebrae
OTO - NOTNLM
OT  - *spine
OT  - calcinosis
RIN - Stroke. 2020;51:1. PMID: 32000001
CIN - Stroke. 2019;50:9.
PHST- 2018/10/01 00:00 [received]
PHST- 2018/02/30 00:00 [accepted]
AID - 10.1000/xyz [doi]
AID - STROKEAHA.118 [pii]
OAB - Publisher: Resume en francais.
OABL- fre
"""


def read(text: str, name: str = "test.nbib") -> list[object]:
    return list(parse_medline(io.StringIO(text), name))


def test_every_field_of_a_record_is_read() -> None:
    article = parse_medline_record(RECORD.splitlines())
    assert article.pmid == "31000001" and article.citation_status == "MEDLINE"
    assert article.title == (
        "Tumoral calcinosis of the cervical spine: a case report with a title that "
        "wraps onto a continuation line."
    )
    assert article.vernacular_title == "Calcinose tumorale."
    assert [(s.label, s.text) for s in article.abstract] == [
        ("BACKGROUND", "Tumoral calcinosis is rare."),
        ("CASE PRESENTATION", "A 55-year-old woman had neck pain."),
        ("CONCLUSIONS", "CT helps."),
    ]
    doe, roe, group = article.authors
    assert (doe.last_name, doe.fore_name, doe.initials) == ("Doe", "Jane A", "JA")
    assert doe.orcid == "0000-0002-1825-0097"
    assert doe.affiliations == ("Dept of Spine, City, Country.", "Second Dept, Town.")
    assert roe.affiliations == ("Elsewhere, and a long affiliation that continues here.",)
    assert roe.orcid is None
    assert group.collective_name == "Spine Study Group"
    journal = article.journal
    assert journal is not None
    assert (journal.title, journal.iso_abbreviation) == (
        "Stroke; a journal of cerebral circulation",
        "Stroke",
    )
    assert (journal.issn, journal.issn_type, journal.volume, journal.issue, journal.pages) == (
        "1524-4628",
        "Electronic",
        "50",
        "3",
        "697-704",
    )
    assert (article.pub_date.year, article.pub_date.month, article.pub_date.raw) == (
        2019,
        3,
        "2019 Mar-Apr",
    )
    assert [(i.id_type, i.value) for i in article.article_ids] == [
        ("pubmed", "31000001"),
        ("doi", "10.1000/xyz"),
        ("pii", "STROKEAHA.118"),
    ]
    assert [t.name for t in article.publication_types] == ["Case Reports", "Journal Article"]
    calcinosis, vertebrae = article.mesh_headings
    assert (calcinosis.descriptor_name, calcinosis.major_topic) == ("Calcinosis", True)
    assert [(q.name, q.major_topic) for q in calcinosis.qualifiers] == [
        ("diagnostic imaging", False),
        ("surgery", True),
    ]
    assert (vertebrae.descriptor_name, vertebrae.qualifiers) == ("Cervical Vertebrae", ())
    assert [(k.text, k.major_topic, k.owner) for k in article.keywords] == [
        ("spine", True, "NOTNLM"),
        ("calcinosis", False, "NOTNLM"),
    ]
    assert [(c.ref_type, c.pmid, c.ref_source) for c in article.comments_corrections] == [
        ("CommentIn", None, "Stroke. 2019;50:9."),
        ("RetractionIn", "32000001", "Stroke. 2020;51:1."),
    ]
    assert article.is_retracted
    assert [(h.status, h.date) for h in article.history] == [
        ("received", datetime.date(2018, 10, 1))
    ]
    (other,) = article.other_abstracts
    assert (other.type, other.language, other.sections[0].text) == (
        "Publisher",
        "fre",
        "Resume en francais.",
    )


def test_crlf_and_lf_give_the_same_records() -> None:
    lf = list(parse_medline(io.StringIO(RECORD)))
    crlf = list(parse_medline(io.StringIO(RECORD.replace("\n", "\r\n"), newline="")))
    assert crlf == lf and len(lf) == 1


def test_an_affiliation_before_the_authors_belongs_to_the_first() -> None:
    text = "PMID- 5\nTI  - T.\nAD  - Old style address.\nFAU - Mangalam, Harry\nAU  - Mangalam H\n"
    (article,) = read(text)
    assert isinstance(article, Article)
    assert article.authors[0].affiliations == ("Old style address.",)


def test_au_without_fau_is_still_an_author() -> None:
    (article,) = read("PMID- 6\nAU  - Smith JR\nAU  - van der Berg A\n")
    assert isinstance(article, Article)
    assert [(a.last_name, a.initials) for a in article.authors] == [
        ("Smith", "JR"),
        ("van der Berg", "A"),
    ]


def test_records_starting_with_pmc_and_empty_fields_are_read() -> None:
    text = "\nPMC - PMC6055010\nPMID- 30042925\nTI  - A title.\nAB  - \nOAB - Publisher: Text.\n"
    (article,) = read(text)
    assert isinstance(article, Article)
    assert article.pmc == "PMC6055010" and article.abstract == ()


def test_a_record_without_pmid_is_rejected_and_the_next_is_read() -> None:
    records = read("TI  - No id here.\n\nPMID- 7\nTI  - Fine.\n", name="two.txt")
    assert isinstance(records[0], Rejection)
    assert (records[0].file, records[0].where, records[0].reason) == (
        "two.txt",
        "line 1",
        "no PMID",
    )
    assert isinstance(records[1], Article) and records[1].pmid == "7"


def test_a_non_numeric_pmid_is_a_record_error() -> None:
    with pytest.raises(RecordError, match="not a number"):
        parse_medline_record(["PMID- 12x"])


def test_text_that_is_not_medline_is_rejected_per_record() -> None:
    records = read("hello world\n\nPMID- 8\n")
    assert isinstance(records[0], Rejection) and records[0].reason == "not a MEDLINE field line"
    assert isinstance(records[1], Article)


def test_bytes_that_are_not_utf8_reject_only_their_record() -> None:
    latin1 = "PMID- 9\nTI  - Caf\xe9.\n".encode("latin-1")
    utf8 = "\nPMID- 11\nTI  - Caf\u00e9 ok.\n".encode()
    records = list(iter_medline_records(io.BytesIO(latin1 + utf8), name="mixed.txt"))
    assert (
        isinstance(records[0], Rejection)
        and "line 2: bytes that are not UTF-8" in records[0].reason
    )
    assert [r.title for r in records if isinstance(r, Article)] == ["Café ok."]


def test_a_utf8_bom_and_gzip_are_handled() -> None:
    data = gzip.compress(b"\xef\xbb\xbfPMID- 12\nTI  - Gzipped.\n")
    (article,) = list(iter_medline_records(io.BytesIO(data)))
    assert isinstance(article, Article) and article.title == "Gzipped."


def _records_or_a_kb_error(reading: Callable[[], list[object]]) -> None:
    """Reading gives articles and rejections, or fails with a KBError: nothing else."""
    try:
        records = reading()
    except KBError:
        return
    assert all(isinstance(r, Article | Rejection) for r in records)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_kb_errors(text: str) -> None:
    _records_or_a_kb_error(lambda: read(text))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["PMID", "TI", "AB", "FAU", "AU", "AD", "AUID", "CN", "MH", "DP"]),
            st.text(max_size=30),
        ),
        max_size=12,
    )
)
def test_arbitrary_field_lines_raise_only_kb_errors(fields: list[tuple[str, str]]) -> None:
    text = "".join(f"{tag:<4}- {value}\n" for tag, value in fields)
    _records_or_a_kb_error(lambda: read(text))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_kb_errors(data: bytes) -> None:
    _records_or_a_kb_error(lambda: list(iter_medline_records(io.BytesIO(data))))
