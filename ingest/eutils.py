"""The NCBI E-utilities client: esearch on the history server, batched efetch, retries, cache."""

from __future__ import annotations

import io
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import httpx
from lxml import etree

from ingest.cache import ResponseCache, request_key
from ingest.eutils_docs import (
    error_text,
    parse_body,
    read_esearch,
    returned_pmids,
)
from ingest.pacing import RateLimiter, backoff_delay, parse_retry_after
from ingest.windows import (
    DATETYPES,
    FIRST_DAY,
    LAST_DAY,
    SEARCH_CAP,
    SearchPart,
    SearchResult,
    format_date,
    parse_date_bound,
    split_window,
)
from kb import __version__
from kb.errors import EutilsError, IncompleteResponseError, RateLimitedError
from kb.models import Article, Deletion, Record
from kb.settings import NCBI_EUTILS, Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 200  # PMIDs per efetch request


# --- the client --------------------------------------------------------------------------


class EutilsClient:
    """A polite, retrying, caching client of NCBI E-utilities for PubMed.

    The network layer is httpx, not ``Bio.Entrez`` (Biopython 1.88 hard-codes NCBI's host,
    sets no timeout and retries 429 and 5xx without backing off). eSearchResult documents
    are read with lxml, offline (no DTD loaded, nothing fetched); PubMed XML batches go to
    ``ingest.pubmed_xml.iter_records``.

    Every request is a POST (NCBI takes one on every endpoint; long queries and id lists
    fit, and the ``api_key`` stays out of URLs, which httpx logs) carrying ``tool``, and
    ``email`` and ``api_key`` when set, spaced to NCBI's limit (3/s, 10/s with a key).
    A 429 (its ``Retry-After`` honoured), a 5xx, a timeout, a dropped connection, a body
    cut mid-way or a batch short of records is retried with exponential backoff and
    jitter. An error document (``<ERROR>``, ``{"error": ...}``, an HTML page) fails at
    once, whatever its status, and is never cached. Each good raw body goes to the
    ``ResponseCache``, so an ingest can be replayed with ``offline=True``, which never
    touches the network.

    Args:
        base_url: the E-utilities root (ends with ``/eutils/``).
        email, api_key, tool: NCBI's etiquette parameters, sent with every request.
        client: an ``httpx.Client`` to send through (not closed by ``close``); one is made
            when None.
        cache: where raw good answers are kept; None keeps nothing.
        timeout: seconds before a request times out.
        retries: retries after the first attempt.
        rate: requests per second; 3 without an API key, 10 with one, when None.
        offline: answer from the cache only; a miss is an EutilsError.
        batch_size: records per efetch request.
        search_cap: records esearch can page through (PubMed: 9,999).
        backoff, max_wait: first retry step and longest wait, in seconds.
        clock, sleep, jitter: injectable time and randomness, for tests.
    """

    def __init__(
        self,
        base_url: str = NCBI_EUTILS,
        *,
        email: str | None = None,
        api_key: str | None = None,
        tool: str = "tc-spine-kb",
        client: httpx.Client | None = None,
        cache: ResponseCache | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        rate: float | None = None,
        offline: bool = False,
        batch_size: int = BATCH_SIZE,
        search_cap: int = SEARCH_CAP,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if offline and cache is None:
            raise EutilsError("offline mode needs a response cache to answer from")
        if batch_size < 1 or search_cap < 1:
            raise ValueError("batch_size and search_cap must be positive")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.email, self.api_key, self.tool = email, api_key, tool
        self.cache, self.offline = cache, offline
        self.timeout, self.retries = timeout, retries
        self.batch_size, self.search_cap = batch_size, search_cap
        self.backoff, self.max_wait = backoff, max_wait
        self._sleep, self._jitter = sleep, jitter
        self.limiter = RateLimiter(rate or (10.0 if api_key else 3.0), clock, sleep)
        self._owns_http = client is None and not offline
        self._http: httpx.Client | None = client
        if self._owns_http:
            self._http = httpx.Client(
                timeout=timeout,
                follow_redirects=True,
                headers={"User-Agent": f"{tool}/{__version__} (httpx)"},
            )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        client: httpx.Client | None = None,
        offline: bool = False,
        **options: Any,
    ) -> EutilsClient:
        """Build a client from the settings: URL, etiquette, timeout, retries, cache."""
        key = settings.ncbi_api_key.get_secret_value() if settings.ncbi_api_key else None
        return cls(
            settings.eutils_url,
            email=settings.ncbi_email,
            api_key=key,
            tool=settings.ncbi_tool,
            client=client,
            cache=ResponseCache(settings.cache_dir),
            timeout=settings.http_timeout,
            retries=settings.http_retries,
            offline=offline,
            **options,
        )

    def close(self) -> None:
        """Close the HTTP client, if this object made it."""
        if self._owns_http and self._http is not None:
            self._http.close()

    def __enter__(self) -> EutilsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- searching ----------------------------------------------------------------------

    def search_pubmed(
        self,
        query: str,
        mindate: str | None = None,
        maxdate: str | None = None,
        datetype: str = "edat",
    ) -> SearchResult:
        """Search PubMed on the history server, cutting the date range under the esearch cap.

        When more than ``search_cap`` records match, the window (``mindate`` to ``maxdate``
        by ``datetype``; 1800 to 2999 when not given) is halved again and again until every
        part fits; the parts are disjoint, and ``SearchResult.ids`` is their union.
        """
        if datetype not in DATETYPES:
            raise EutilsError(f"datetype {datetype!r} is not one of {sorted(DATETYPES)}")
        window = None
        if mindate or maxdate:
            window = (
                parse_date_bound(mindate, end=False) if mindate else FIRST_DAY,
                parse_date_bound(maxdate, end=True) if maxdate else LAST_DAY,
            )
        notes: list[str] = []
        parts = tuple(self._search_parts(query, datetype, window, notes))
        return SearchResult(query, datetype, parts, tuple(dict.fromkeys(notes)))

    def _search_parts(
        self,
        query: str,
        datetype: str,
        window: tuple[date, date] | None,
        notes: list[str],
    ) -> Iterator[SearchPart]:
        params = {"db": "pubmed", "term": query, "usehistory": "y", "retstart": "0"}
        params["retmax"] = str(self.search_cap)
        if window:
            params.update(datetype=datetype, mindate=format_date(window[0]))
            params["maxdate"] = format_date(window[1])
        page = read_esearch(self._call("esearch", params, expect_root=None)[1])
        for note in (*page.errors, *page.warnings):
            log.warning("esearch %s: %s", _short(query), note)
        notes.extend((*page.errors, *page.warnings))
        if page.count <= self.search_cap:
            if len(page.ids) < page.count:
                raise EutilsError(
                    f"esearch {_short(query)}: listed {len(page.ids)} of {page.count} ids"
                )
            if page.count:
                yield SearchPart(
                    params.get("mindate"),
                    params.get("maxdate"),
                    page.count,
                    page.ids,
                    page.webenv,
                    page.query_key,
                )
            return
        start, end = window or (FIRST_DAY, LAST_DAY)
        if start >= end:
            raise EutilsError(
                f"esearch {_short(query)}: {page.count} records on {format_date(start)} "
                f"({datetype}) alone, more than the {self.search_cap} esearch can list"
            )
        for half in split_window(start, end):
            yield from self._search_parts(query, datetype, half, notes)

    # --- fetching -----------------------------------------------------------------------

    def iter_fetch_batches(self, search: SearchResult) -> Iterator[bytes]:
        """Yield the PubMed XML of a search, one efetch batch (raw bytes) at a time.

        Each batch comes from the history server and must hold every record asked for;
        a short batch is retried, then fails. A PMID that moved between two date windows
        while the search ran can appear in two batches; ``fetch_articles`` drops the repeat.
        """
        for part in search.parts:
            for retstart in range(0, part.count, self.batch_size):
                params = {"db": "pubmed", "retmode": "xml", "retstart": str(retstart)}
                params["retmax"] = str(self.batch_size)
                # The WebEnv dies within hours: a replay is keyed by what was searched.
                replay = {**params, "term": search.query}
                if part.mindate:
                    replay.update(datetype=search.datetype, mindate=part.mindate)
                    replay["maxdate"] = part.maxdate or ""
                params.update(WebEnv=part.webenv or "", query_key=part.query_key or "")
                expect = min(self.batch_size, part.count - retstart)
                yield self._call("efetch", params, replay=replay, expect=expect)[0]

    def fetch_articles(self, search: SearchResult) -> Iterator[Record]:
        """Yield the records of a search (each PMID once), parsed from the efetch batches."""
        seen: set[str] = set()
        for number, batch in enumerate(self.iter_fetch_batches(search)):
            for record in _parse_batch(batch, f"efetch batch {number}"):
                if isinstance(record, Article | Deletion):
                    if record.pmid in seen:
                        continue
                    seen.add(record.pmid)
                yield record

    def iter_fetch_pmid_batches(self, pmids: Iterable[str]) -> Iterator[bytes]:
        """Yield the PubMed XML of explicit PMIDs, posted ``batch_size`` ids at a time."""
        for _, body, _ in self._pmid_batches(pmids):
            yield body

    def fetch_pmids(self, pmids: Iterable[str]) -> Iterator[Record]:
        """Yield the records of explicit PMIDs; a PMID PubMed no longer returns is a Deletion.

        An absent PMID is one that no article element of a whole, well-formed answer
        carries: what efetch answers for a withdrawn record (an empty PubmedArticleSet).
        """
        for number, (asked, body, returned) in enumerate(self._pmid_batches(pmids)):
            yield from _parse_batch(body, f"efetch id batch {number}")
            for pmid in asked:
                if pmid not in returned:
                    log.info("PMID %s: efetch returns no record; reported as deleted", pmid)
                    yield Deletion(pmid=pmid)

    def _pmid_batches(self, pmids: Iterable[str]) -> Iterator[tuple[list[str], bytes, set[str]]]:
        ids = list(dict.fromkeys(p.strip() for p in pmids if p.strip()))
        bad = [p for p in ids if not p.isdigit()]
        if bad:
            raise EutilsError(f"not PMIDs: {', '.join(bad[:5])}")
        for start in range(0, len(ids), self.batch_size):
            asked = ids[start : start + self.batch_size]
            params = {"db": "pubmed", "retmode": "xml", "id": ",".join(asked)}
            body, root = self._call("efetch", params)
            yield asked, body, set(returned_pmids(root))

    # --- one request ----------------------------------------------------------------------

    def _call(
        self,
        endpoint: str,
        params: Mapping[str, str],
        *,
        replay: Mapping[str, str] | None = None,
        expect: int | None = None,
        expect_root: str | None = "PubmedArticleSet",
    ) -> tuple[bytes, etree._Element]:
        """Send one request (or answer it from the cache offline); return body and root."""
        key = request_key("POST", endpoint, replay or params)
        where = f"{endpoint} {self.base_url}{endpoint}.fcgi ({_describe(replay or params)})"
        if self.offline:
            body = self.cache.get(key) if self.cache else None
            if body is None:
                raise EutilsError(f"offline, and nothing cached for {where}")
            return body, parse_body(body)
        body, root = self._send(endpoint, params, where, expect, expect_root)
        if self.cache is not None:
            self.cache.put(key, body)
        return body, root

    def _send(
        self,
        endpoint: str,
        params: Mapping[str, str],
        where: str,
        expect: int | None,
        expect_root: str | None,
    ) -> tuple[bytes, etree._Element]:
        assert self._http is not None
        url = f"{self.base_url}{endpoint}.fcgi"
        sent = {**params, **self._identity()}
        problem, limited, delay = "", False, 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                log.warning("%s: %s; retry %d in %.1fs", where, problem, attempt, delay)
                self._sleep(delay)
            delay = backoff_delay(attempt, self.backoff, self.max_wait, self._jitter())
            self.limiter.wait()
            try:
                response = self._http.post(url, data=sent, timeout=self.timeout)
            except httpx.TimeoutException as exc:
                problem, limited = f"timed out ({type(exc).__name__})", False
                continue
            except httpx.TransportError as exc:
                problem, limited = f"connection failed ({type(exc).__name__}: {exc})", False
                continue
            status = response.status_code
            limited = status == 429
            if limited:
                problem = "rate-limited (HTTP 429)"
                asked = parse_retry_after(response.headers.get("Retry-After"))
                if asked is not None and asked > self.max_wait:
                    raise RateLimitedError(
                        f"{where}: NCBI asks to wait {asked:.0f}s, more than {self.max_wait:.0f}s"
                    )
                delay = asked if asked is not None else delay
                continue
            if status >= 500:
                problem = f"HTTP {status}"
                continue
            kind = response.headers.get("content-type", "")
            if status >= 400:
                raise EutilsError(f"{where}: HTTP {status}: {error_text(response.content, kind)}")
            try:
                root = parse_body(response.content, kind)
            except IncompleteResponseError as exc:
                problem = str(exc)
                continue
            except EutilsError as exc:
                raise EutilsError(f"{where}: {exc}") from None
            if expect_root and root.tag != expect_root:
                raise EutilsError(f"{where}: expected <{expect_root}>, got <{root.tag}>")
            if expect is not None and (got := len(returned_pmids(root))) < expect:
                problem = f"{got} of the {expect} records asked for"
                continue
            return response.content, root
        tries = self.retries + 1
        if limited:
            raise RateLimitedError(f"{where}: still rate-limited (HTTP 429) after {tries} tries")
        raise EutilsError(f"{where}: {problem} after {tries} tries")

    def _identity(self) -> dict[str, str]:
        identity = {"tool": self.tool}
        if self.email:
            identity["email"] = self.email
        if self.api_key:
            identity["api_key"] = self.api_key
        return identity


