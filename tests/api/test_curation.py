"""Curating through the API, the page forms and ``kb curate``, against a real server on 127.0.0.1.

Writes need a curator's token: none is 401, one no curator holds 403, and either writes
nothing. Every answer says what curators made of an assertion.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.files import iter_batch
from kb.curation import row_key
from kb.jobs.archive import RecordArchive
from kb.jobs.ingest import ingest_records
from kb.jobs.lock import write_server_record
from kb.query.named import read_queries
from kb.resources import sample_path
from kb.settings import get_settings
from kb.store import OxigraphStore
from tests.support.graphs import CASES
from tests.support.processes import clean_environment
from tests.support.server import assert_problem, serve

ADA, BEN = "ada-curator-token-0001", "ben-curator-token-0002"
CURATORS = [
    {"name": "Ada Curator", "orcid": "0000-0002-1825-0097", "token": ADA},
    {"name": "Ben Reviewer", "token": BEN},
]


@dataclass
class Site:
    url: str
    store: OxigraphStore
    home: Path

    def evidence(self, pmid: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/articles/{pmid}")
        answer.raise_for_status()
        rows: list[dict[str, Any]] = answer.json()["data"]["evidence"]
        return rows

    def first(self, pmid: str, role: str) -> dict[str, Any]:
        return next(r for r in self.evidence(pmid) if r["role"] == role)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The sample in memory, its archive under KB_HOME, served (pages too), in serve.json."""
    from kb.web import create_site

    home = tmp_path / "kb"
    settings = get_settings(home=home, curators=CURATORS)
    store = OxigraphStore()
    records = iter_batch([sample_path(), CASES])  # the series has a duplicate flag
    ingest_records(store, records, archive=RecordArchive(settings.records_dir))
    with serve(create_site(store, read_queries(), settings)) as url:
        write_server_record(home, url)
        yield Site(url, store, home)


def post(site: Site, body: object, token: str | None = ADA, path: str = "/curations") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{site.url}{path}", json=body, headers=headers, timeout=30)


def mistaken_pmids(site: Site, concept: str, **params: str) -> set[str]:
    rows = httpx.get(f"{site.url}/queries/misdiagnoses", params=params).json()["data"]
    return {p for r in rows if r["misdiagnosis"] == concept for p in r["pmids"].split()}


def test_writes_without_a_token_or_with_a_wrong_one_are_refused_and_write_nothing(
    site: Site,
) -> None:
    target = site.first("91000001", "misdiagnosis")
    body = {"pmid": "91000001", "action": "reject", "target": target["key"], "reason": "other"}
    before = set(site.store.quads())
    assert_problem(post(site, body, token=None), 401)
    assert_problem(post(site, body, token="not-a-curator-token"), 403)
    assert_problem(post(site, {"format": "trig", "data": ""}, None, "/curations/import"), 401)
    assert_problem(post(site, body, token="wrong"), 403)
    # The page's form: no session is 401; a session posted from another site is 403.
    form = {"action": "reject", "key": target["key"], "reason": "other"}
    page = httpx.post(f"{site.url}/articles/91000001/verdicts", data=form)
    assert page.status_code == 401
    cookies = {"kb_curator": ADA}
    foreign = httpx.post(f"{site.url}/articles/91000001/verdicts", data=form, cookies=cookies,
                         headers={"Origin": "http://evil.example"})  # fmt: skip
    assert foreign.status_code == 403
    assert set(site.store.quads()) == before
    assert httpx.get(f"{site.url}/curations").json()["data"] == []


def test_a_rejection_through_the_api_is_said_by_every_answer(site: Site) -> None:
    pmid = "91000001"
    target = site.first(pmid, "misdiagnosis")
    concept = target["concept"]
    assert target["status"] == "machine" and pmid in mistaken_pmids(site, concept)
    body = {"pmid": pmid, "action": "reject", "target": target["key"], "reason": "wrong-scope"}
    answer = post(site, body)
    assert answer.status_code == 201, answer.text
    (made,) = answer.json()["data"]
    assert made["curator"] == {"name": "Ada Curator", "orcid": "0000-0002-1825-0097"}
    assert made["assertion"]["sentence"] == target["sentence"]  # the snapshot
    rows = {r["key"]: r for r in site.evidence(pmid)}
    assert rows[target["key"]]["status"] == "rejected"
    assert rows[target["key"]]["curator"] == "Ada Curator"
    assert pmid not in mistaken_pmids(site, concept)
    assert pmid in mistaken_pmids(site, concept, include_rejected="true")
    (entry,) = httpx.get(f"{site.url}/curations", params={"pmid": pmid}).json()["data"]
    assert (entry["state"], entry["target"]) == ("current", target["key"])
    assert httpx.get(f"{site.url}/curation/orphans").json()["data"] == []
    # The case record leaves the rejected misdiagnosis out, and says each cell's status.
    case = target["patients"]
    assert case.startswith(f"{pmid}-")  # the article's case, not its group
    record = httpx.get(f"{site.url}/cases/{case}").json()["data"]
    assert concept not in [m["concept"] for m in record["misdiagnoses"]]
    assert all(e["status"] != "rejected" for cell in ("findings_present", "symptoms")
               for item in record[cell] for e in item["evidence"])  # fmt: skip


