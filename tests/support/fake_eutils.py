"""A fake NCBI E-utilities server on 127.0.0.1: esearch, efetch, the history server, faults."""

from __future__ import annotations

import copy
import itertools
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

SEARCH_CAP = 9_999
ESEARCH_DOCTYPE = (
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">'
)
PUBMED_DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
DATE_LABELS = {"edat": "Date - Entry", "crdt": "Date - Create", "mdat": "Date - Modification"}
PUBLICATION_TYPES = {
    "Journal Article": "D016428",
    "Retracted Publication": "D016441",
    "Retraction of Publication": "D016440",
}


# --- the in-memory PubMed ------------------------------------------------------------------


@dataclass(frozen=True)
class FakeRecord:
    """One PubMed record the fake serves; ``element`` is a real PubmedArticle, if loaded."""

    pmid: str
    entered: date
    modified: date
    published: date
    title: str | None = None
    abstract: str = "A generated abstract of a tumoral calcinosis of the spine."
    types: tuple[str, ...] = ("Journal Article",)
    links: tuple[tuple[str, str], ...] = ()
    # (old, new) replacements in the abstract's text of a loaded record: an abstract revised.
    edits: tuple[tuple[str, str], ...] = ()
    element: etree._Element | None = field(default=None, compare=False, repr=False)

    @property
    def retracted(self) -> bool:
        """True once ``FakePubMed.retract`` marked the record."""
        return "Retracted Publication" in self.types

    def date_of(self, datetype: str) -> date:
        """The record's date of one E-utilities kind (edat, mdat, pdat, crdt)."""
        return {"mdat": self.modified, "pdat": self.published}.get(datetype, self.entered)


