"""E-utilities answers read offline: what is data, what is an error, what esearch found."""

from __future__ import annotations

import json
from dataclasses import dataclass

from lxml import etree

from kb.errors import EutilsError, IncompleteResponseError

RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")

_SAFE_XML = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
)


def parse_body(body: bytes, content_type: str = "") -> etree._Element:
    """Parse an E-utilities XML answer, refusing what is an error rather than data.

    Raises:
        IncompleteResponseError: an empty body, or XML that does not parse (as a body cut
            mid-way does not); the client retries these.
        EutilsError: an ``<ERROR>`` document, a JSON ``{"error": ...}``, an HTML page, or
            JSON where XML was asked for.
    """
    text = body.lstrip()
    if not text:
        raise IncompleteResponseError("empty body")
    head = text[:256].lower()
    if "html" in content_type.lower() or head.startswith((b"<html", b"<!doctype html")):
        raise EutilsError(f"an HTML page instead of XML: {_html_title(body)!r}")
    if "json" in content_type.lower() or text.startswith(b"{"):
        raise EutilsError(_json_error(text))
    try:
        root = etree.fromstring(body, parser=_SAFE_XML)
    except etree.XMLSyntaxError as exc:
        raise IncompleteResponseError(f"incomplete or malformed XML ({exc})") from exc
    if etree.QName(root).localname.lower() == "html":
        raise EutilsError(f"an HTML page instead of XML: {_html_title(body)!r}")
    messages = [root.text or ""] if root.tag == "ERROR" else root.findall("ERROR")
    if messages:
        said = "; ".join(m if isinstance(m, str) else (m.text or "").strip() for m in messages)
        raise EutilsError(f"NCBI answered with an error document: {said}")
    return root


def _html_title(body: bytes) -> str:
    root = etree.fromstring(body, parser=etree.HTMLParser(no_network=True))
    title = root.findtext(".//title") if root is not None else None
    return (title or "untitled").strip()


def _json_error(text: bytes) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return "JSON that does not parse, where XML was asked for"
    if isinstance(data, dict) and data.get("error"):
        return f"NCBI answered with an error document: {data['error']}"
    return "JSON where XML was asked for"


@dataclass(frozen=True)
class EsearchPage:
    """One eSearchResult: the count, the ids on this page, the history handles, the notes."""

    count: int
    ids: tuple[str, ...]
    webenv: str | None = None
    query_key: str | None = None
    translation: str | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def parse_esearch(body: bytes) -> EsearchPage:
    """Read an eSearchResult document (the shape of Biopython's ``esearch2.xml``).

    ``ErrorList`` entries (``PhraseNotFound``, ...) and ``WarningList`` entries are notes,
    not failures: NCBI still ran the search. An ``<ERROR>`` is a failure.
    """
    return read_esearch(parse_body(body))


def read_esearch(root: etree._Element) -> EsearchPage:
    """Read a parsed eSearchResult element (see ``parse_esearch``)."""
    if root.tag != "eSearchResult":
        raise EutilsError(f"expected an eSearchResult, got <{root.tag}>")
    count = (root.findtext("Count") or "").strip()
    if not count.isdigit():
        raise EutilsError(f"eSearchResult without a usable Count: {count!r}")
    return EsearchPage(
        count=int(count),
        ids=tuple((e.text or "").strip() for e in root.iterfind("IdList/Id")),
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        translation=root.findtext("QueryTranslation"),
        errors=tuple(_note(e) for e in root.iterfind("ErrorList/*")),
        warnings=tuple(_note(e) for e in root.iterfind("WarningList/*")),
    )


def _note(element: etree._Element) -> str:
    return f"{element.tag}: {(element.text or '').strip()}"


def returned_pmids(root: etree._Element) -> list[str]:
    """Return the PMID of every article in a PubmedArticleSet, in order."""
    return [
        (r.findtext("MedlineCitation/PMID") or r.findtext("BookDocument/PMID") or "").strip()
        for r in root
        if r.tag in RECORD_TAGS
    ]


def error_text(body: bytes, content_type: str = "") -> str:
    """Return what an error answer says (for a 4xx), or "no error message"."""
    try:
        parse_body(body, content_type)
    except EutilsError as exc:
        return str(exc)
    return "no error message"
