"""PubMed XML into Article records: fields, streaming, broken records and truncation."""

from __future__ import annotations

import contextlib
import datetime
import gzip
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ingest.pubmed_xml import iter_records, parse_article
from kb.errors import InputError, KBError, NotPubMedError, RecordError
from kb.models import Article, Deletion, Rejection

DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)

FULL = """<PubmedArticle>
<MedlineCitation Status="MEDLINE" Owner="NLM">
  <PMID Version="2">12345</PMID>
  <Article PubModel="Print">
    <Journal>
      <ISSN IssnType="Electronic">1234-567X</ISSN>
      <JournalIssue CitedMedium="Internet"><Volume>12</Volume><Issue>3</Issue>
        <PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
      <Title>Spine journal</Title><ISOAbbreviation>Spine J</ISOAbbreviation>
    </Journal>
    <ArticleTitle>Calcified mass at <i>C1</i>-C2 with Ca<sup>2+</sup>
      and H<sub>2</sub>O.</ArticleTitle>
    <Pagination><MedlinePgn>101-9</MedlinePgn></Pagination>
    <ELocationID EIdType="doi" ValidYN="Y">10.1/abc</ELocationID>
    <Abstract>
      <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Tumoral <b>calcinosis</b>
        is <u>rare</u>.</AbstractText>
      <AbstractText Label="CASE" NlmCategory="METHODS">Uptake was <mml:math
          xmlns:mml="http://www.w3.org/1998/Math/MathML">
          <mml:msub>
            <mml:mi>x</mml:mi>
            <mml:mn>2</mml:mn>
          </mml:msub>
        </mml:math> per day.</AbstractText>
    </Abstract>
    <AuthorList CompleteYN="Y">
      <Author ValidYN="Y" EqualContrib="Y"><LastName>Doe</LastName><ForeName>Jane A</ForeName>
        <Initials>JA</Initials><Suffix>Jr</Suffix>
        <Identifier Source="ORCID">https://orcid.org/0000-0002-1825-009x</Identifier>
        <AffiliationInfo><Affiliation>Dept A, City.</Affiliation></AffiliationInfo>
        <AffiliationInfo><Affiliation>Dept B, Town.</Affiliation></AffiliationInfo></Author>
      <Author ValidYN="N"><LastName>Deo</LastName><ForeName>Jane</ForeName></Author>
      <Author ValidYN="Y"><CollectiveName>Spine Study Group</CollectiveName></Author>
    </AuthorList>
    <Language>eng</Language><Language>fre</Language>
    <PublicationTypeList>
      <PublicationType UI="D002363">Case Reports</PublicationType>
      <PublicationType UI="D016441">Retracted Publication</PublicationType>
    </PublicationTypeList>
    <VernacularTitle>Masse calcifiee.</VernacularTitle>
  </Article>
  <MeshHeadingList>
    <MeshHeading><DescriptorName UI="D002114" MajorTopicYN="Y">Calcinosis</DescriptorName>
      <QualifierName UI="Q000000981" MajorTopicYN="N">diagnostic imaging</QualifierName>
      <QualifierName UI="Q000601" MajorTopicYN="Y">surgery</QualifierName></MeshHeading>
    <MeshHeading><DescriptorName UI="D006801" MajorTopicYN="N">Humans</DescriptorName></MeshHeading>
  </MeshHeadingList>
  <KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">cervical spine</Keyword></KeywordList>
  <CommentsCorrectionsList>
    <CommentsCorrections RefType="RetractionIn"><RefSource>Spine J. 2020;1:1</RefSource>
      <PMID Version="1">999</PMID></CommentsCorrections>
    <CommentsCorrections RefType="Cites"><RefSource>Old paper</RefSource></CommentsCorrections>
  </CommentsCorrectionsList>
  <OtherAbstract Type="Publisher" Language="fre">
    <AbstractText>Une masse.</AbstractText>
  </OtherAbstract>
</MedlineCitation>
<PubmedData>
  <History>
    <PubMedPubDate PubStatus="received">
      <Year>1998</Year><Month>2</Month><Day>30</Day></PubMedPubDate>
    <PubMedPubDate PubStatus="pubmed"><Year>1999</Year><Month>1</Month><Day>5</Day></PubMedPubDate>
  </History>
  <ArticleIdList>
    <ArticleId IdType="pubmed">12345</ArticleId><ArticleId IdType="pmc">PMC42</ArticleId>
  </ArticleIdList>
</PubmedData>
</PubmedArticle>"""