class FakePubMed:
    """An in-memory PubMed: records by PMID, changed by the test between calls.

    ``match(term, record)`` decides which records a query finds; by default every live
    record matches every query.
    """

    def __init__(self) -> None:
        self.records: dict[str, FakeRecord] = {}
        self.match: Callable[[str, FakeRecord], bool] = lambda term, record: True
        self._lock = threading.RLock()

    def add(
        self,
        pmid: str | int,
        *,
        entered: date = date(2020, 1, 1),
        modified: date | None = None,
        published: date | None = None,
        title: str | None = None,
        **extra: Any,
    ) -> FakeRecord:
        """Add (or replace) a record; dates default to its entry date.

        A generated record (no ``element``) gets a title when none is given; a loaded one
        keeps the title of its element unless ``title`` is given.
        """
        if title is None and extra.get("element") is None:
            title = f"Generated record {pmid}: tumoral calcinosis of the spine."
        record = FakeRecord(
            pmid=str(pmid),
            entered=entered,
            modified=modified or entered,
            published=published or entered,
            title=title,
            **extra,
        )
        with self._lock:
            self.records[record.pmid] = record
        return record

    def add_many(
        self,
        count: int,
        *,
        first_pmid: int = 30_000_001,
        first_day: date = date(2020, 1, 1),
        per_day: int = 1,
    ) -> list[FakeRecord]:
        """Add ``count`` generated records, ``per_day`` entered per day from ``first_day``."""
        return [
            self.add(first_pmid + n, entered=first_day + timedelta(days=n // per_day))
            for n in range(count)
        ]

    def load_xml(self, source: Path | bytes, *, first_day: date = date(2020, 1, 1)) -> list[str]:
        """Add every PubmedArticle of a PubMed XML file; return their PMIDs.

        A record's entry date is its History ``entrez`` date, or one day per record from
        ``first_day`` when it has none (the bundled sample has none).
        """
        data = source.read_bytes() if isinstance(source, Path) else source
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.fromstring(data, parser=parser)
        pmids = []
        for n, element in enumerate(root.iterfind("PubmedArticle")):
            pmid = (element.findtext("MedlineCitation/PMID") or "").strip()
            entered = _read_date(
                element.find("PubmedData/History/PubMedPubDate[@PubStatus='entrez']")
            )
            self.add(
                pmid,
                entered=entered or first_day + timedelta(days=n),
                types=(),
                element=copy.deepcopy(element),
            )
            pmids.append(pmid)
        return pmids

    def change(self, pmid: str | int, on: date, **fields: Any) -> FakeRecord:
        """Change a record: its modification date moves to ``on``; fields (title...) change."""
        with self._lock:
            record = replace(self.records[str(pmid)], modified=on, **fields)
            self.records[record.pmid] = record
        return record

    def delete(self, pmid: str | int) -> None:
        """Withdraw a record: esearch no longer finds it, efetch no longer returns it."""
        with self._lock:
            del self.records[str(pmid)]

    def retract(self, pmid: str | int, on: date, notice_pmid: str | int) -> FakeRecord:
        """Retract a record as PubMed shows it, and add the retraction notice."""
        with self._lock:
            record = self.records[str(pmid)]
            self.add(
                notice_pmid,
                entered=on,
                title=f"Retraction notice of PMID {record.pmid}.",
                types=("Retraction of Publication",),
                links=(("RetractionOf", record.pmid),),
            )
            return self.change(
                pmid,
                on,
                types=(*record.types, "Retracted Publication"),
                links=(*record.links, ("RetractionIn", str(notice_pmid))),
            )

    def search(
        self,
        term: str,
        datetype: str = "edat",
        mindate: date | None = None,
        maxdate: date | None = None,
    ) -> list[str]:
        """Return the PMIDs a query finds, newest entry first, like PubMed's default sort."""
        with self._lock:
            found = [
                r
                for r in self.records.values()
                if self.match(term, r)
                and (mindate is None or r.date_of(datetype) >= mindate)
                and (maxdate is None or r.date_of(datetype) <= maxdate)
            ]
        found.sort(key=lambda r: (r.entered, int(r.pmid)), reverse=True)
        return [r.pmid for r in found]

    def render(self, pmids: Iterable[str]) -> bytes:
        """Return a PubmedArticleSet of the live records among ``pmids``, in that order."""
        with self._lock:
            records = [self.records[p] for p in pmids if p in self.records]
        root = etree.Element("PubmedArticleSet")
        root.extend(_element_of(r) for r in records)
        body = etree.tostring(root, encoding="unicode")
        return f'<?xml version="1.0" ?>\n{PUBMED_DOCTYPE}\n{body}\n'.encode()


def _read_date(node: etree._Element | None) -> date | None:
    if node is None:
        return None
    try:
        return date(
            int(node.findtext("Year") or ""),
            int(node.findtext("Month") or ""),
            int(node.findtext("Day") or ""),
        )
    except ValueError:
        return None


def _dated(tag: str, day: date, **attrib: str) -> etree._Element:
    node = etree.Element(tag, attrib)
    for name, value in (("Year", day.year), ("Month", day.month), ("Day", day.day)):
        etree.SubElement(node, name).text = f"{value:02d}"
    return node


def _template(record: FakeRecord) -> etree._Element:
    """A small PubmedArticle (the elements of pubmed_250101.dtd, in its order)."""
    article = etree.Element("PubmedArticle")
    citation = etree.SubElement(article, "MedlineCitation", Status="MEDLINE", Owner="NLM")
    etree.SubElement(citation, "PMID", Version="1").text = record.pmid
    body = etree.SubElement(citation, "Article", PubModel="Print")
    journal = etree.SubElement(body, "Journal")
    issue = etree.SubElement(journal, "JournalIssue", CitedMedium="Print")
    issue.append(_dated("PubDate", record.published))
    etree.SubElement(journal, "Title").text = "Journal of Generated Spine Records"
    etree.SubElement(body, "ArticleTitle")
    abstract = etree.SubElement(body, "Abstract")
    etree.SubElement(abstract, "AbstractText").text = record.abstract
    etree.SubElement(body, "Language").text = "eng"
    etree.SubElement(body, "PublicationTypeList")
    info = etree.SubElement(citation, "MedlineJournalInfo")
    etree.SubElement(info, "MedlineTA").text = "J Gen Spine Rec"
    data = etree.SubElement(article, "PubmedData")
    etree.SubElement(data, "History")
    etree.SubElement(data, "PublicationStatus").text = "ppublish"
    ids = etree.SubElement(data, "ArticleIdList")
    etree.SubElement(ids, "ArticleId", IdType="pubmed").text = record.pmid
    return article


def _element_of(record: FakeRecord) -> etree._Element:
    """The record as served: its element (or the template) with the fake's dates and marks."""
    article = copy.deepcopy(record.element) if record.element is not None else _template(record)
    citation = article.find("MedlineCitation")
    assert citation is not None
    for old in citation.findall("DateRevised"):
        citation.remove(old)
    anchor = citation.find("DateCompleted")
    (anchor if anchor is not None else citation.find("PMID")).addnext(  # type: ignore[union-attr]
        _dated("DateRevised", record.modified)
    )
    title = citation.find("Article/ArticleTitle")
    if title is not None and record.title is not None:
        for child in list(title):
            title.remove(child)
        title.text = record.title
    for part in citation.iterfind("Article/Abstract/AbstractText"):
        for old, new in record.edits:
            part.text = (part.text or "").replace(old, new)
    types = citation.find("Article/PublicationTypeList")
    if types is not None:
        for name in record.types:
            etree.SubElement(types, "PublicationType", UI=PUBLICATION_TYPES[name]).text = name
    if record.links:
        links = etree.Element("CommentsCorrectionsList")
        for ref_type, pmid in record.links:
            link = etree.SubElement(links, "CommentsCorrections", RefType=ref_type)
            etree.SubElement(link, "RefSource").text = "J Gen Spine Rec"
            etree.SubElement(link, "PMID", Version="1").text = pmid
        info = citation.find("MedlineJournalInfo")
        (info.addnext(links) if info is not None else citation.append(links))
    data = article.find("PubmedData")
    if data is None:
        data = etree.SubElement(article, "PubmedData")
    history = data.find("History")
    if history is None:
        history = etree.Element("History")
        data.insert(0, history)
    for old in history.findall("PubMedPubDate[@PubStatus='entrez']"):
        history.remove(old)
    history.append(_dated("PubMedPubDate", record.entered, PubStatus="entrez"))
    return article


# --- faults --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One misbehaviour, used for one request. Build it with the class methods."""

    status: int = 200
    body: bytes | None = None
    content_type: str = "text/xml; charset=UTF-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    drop_after: int | None = None

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1) -> Fault:
        """A 429 with NCBI's JSON body (``{"error":"API rate limit exceeded",...}``)."""
        body = {
            "error": "API rate limit exceeded",
            "api-key": "127.0.0.1",
            "count": "4",
            "limit": "3",
        }
        headers = (("Retry-After", f"{retry_after:g}"),) if retry_after is not None else ()
        return cls(429, json.dumps(body).encode(), "application/json", headers)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx with a short HTML body, as a failing proxy sends."""
        page = f"<html><body><h1>{status} Internal error</h1></body></html>"
        return cls(status, page.encode(), "text/html")

    @classmethod
    def dropped(cls, after: int = 120) -> Fault:
        """The normal answer's headers and its first ``after`` bytes, then a closed socket."""
        return cls(drop_after=after)

    @classmethod
    def slow(cls, delay: float) -> Fault:
        """The normal answer, after ``delay`` seconds of silence."""
        return cls(delay=delay)

    @classmethod
    def error_document(cls, message: str, root: str = "eFetchResult") -> Fault:
        """An ``<ERROR>`` document with status 200 (shape of Biopython's ``esummary8.xml``)."""
        return cls(body=_error_document(root, message))

    @classmethod
    def html_page(cls) -> Fault:
        """An HTML page with status 200 (shape of Biopython's ``pubmed3.html``)."""
        page = (
            "<html><head><title>PmFetch response</title></head><body><pre>...</pre></body></html>"
        )
        return cls(body=page.encode(), content_type="text/html")


def _error_document(root: str, message: str) -> bytes:
    node = etree.Element(root)
    etree.SubElement(node, "ERROR").text = message
    return b'<?xml version="1.0" encoding="UTF-8" ?>\n' + etree.tostring(node)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received: method, endpoint (esearch...), parameters, arrival time."""

    method: str
    endpoint: str
    params: dict[str, str]
    at: float


# --- the server ----------------------------------------------------------------------------


class FakeEutils:
    """The fake server: start it, point a client at ``url``, inspect ``requests``.

    It serves an in-memory PubMed the test controls (``FakePubMed``) over real HTTP, so the
    client under test goes through its real network code. Use it through the fixtures in
    ``tests/conftest.py`` (``fake_eutils``, ``fake_eutils_factory``) or as a context manager::

        with FakeEutils() as fake:
            fake.pubmed.add_many(30)
            fake.inject("efetch", Fault.server_error())
            client = EutilsClient(fake.url, ...)

    What it speaks, and the real NCBI document each answer imitates:

    - ``esearch.fcgi`` (``db=pubmed``, ``term``, ``usehistory=y``, ``retstart``, ``retmax``,
      ``datetype`` edat/mdat/pdat/crdt, ``mindate``/``maxdate``): an eSearchResult shaped like
      Biopython's ``Tests/Entrez/esearch2.xml`` (Count, RetMax, RetStart, QueryKey, WebEnv,
      IdList, TranslationSet, QueryTranslation). Like PubMed, it lists only the first ``cap``
      (9,999) records: a ``retstart`` at or past the cap is an error document.
    - ``efetch.fcgi`` (``db=pubmed``, by ``WebEnv`` + ``query_key`` + ``retstart`` + ``retmax``,
      or by ``id=``, GET or POST): a PubmedArticleSet like Biopython's ``pubmed1.xml``; the
      history server answers only within the cap too. Ids with no live record are left out,
      as efetch leaves out a withdrawn PMID (metapub's ``pmid_xml/37909814.xml``: an empty set).
    - Error documents: ``<eSearchResult><ERROR>`` / ``<eFetchResult><ERROR>``, the shape of
      Biopython's ``epost2.xml`` and ``esummary8.xml``.

    The PubMed: ``add`` / ``add_many`` (generated records), ``load_xml`` (real PubmedArticle
    elements, e.g. the bundled sample), ``change`` (the modification date moves, the title may
    change), ``delete`` (the record leaves esearch and efetch; no DeleteCitation is served,
    because efetch never serves one), ``retract`` (the record gains the ``Retracted
    Publication`` type and a ``RetractionIn`` link; a retraction notice is added).

    Faults are queued per endpoint with ``inject`` and used once each, in order: 429 with
    Retry-After, 5xx, a connection dropped mid-body, a response slower than the client's
    timeout, an error document or an HTML page with status 200, any canned body. Every request
    is recorded (``requests``) with its parameters and arrival time.
    """

    def __init__(self, pubmed: FakePubMed | None = None, *, cap: int = SEARCH_CAP) -> None:
        self.pubmed = pubmed or FakePubMed()
        self.cap = cap
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self._faults: list[tuple[str | None, Fault]] = []
        self._history: dict[tuple[str, str], list[str]] = {}
        self._webenvs = itertools.count(1)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The E-utilities base URL of the running server (ends with ``/eutils/``)."""
        assert self._server is not None, "the fake server is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/entrez/eutils/"

    def start(self) -> FakeEutils:
        """Listen on a free port of 127.0.0.1, in a background thread."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; a client that calls now gets a refused connection."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> FakeEutils:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, endpoint: str | None, *faults: Fault, times: int = 1) -> None:
        """Queue faults for the next requests to ``endpoint`` (None: any endpoint)."""
        with self._lock:
            self._faults.extend((endpoint, f) for f in faults for _ in range(times))

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        """The recorded requests to one endpoint, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    # --- what the handler calls ---

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for n, (target, fault) in enumerate(self._faults):
                if target in (None, endpoint):
                    del self._faults[n]
                    return fault
        return None

    def _record(self, method: str, endpoint: str, params: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, endpoint, params, time.monotonic()))

    def answer(self, endpoint: str, params: dict[str, str]) -> tuple[int, str, bytes]:
        """Return status, content type and body of a well-behaved answer."""
        if endpoint == "esearch":
            return 200, "text/xml; charset=UTF-8", self._esearch(params)
        if endpoint == "efetch":
            return 200, "text/xml; charset=UTF-8", self._efetch(params)
        return 404, "text/html", b"<html><body>404 Not Found</body></html>"

    def _esearch(self, params: dict[str, str]) -> bytes:
        term = params.get("term", "")
        if params.get("db") != "pubmed":
            return _error_document(
                "eSearchResult", f"Invalid db name specified: {params.get('db')}"
            )
        if not term:
            return _error_document("eSearchResult", "Empty term and query_key - nothing todo")
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        if retstart >= self.cap:
            return _error_document(
                "eSearchResult",
                f"Search Backend failed: retstart cannot be larger than {self.cap - 1}; "
                f"PubMed esearch lists only the first {self.cap} records",
            )
        datetype = params.get("datetype", "edat")
        low, high = _day(params.get("mindate")), _day(params.get("maxdate"))
        found = self.pubmed.search(term, datetype, low, high)
        page = found[: self.cap][retstart : retstart + retmax]
        translation = term
        if low or high:
            label = DATE_LABELS.get(datetype, "Date - Publication")
            translation += f" AND {params.get('mindate', '')}:{params.get('maxdate', '')}[{label}]"
        root = etree.Element("eSearchResult")
        for name, value in (("Count", len(found)), ("RetMax", len(page)), ("RetStart", retstart)):
            etree.SubElement(root, name).text = str(value)
        if params.get("usehistory") == "y":
            webenv = f"MCID_fake{next(self._webenvs):06d}"
            with self._lock:
                self._history[(webenv, "1")] = found
            etree.SubElement(root, "QueryKey").text = "1"
            etree.SubElement(root, "WebEnv").text = webenv
        ids = etree.SubElement(root, "IdList")
        for pmid in page:
            etree.SubElement(ids, "Id").text = pmid
        etree.SubElement(root, "TranslationSet")
        etree.SubElement(root, "QueryTranslation").text = translation
        head = f'<?xml version="1.0" encoding="UTF-8" ?>\n{ESEARCH_DOCTYPE}\n'
        return head.encode() + etree.tostring(root) + b"\n"

    def _efetch(self, params: dict[str, str]) -> bytes:
        if params.get("db") != "pubmed":
            return _error_document("eFetchResult", f"Invalid db name specified: {params.get('db')}")
        if params.get("id"):
            return self.pubmed.render(p.strip() for p in params["id"].split(","))
        key = (params.get("WebEnv", ""), params.get("query_key", ""))
        with self._lock:
            found = self._history.get(key)
        if found is None:
            return _error_document("eFetchResult", f"Unable to obtain query #{key[1] or '?'}")
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        if retstart >= self.cap:
            return _error_document(
                "eFetchResult", f"retstart cannot be larger than {self.cap - 1} for PubMed"
            )
        return self.pubmed.render(found[: self.cap][retstart : retstart + retmax])


