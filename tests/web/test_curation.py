"""A curator at work in a real Chromium, on a site of its own.

The curator signs in with a token, rejects an assertion on the article's page, and sees it
struck through and the counts change, for every reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.files import iter_batch
from kb.jobs.archive import RecordArchive
from kb.jobs.ingest import ingest_records
from kb.query.named import read_queries
from kb.resources import sample_path
from kb.settings import get_settings
from kb.store import OxigraphStore
from tests.support.server import serve
from tests.web.conftest import Watched

TOKEN = "ada-curator-token-0001"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Playwright's own


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site of its own (this module writes): the sample, its archive, one curator."""
    from kb.web import create_site

    home = tmp_path_factory.mktemp("curation") / "kb"
    settings = get_settings(home=home, curators=[{"name": "Ada Curator", "token": TOKEN}])
    store = OxigraphStore()
    ingest_records(store, iter_batch([sample_path()]), archive=RecordArchive(settings.records_dir))
    with serve(create_site(store, read_queries(), settings)) as url:
        yield url


def count(page: Any, selector: str) -> int:
    return int(page.locator(selector).inner_text())


def test_a_curator_rejects_an_assertion_and_sees_it_struck_through_and_counted_out(
    web: Watched, site: str, browser: Any, tmp_path: Path
) -> None:
    pmid = "91000001"
    evidence = httpx.get(f"{site}/articles/{pmid}").json()["data"]["evidence"]
    wrong = next(r for r in evidence if r["role"] == "misdiagnosis")
    web.open(f"/articles/{pmid}")
    page = web.page
    counted = count(page, "#assertion-count")
    assert counted == len(evidence)
    assert page.locator("td.verdict").count() == 0  # no forms for a reader
    page.get_by_role("link", name="Sign in to curate").click()
    page.wait_for_url(re.compile(r"/curation/sign-in"))
    page.get_by_label("Curator token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/articles/{pmid}$"))
    assert "Signed in as Ada Curator" in page.locator(".curation-status").inner_text()

    row = page.locator(f'tr[data-key="{wrong["key"]}"]')
    row.get_by_label("Why reject").select_option("not-about-lesion")
    row.get_by_role("button", name="Reject").click()
    page.wait_for_url(re.compile(rf"/articles/{pmid}#assertions$"))
    row = page.locator(f'tr[data-key="{wrong["key"]}"]')
    assert "status-rejected" in (row.get_attribute("class") or "")
    concept_cell = row.locator("td").first
    style = concept_cell.evaluate("td => getComputedStyle(td).textDecorationLine")
    assert "line-through" in style
    assert row.locator(".status").inner_text() == "rejected"
    assert count(page, "#assertion-count") == counted - 1
    assert count(page, "#rejected-count") == 1

    # Every reader sees it so, at once; the API says who rejected it.
    reader = browser.new_context()
    other = reader.new_page()
    other.goto(f"{site}/articles/{pmid}")
    assert other.locator("#assertion-count").inner_text() == str(counted - 1)
    struck = other.locator(f'tr[data-key="{wrong["key"]}"]')
    assert "status-rejected" in (struck.get_attribute("class") or "")
    other.goto(f"{site}/")
    assert other.locator("#count-verdicts").inner_text() == "1"
    reader.close()
    (entry,) = httpx.get(f"{site}/curations", params={"pmid": pmid}).json()["data"]
    assert entry["verdict"]["curator"]["name"] == "Ada Curator"
    assert entry["verdict"]["reason"] == "not-about-lesion"


def test_the_orphan_queue_has_a_page(web: Watched) -> None:
    web.open("/curation/orphans")
    assert web.page.get_by_role("heading", level=1).inner_text() == "Orphaned verdicts"
    assert web.page.locator("#no-orphans").is_visible()