def article_xml(pmid: str = "1", version: int = 1, title: str = "A title.") -> str:
    """A small PubmedArticle element."""
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="{version}">{pmid}'
        f"</PMID><Article><ArticleTitle>{title}</ArticleTitle></Article></MedlineCitation>"
        "</PubmedArticle>"
    )


def document(*records: str, doctype: str = DOCTYPE) -> bytes:
    """A PubmedArticleSet document around some records."""
    body = "\n".join(records)
    text = f'<?xml version="1.0"?>\n{doctype}\n<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n'
    return text.encode()


def read(data: bytes, name: str = "test.xml") -> list[Article | Deletion | Rejection]:
    return list(iter_records(io.BytesIO(data), name=name))


def test_parse_article_reads_every_field_of_a_full_record() -> None:
    article = parse_article(etree.fromstring(FULL))
    assert (article.pmid, article.version, article.citation_status) == ("12345", 2, "MEDLINE")
    assert article.title == "Calcified mass at C1-C2 with Ca2+ and H2O."
    assert article.vernacular_title == "Masse calcifiee."
    assert [(s.label, s.category, s.text) for s in article.abstract] == [
        ("BACKGROUND", "BACKGROUND", "Tumoral calcinosis is rare."),
        ("CASE", "METHODS", "Uptake was x2 per day."),
    ]
    assert article.other_abstracts[0].type == "Publisher"
    assert article.other_abstracts[0].language == "fre"
    assert article.other_abstracts[0].sections[0].text == "Une masse."
    doe, group = article.authors
    assert (doe.last_name, doe.fore_name, doe.initials, doe.suffix) == ("Doe", "Jane A", "JA", "Jr")
    assert doe.orcid == "0000-0002-1825-009X"
    assert doe.affiliations == ("Dept A, City.", "Dept B, Town.")
    assert doe.equal_contrib is True
    assert group.collective_name == "Spine Study Group" and group.last_name is None
    journal = article.journal
    assert journal is not None
    assert (journal.title, journal.iso_abbreviation, journal.issn, journal.issn_type) == (
        "Spine journal",
        "Spine J",
        "1234-567X",
        "Electronic",
    )
    assert (journal.volume, journal.issue, journal.pages) == ("12", "3", "101-9")
    assert (article.pub_date.year, article.pub_date.month) == (1998, 12)
    assert article.pub_date.raw == "1998 Dec-1999 Jan"
    assert [(i.id_type, i.value) for i in article.article_ids] == [
        ("pubmed", "12345"),
        ("pmc", "PMC42"),
        ("doi", "10.1/abc"),
    ]
    assert [(t.ui, t.name) for t in article.publication_types] == [
        ("D002363", "Case Reports"),
        ("D016441", "Retracted Publication"),
    ]
    calcinosis = article.mesh_headings[0]
    assert (calcinosis.descriptor_ui, calcinosis.descriptor_name, calcinosis.major_topic) == (
        "D002114",
        "Calcinosis",
        True,
    )
    assert [(q.name, q.major_topic) for q in calcinosis.qualifiers] == [
        ("diagnostic imaging", False),
        ("surgery", True),
    ]
    assert article.keywords[0].text == "cervical spine" and article.keywords[0].owner == "NOTNLM"
    assert article.languages == ("eng", "fre")
    assert [(c.ref_type, c.pmid, c.ref_source) for c in article.comments_corrections] == [
        ("RetractionIn", "999", "Spine J. 2020;1:1")
    ]
    assert article.is_retracted
    # 1998-02-30 is no date: it is left out, the valid one stays.
    assert [(h.status, h.date) for h in article.history] == [("pubmed", datetime.date(1999, 1, 5))]