def _day(text: str | None) -> date | None:
    if not text:
        return None
    year, month, day = (int(p) for p in text.replace("-", "/").split("/"))
    return date(year, month, day)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and left makes the late write fail: expected, not news.
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError | TimeoutError):
            self.fake.errors.append(exc)  # type: ignore[attr-defined]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each answer waits ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle(urlsplit(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode("utf-8")
        query = urlsplit(self.path).query
        self._handle(f"{query}&{form}" if query else form)

    def _handle(self, query: str) -> None:
        fake: FakeEutils = self.server.fake  # type: ignore[attr-defined]
        endpoint = urlsplit(self.path).path.rsplit("/", 1)[-1].removesuffix(".fcgi")
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        fake._record(self.command, endpoint, params)
        fault = fake._take_fault(endpoint) or Fault()
        if fault.delay and fake._stopping.wait(fault.delay):
            return
        if fault.body is not None or fault.status != 200:
            status, content_type, body = fault.status, fault.content_type, fault.body or b""
        else:
            status, content_type, body = fake.answer(endpoint, params)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in fault.headers:
            self.send_header(name, value)
        self.end_headers()
        if fault.drop_after is None:
            self.wfile.write(body)
            return
        self.wfile.write(body[: min(fault.drop_after, len(body) // 2)])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def iter_request_gaps(requests: list[RecordedRequest]) -> Iterator[float]:
    """Yield the seconds between consecutive recorded requests."""
    for before, after in itertools.pairwise(requests):
        yield after.at - before.at


class FakeClock:
    """A clock whose ``sleep`` only moves time on, and remembers every wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record a wait and move the clock by it, at once."""
        self.sleeps.append(seconds)
        self.now += seconds