def test_an_accepted_finding_is_a_manual_assertion_in_the_phenopacket(site: Site) -> None:
    pmid = "91000001"
    finding = next(
        r for r in site.evidence(pmid)
        if r["role"] == "finding" and r["scope"] == "patient" and r["patients"]
    )  # fmt: skip
    assert (
        post(site, {"pmid": pmid, "action": "accept", "target": finding["key"]}).status_code == 201
    )
    packet = httpx.get(
        f"{site.url}/cases/{finding['patients']}", params={"format": "phenopacket"}
    ).json()
    features = {f["type"]["label"]: f for f in packet["phenotypicFeatures"]}
    accepted = features[finding["label"]]["evidence"][0]
    assert accepted["evidenceCode"]["id"] == "ECO:0000218"
    assert "accepted by Ada Curator" in accepted["reference"]["description"]
    others = [f for label, f in features.items() if label != finding["label"]]
    assert all(f["evidence"][0]["evidenceCode"]["id"] == "ECO:0000203" for f in others)


def test_a_batch_with_one_bad_verdict_writes_none_of_them(site: Site) -> None:
    good = site.first("91000001", "finding")
    before = set(site.store.quads())
    body = {"verdicts": [
        {"pmid": "91000001", "action": "accept", "target": good["key"]},
        {"pmid": "91000001", "action": "accept", "target": "f" * 32},
    ]}  # fmt: skip
    assert_problem(post(site, body), 404)
    missing_reason = {"pmid": "91000001", "action": "reject", "target": good["key"]}
    assert_problem(post(site, missing_reason), 400)
    assert set(site.store.quads()) == before


def test_a_duplicate_flag_is_refuted_on_the_case_page_and_confirmed_through_the_api(
    site: Site,
) -> None:
    def flagged(case: str) -> list[str]:
        record = httpx.get(f"{site.url}/cases/{case}").json()["data"]
        return [d["case"] for d in record["possible_duplicates"]]

    assert flagged("77000002-1") == ["77000003-1"]
    form = {"other": "77000003-1", "same": "false"}
    page = httpx.post(f"{site.url}/cases/77000002-1/duplicates", data=form,
                      cookies={"kb_curator": BEN})  # fmt: skip
    assert page.status_code == 303 and page.headers["location"] == "/cases/77000002-1"
    assert flagged("77000002-1") == [] and flagged("77000003-1") == []
    body = {"cases": ["77000003-1", "77000002-1"], "same": True, "note": "same surgeon"}
    assert_problem(post(site, body, token=None, path="/curations/duplicates"), 401)
    answer = post(site, body, path="/curations/duplicates")
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["cases"] == ["77000002-1", "77000003-1"]
    assert flagged("77000002-1") == ["77000003-1"]
    states = [e["state"] for e in httpx.get(f"{site.url}/curations").json()["data"]]
    assert states == ["superseded", "current"]
    missing = {"cases": ["77000002-1", "77000009-1"], "same": True}
    assert_problem(post(site, missing, path="/curations/duplicates"), 404)


def test_kb_curate_beside_the_server_hands_it_the_verdict_as_the_tokens_curator(
    site: Site, kb_main: Callable[..., tuple[int, str, str]]
) -> None:
    target = site.first("91000001", "misdiagnosis")
    env = clean_environment(site.home, KB_CURATOR_TOKEN=BEN)
    status, out, _ = kb_main(env, "curate", "reject", "91000001", target["key"],
                             "--reason", "not-in-text")  # fmt: skip
    assert status == 0, out
    assert out.startswith(f"reject 91000001 {target['key']} as Ben Reviewer")
    assert {r["key"]: r["status"] for r in site.evidence("91000001")}[target["key"]] == "rejected"
    assert not (site.home / "store").exists()  # the server wrote it, in its own store
    status, _, err = kb_main(clean_environment(site.home), "curate", "accept", "91000001",
                             target["key"])  # fmt: skip
    assert status == 2 and "KB_CURATOR_TOKEN" in err


def test_kb_curate_on_its_own_store_lists_judges_exports_and_imports(
    tmp_path: Path, kb_main: Callable[..., tuple[int, str, str]]
) -> None:
    home = tmp_path / "kb"
    env = clean_environment(home, KB_CURATORS=json.dumps(CURATORS), KB_CURATOR_TOKEN=ADA)
    assert kb_main(env, "ingest", "--sample")[0] == 0
    status, out, _ = kb_main(env, "curate", "list", "91000001", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and all(r["key"] == row_key("91000001", r) for r in rows)
    finding = next(r for r in rows if r["role"] == "finding")
    flipped = "absent" if finding["polarity"] == "present" else "present"
    status, out, _ = kb_main(env, "curate", "correct", "91000001", finding["key"],
                             "--polarity", flipped)  # fmt: skip
    assert status == 0, out
    status, out, _ = kb_main(env, "curate", "add", "91000001", "--mention", "no-such-words",
                             "--role", "symptom", "--concept", "symptom/neck-pain")  # fmt: skip
    assert status == 2
    status, out, _ = kb_main(env, "curate", "history", "--json")
    (entry,) = [json.loads(line) for line in out.splitlines()]
    assert entry["state"] == "current" and entry["verdict"]["action"] == "correct"
    assert kb_main(env, "curate", "orphans")[0] == 0
    dump = tmp_path / "verdicts.trig"
    assert kb_main(env, "curate", "export", "-o", str(dump))[0] == 0
    status, out, _ = kb_main(env, "curate", "import", str(dump))
    assert (status, out.strip()) == (0, "0 new verdict(s), 1 already held")
    wrong = {**env, "KB_CURATOR_TOKEN": "not-a-curator-token"}
    status, _, err = kb_main(wrong, "curate", "accept", "91000001", finding["key"])
    assert status == 2 and "no curator" in err
