"""The site over HTTP, without a browser.

Who gets a page and who gets data, the data twins, errors as pages, and front-end files
served from the package.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from kb.query.registry import Page, Registry
from kb.store import OxigraphStore
from tests.web.conftest import VENDOR

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def http(site: str) -> Iterator[httpx.Client]:
    """A client of the served site that asks as a browser does."""
    with httpx.Client(base_url=site, headers={"Accept": BROWSER}, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def registry(site_store: OxigraphStore) -> Registry:
    from kb.query.named import read_queries

    return Registry(site_store, read_queries())


def test_a_browser_gets_the_page_and_a_program_the_data_at_one_address(
    http: httpx.Client,
) -> None:
    page = http.get("/articles/95000015")
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for accept in ("application/json", "*/*"):
        data = http.get("/articles/95000015", headers={"Accept": accept})
        assert data.headers["content-type"].startswith("application/json")
        assert data.json()["data"]["pmid"] == "95000015"
    assert http.get("/articles/95000015?format=json").json()["data"]["pmid"] == "95000015"
    assert http.post("/sparql", data={"query": "ASK {}"}).headers["content-type"] != "text/html"


def test_the_case_browser_data_twin_is_the_table_on_screen(
    http: httpx.Client, registry: Registry
) -> None:
    page = http.get("/cases", params={"region": "region/lumbar", "sort": "-year"}).text
    href = re.search(r'href="(/cases\?[^"]*format=csv)"', page)
    assert href is not None
    rows = list(csv.DictReader(io.StringIO(http.get(href.group(1).replace("&amp;", "&")).text)))
    shown = re.findall(r'<td><a href="/cases/([0-9]+-[0-9]+)"', page)
    assert [r["case"] for r in rows] == shown
    expected = registry.run("cases", {"region": "region/lumbar"}, Page(50)).total
    assert f"{expected} published patients" in page
    years = [int(r["year"]) for r in rows if r["year"]]
    assert years == sorted(years, reverse=True) and len(years) > 1


def test_every_page_names_its_data_and_query_versions(http: httpx.Client) -> None:
    page = http.get("/queries/levels").text
    footer = page[page.index('<footer class="site"') :]
    assert re.search(r'generation <span class="generation">[0-9]+</span>', footer)
    assert re.search(r"levels</a> <code [^>]*>[0-9a-f]{10}</code>", footer)


def test_a_missing_or_refused_page_is_a_page_saying_so(http: httpx.Client) -> None:
    missing = http.get("/no/such/page")
    assert missing.status_code == 404
    assert "There is no page at /no/such/page." in missing.text
    unknown = http.get("/articles/1")
    assert unknown.status_code == 404 and "no article with PMID 1" in unknown.text
    bad = http.get("/cases", params={"year_from": "soon"})
    assert bad.status_code == 400 and "year_from" in bad.text
    assert bad.headers["content-type"].startswith("text/html")
    beyond = http.get("/cases", params={"offset": "-1"})
    assert beyond.status_code == 422 and "offset: Input should be greater than" in beyond.text
    # A program asking the same keeps its problem document.
    problem = http.get("/no/such/page", headers={"Accept": "application/json"})
    assert problem.headers["content-type"] == "application/problem+json"


def test_the_pages_load_nothing_from_another_origin(http: httpx.Client) -> None:
    for path in ("/", "/cases", "/articles/95000015", "/sparql", "/docs", "/queries/timeline"):
        html = http.get(path).text
        loaded = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="([^"]+)"', html)
        assert loaded and all(url.startswith("/") and not url.startswith("//") for url in loaded)
        for url in loaded:
            assert http.get(url).status_code == 200, url


def test_the_editor_completes_from_our_prefixes_and_ontology(http: httpx.Client) -> None:
    prefixes = http.get("/sparql/prefixes.json").json()
    assert prefixes["tc"] == "https://w3id.org/tckb/ontology#"
    found = http.get("/sparql/terms", params={"type": "class", "q": "tc:Cas"}).json()
    assert "https://w3id.org/tckb/ontology#Case" in found
    assert http.get("/sparql/terms", params={"type": "other"}).status_code == 422


def test_each_front_end_file_is_kept_with_its_pin_and_licence() -> None:
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    assert set(manifest) == {"yasgui", "swagger-ui", "axe-core"}
    for folder, entry in manifest.items():
        assert entry["integrity"].startswith("sha512-")
        assert entry["url"].endswith(f"-{entry['version']}.tgz")
        assert entry["license"] in {"MIT", "Apache-2.0", "MPL-2.0"}
        for name in entry["files"]:
            assert (VENDOR / folder / name).stat().st_size > 0


def test_a_case_browser_drawn_before_the_index_is_read_is_not_kept() -> None:
    from kb.query.named import read_queries
    from kb.settings import get_settings
    from kb.web import create_site
    from tests.support.graphs import cases_store
    from tests.support.server import serve

    app = create_site(cases_store(), read_queries(), get_settings())
    holder = app.state.cases
    with serve(app) as url, httpx.Client(base_url=url, headers={"Accept": BROWSER}) as client:
        holder.get()
        holder._generation = -1  # as after a write: the index is stale until read again
        with holder._lock:  # and it is being read: the page cannot count yet
            early = client.get("/cases")
        assert "being computed" in early.text
        assert early.headers["cache-control"] == "no-store"
        holder.get()
        later = client.get("/cases")  # not the kept early answer: the counts are there
        assert "being computed" not in later.text
        assert 'id="facet-place"' in later.text
        assert "cache-control" not in later.headers
