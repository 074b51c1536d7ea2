"""Cases over HTTP (a real server on 127.0.0.1) and on the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from google.protobuf.json_format import Parse
from phenopackets import Phenopacket

from kb.api import create_app
from kb.cli import cli
from kb.query.named import read_queries
from kb.settings import get_settings
from kb.store import OxigraphStore
from tests.support.graphs import SEED, case_quads, cases_store
from tests.support.paths import need
from tests.support.server import assert_envelope, assert_problem, serve


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    need(SEED.is_file(), f"{SEED} is absent")
    app = create_app(cases_store(), read_queries(), get_settings(store="memory"))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_the_case_table_pages_filters_and_links_each_row_to_its_evidence(
    api: httpx.Client,
) -> None:
    response = api.get("/cases", params={"region": "region/lumbar", "limit": 5})
    rows = assert_envelope(response)
    meta = response.json()["meta"]
    assert 0 < len(rows) <= 5 and meta["total"] >= len(rows)
    assert all("lumbar spine" in r["regions"] for r in rows)
    assert all(isinstance(r["levels"], list) for r in rows)
    follow = api.get(rows[0]["url"])
    assert assert_envelope(follow)["case"] == rows[0]["case"]
    present = api.get(
        "/cases",
        params=[("present", "finding/t2-hypointense"), ("absent", "finding/contrast-enhancement")],
    )
    found = {r["case"] for r in assert_envelope(present)}
    assert "77000001-2" in found
    text = api.get("/cases", params={"format": "csv", "misdiagnosis": "condition/metastasis"}).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert table and all("metastasis" in r["misdiagnoses"] for r in table)


def test_one_case_as_json_csv_and_phenopacket(api: httpx.Client) -> None:
    record = assert_envelope(api.get("/cases/77000001-1"))
    assert [m["label"] for m in record["misdiagnoses"]] == ["metastasis", "infection"]
    assert record["misdiagnoses"][0]["evidence"][0]["sentence"].startswith("It was first taken")
    rows = list(csv.DictReader(io.StringIO(api.get("/cases/77000001-1?format=csv").text)))
    assert {"field", "value", "sentence", "start", "end"} <= set(rows[0])
    assert any(r["field"] == "misdiagnoses" and r["value"] == "metastasis" for r in rows)
    packet = api.get("/cases/77000001-1", params={"format": "phenopacket"})
    assert packet.headers["content-type"].startswith("application/vnd.ga4gh.phenopacket+json")
    parsed = Parse(packet.text, Phenopacket())
    assert parsed.subject.id == "77000001-1"


def test_an_unknown_or_malformed_case_is_refused_plainly(api: httpx.Client) -> None:
    assert_problem(api.get("/cases/77000001-9"), 404)
    assert_problem(api.get("/cases/not-a-case"), 400)


def test_cases_like_a_patient_ranks_cases_with_what_they_were_taken_for(
    api: httpx.Client,
) -> None:
    params = [
        ("present", "finding/t2-hypointense"),
        ("present", "finding/mass-lesion"),
        ("absent", "finding/contrast-enhancement"),
        ("level", "L4"),
        ("sex", "male"),
    ]
    rows = assert_envelope(api.get("/cases/like", params=params))
    assert rows[0]["case"] == "77000001-2"
    assert rows[0]["mistaken_for"] == ["synovial cyst"]
    assert rows[0]["url"] == "/cases/77000001-2"
    assert_problem(api.get("/cases/like"), 400)
    assert_problem(api.get("/cases/like", params={"present": "finding/not-one"}), 400)
    assert_problem(api.get("/cases/like", params={"level": "X9"}), 400)
    csv_rows = list(
        csv.DictReader(
            io.StringIO(api.get("/cases/like", params=[*params, ("format", "csv")]).text)
        )
    )
    assert csv_rows[0]["case"] == "77000001-2" and csv_rows[0]["mistaken_for"] == "synovial cyst"


def test_kb_cases_case_and_export_on_the_command_line(tmp_path: Path) -> None:
    need(SEED.is_file(), f"{SEED} is absent")
    home = tmp_path / "home"
    home.mkdir()
    store = OxigraphStore(home / "store")
    store.oxigraph.bulk_extend(case_quads())
    store.close()
    env = {"KB_HOME": str(home)}
    runner = CliRunner()
    table = runner.invoke(cli, ["cases", "--level", "L4", "--format", "json"], env=env)
    assert table.exit_code == 0, table.output
    rows = json.loads(table.output)["rows"]
    assert "77000001-2" in {r["case"] for r in rows}
    one = runner.invoke(cli, ["case", "77000002-1"], env=env)
    assert json.loads(one.output)["possible_duplicates"][0]["case"] == "77000003-1"
    folder = tmp_path / "packets"
    done = runner.invoke(cli, ["export", "--format", "phenopackets", "-o", str(folder)], env=env)
    assert done.exit_code == 0, done.output
    files = sorted(folder.glob("*.json"))
    assert len(files) > 50
    for path in files:
        Parse(path.read_text(encoding="utf-8"), Phenopacket())
    like = runner.invoke(
        cli, ["cases-like", "--present", "finding/t2-hypointense", "--format", "csv"], env=env
    )
    assert like.exit_code == 0 and like.output.startswith("case,")