def test_inline_markup_loses_no_words() -> None:
    title = (
        "A <i>TERT</i> variant in <b>bold</b>, <u>under</u>, x<sup>2</sup> and CO<sub>2</sub> end."
    )
    article = parse_article(etree.fromstring(article_xml(title=title)))
    assert article.title == "A TERT variant in bold, under, x2 and CO2 end."


def test_a_record_without_pmid_is_rejected_and_the_batch_goes_on() -> None:
    broken = "<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>"
    records = read(document(article_xml("1"), broken, article_xml("3")), name="batch.xml")
    assert [type(r) for r in records] == [Article, Rejection, Article]
    rejection = records[1]
    assert isinstance(rejection, Rejection)
    assert rejection.file == "batch.xml"
    assert rejection.where.startswith("record 2, line 5")
    assert rejection.reason == "no PMID"


def test_a_non_numeric_pmid_is_a_record_error() -> None:
    with pytest.raises(RecordError, match="not a number"):
        parse_article(etree.fromstring(article_xml("12a")))


def test_delete_citation_yields_one_deletion_per_pmid() -> None:
    deleted = (
        "<DeleteCitation><PMID Version='1'>5</PMID><PMID Version='1'>6</PMID></DeleteCitation>"
    )
    records = read(document(article_xml("4"), deleted))
    assert records[1:] == [Deletion(pmid="5"), Deletion(pmid="6")]


def test_every_version_of_a_pmid_is_yielded_in_file_order() -> None:
    records = read(document(*(article_xml("7", version=v) for v in (1, 2, 3))))
    assert [(r.pmid, r.version) for r in records if isinstance(r, Article)] == [
        ("7", 1),
        ("7", 2),
        ("7", 3),
    ]


def test_gzip_is_detected_by_magic_bytes_not_by_name() -> None:
    data = gzip.compress(document(article_xml("8"), article_xml("9")))
    assert [r.pmid for r in read(data, name="no-suffix") if isinstance(r, Article)] == ["8", "9"]


def test_a_path_is_read_like_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "two.xml"
    path.write_bytes(document(article_xml("10"), article_xml("11")))
    assert [r.pmid for r in iter_records(path) if isinstance(r, Article)] == ["10", "11"]


def test_a_missing_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    with pytest.raises(InputError, match=r"nope\.xml: cannot open"):
        list(iter_records(missing))


def test_truncated_xml_keeps_the_records_before_the_break() -> None:
    data = document(article_xml("1"), article_xml("2"), article_xml("3"))
    cut = data[: data.rindex(b"<PubmedArticle>") + 40]
    records = read(cut)
    assert [r.pmid for r in records if isinstance(r, Article)] == ["1", "2"]
    assert isinstance(records[-1], Rejection)
    assert "after record 2 (PMID 2)" in records[-1].where
    assert not records[-1].where.startswith("line 0")
    assert "breaks" in records[-1].reason


def test_a_truncated_gzip_member_keeps_the_records_before_the_break() -> None:
    records_xml = [article_xml(str(n), title="word " * 200) for n in range(1, 400)]
    data = gzip.compress(document(*records_xml))
    records = read(data[: len(data) * 3 // 4])
    articles = [r for r in records if isinstance(r, Article)]
    assert 0 < len(articles) < 399
    assert [a.pmid for a in articles] == [str(n) for n in range(1, len(articles) + 1)]
    assert isinstance(records[-1], Rejection)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b"PMID- 123\n", "not XML"),
        (b"<html><body>Error</body></html>", "<html>"),
        (
            b"<?xml version='1.0'?><eSearchResult><Count>0</Count></eSearchResult>",
            "<eSearchResult>",
        ),
        (b"<pmc-articleset><article/></pmc-articleset>", "<pmc-articleset>"),
    ],
)
def test_what_is_not_pubmed_xml_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(NotPubMedError, match=message):
        read(data)


def test_an_entity_the_unfetched_dtd_would_define_stays_as_text() -> None:
    records = read(document(article_xml("1", title="A &nbsp; B")))
    assert [r.title for r in records if isinstance(r, Article)] == ["A &nbsp; B"]