def fetch_pubmed(
    settings: Settings,
    query: str | None = None,
    *,
    mindate: str | None = None,
    maxdate: str | None = None,
    datetype: str = "edat",
    offline: bool = False,
) -> Iterator[Record]:
    """Search PubMed (the topic query when ``query`` is None) and yield the records found.

    Answers are cached under ``KB_HOME/cache``; ``offline`` replays them without network.
    """
    with EutilsClient.from_settings(settings, offline=offline) as client:
        search = client.search_pubmed(query or settings.topic_query, mindate, maxdate, datetype)
        log.info("PubMed: %d records in %d part(s)", search.count, len(search.parts))
        yield from client.fetch_articles(search)


def _parse_batch(body: bytes, name: str) -> Iterator[Record]:
    # Imported here: the XML reader is another module's concern, and a heavy one.
    from ingest.pubmed_xml import iter_records

    return iter_records(io.BytesIO(body), name=name)


def _short(text: str, size: int = 60) -> str:
    return repr(text if len(text) <= size else text[: size - 3] + "...")


def _describe(params: Mapping[str, str]) -> str:
    shown = {k: v for k, v in params.items() if k in ("retstart", "retmax", "mindate", "maxdate")}
    if "term" in params:
        shown["term"] = _short(params["term"])
    if "id" in params:
        ids = params["id"].split(",")
        shown["id"] = f"{len(ids)} ids from {ids[0]}"
    return ", ".join(f"{k}={v}" for k, v in shown.items())