def test_an_undeclared_entity_without_a_dtd_is_reported_where_it_is() -> None:
    records = read(document(article_xml("1"), article_xml("2", title="A &nbsp; B"), doctype=""))
    assert [type(r) for r in records] == [Article, Rejection]
    assert records[1].where.startswith("line 5, after record 1 (PMID 1)")  # type: ignore[union-attr]
    assert "nbsp" in records[1].reason  # type: ignore[union-attr]


def test_an_empty_article_set_has_no_records() -> None:
    assert read(document()) == []


def test_a_book_article_is_read_with_is_book() -> None:
    book = (
        "<PubmedBookArticle><BookDocument><PMID Version='1'>20301577</PMID>"
        "<Book><BookTitle>GeneReviews<sup>®</sup></BookTitle><PubDate><Year>1993</Year></PubDate>"
        "</Book><ArticleTitle><i>CACNA1C</i>-Related Disorders</ArticleTitle>"
        "<Abstract><AbstractText Label='SUMMARY'>Text.</AbstractText></Abstract>"
        "</BookDocument></PubmedBookArticle>"
    )
    (article,) = read(document(book))
    assert isinstance(article, Article)
    assert (article.pmid, article.is_book, article.title) == (
        "20301577",
        True,
        "CACNA1C-Related Disorders",
    )
    assert article.pub_date.year == 1993 and article.abstract[0].label == "SUMMARY"


def test_a_book_article_without_its_document_is_rejected_not_fatal() -> None:
    records = read(document("<PubmedBookArticle/>", article_xml("2")))
    assert isinstance(records[0], Rejection) and records[0].reason == "no BookDocument"
    assert isinstance(records[1], Article)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_kb_errors(data: bytes) -> None:
    try:
        for record in read(data):
            assert isinstance(record, Article | Deletion | Rejection)
    except KBError:
        pass


VALID = document(FULL, article_xml("2"), "<DeleteCitation><PMID>3</PMID></DeleteCitation>")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID)), st.binary(max_size=8))
def test_a_damaged_document_raises_only_kb_errors(at: int, junk: bytes) -> None:
    try:
        records = read(VALID[:at] + junk + VALID[at + len(junk) :])
    except KBError:
        return
    assert all(isinstance(r, Article | Deletion | Rejection) for r in records)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(VALID)))
def test_a_cut_document_yields_a_prefix_of_the_whole(at: int) -> None:
    whole = read(VALID)
    try:
        records = read(VALID[:at])
    except KBError:
        return
    good = [r for r in records if not isinstance(r, Rejection)]
    assert good == whole[: len(good)]


TAGS = [
    "MedlineCitation",
    "PMID",
    "Article",
    "ArticleTitle",
    "Abstract",
    "AbstractText",
    "AuthorList",
    "Author",
    "LastName",
    "CollectiveName",
    "Identifier",
    "AffiliationInfo",
    "Affiliation",
    "Journal",
    "JournalIssue",
    "PubDate",
    "Year",
    "Month",
    "Day",
    "MedlineDate",
    "MeshHeadingList",
    "MeshHeading",
    "DescriptorName",
    "QualifierName",
    "PubmedData",
    "History",
    "PubMedPubDate",
    "ArticleIdList",
    "ArticleId",
    "CommentsCorrectionsList",
    "CommentsCorrections",
    "KeywordList",
    "Keyword",
    "BookDocument",
    "i",
    "sup",
]
ATTRIBUTES = st.dictionaries(
    st.sampled_from(
        ["Version", "Label", "NlmCategory", "IdType", "RefType", "PubStatus", "Source"]
    ),
    st.text(alphabet="0123456789abcXORCID-", max_size=6),
    max_size=2,
)


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    element = etree.Element(draw(st.sampled_from(TAGS)), draw(ATTRIBUTES))
    element.text = draw(st.text(alphabet="0123456789 abc-Jan\n", max_size=8))
    if depth < 4:
        element.extend(draw(st.lists(elements(depth + 1), max_size=3)))
    return element


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["PubmedArticle", "PubmedBookArticle"]), st.lists(elements(), max_size=3))
def test_any_shape_of_record_gives_an_article_or_a_record_error(
    tag: str, children: list[etree._Element]
) -> None:
    record = etree.Element(tag)
    record.extend(children)
    with contextlib.suppress(RecordError):
        assert isinstance(parse_article(record), Article)
