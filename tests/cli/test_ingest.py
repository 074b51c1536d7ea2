"""``kb ingest``: the summary it prints and the exit statuses it returns."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.errors import HostileXMLError, InputError, NotPubMedError
from kb.resources import sample_path
from tests.support.paths import ROOT
from tests.support.processes import clean_environment, run_kb

HEAD = '<?xml version="1.0"?>\n<PubmedArticleSet>\n'
SAMPLE_SIZE = sample_path().read_text(encoding="utf-8").count("<PubmedArticle>")
GOOD = (
    '<PubmedArticle><MedlineCitation><PMID Version="1">{pmid}</PMID>'
    "<Article><ArticleTitle>T.</ArticleTitle></Article></MedlineCitation></PubmedArticle>\n"
)
NO_PMID = "<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>\n"


def write(path: Path, *records: str, compress: bool = False) -> Path:
    data = (HEAD + "".join(records) + "</PubmedArticleSet>\n").encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep whatever ingest writes (store, cache) out of the checkout."""
    monkeypatch.setenv("KB_HOME", str(tmp_path / "kb-home"))
    monkeypatch.setenv("KB_STORE", "memory")


def kb(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kb`` as a real process (it inherits the private KB_HOME)."""
    return subprocess.run(
        [sys.executable, "-m", "kb", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def test_sample_json_summary_counts_the_bundled_articles() -> None:
    result = CliRunner().invoke(cli, ["ingest", "--sample", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {key: summary[key] for key in ("files", "articles", "deleted", "rejected")} == {
        "files": [str(sample_path())],
        "articles": SAMPLE_SIZE,
        "deleted": 0,
        "rejected": [],
    }


def test_text_summary_names_counts_and_each_rejection(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.xml", GOOD.format(pmid=1), NO_PMID, GOOD.format(pmid=3))
    result = CliRunner().invoke(cli, ["ingest", str(broken)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "read 1 file(s): 2 articles, 0 deleted, 1 rejected"
    assert lines[1] == f"rejected: {broken}: record 2, line 4: no PMID"


def test_json_lists_rejections_and_counts_deletions_across_files(tmp_path: Path) -> None:
    update = write(
        tmp_path / "update.xml.gz",
        GOOD.format(pmid=5),
        "<DeleteCitation><PMID>6</PMID><PMID>7</PMID></DeleteCitation>\n",
        compress=True,
    )
    broken = write(tmp_path / "broken.xml", NO_PMID)
    medline = tmp_path / "more.nbib"
    medline.write_text("PMID- 8\r\nTI  - Eight.\r\n\r\nPMID- 9\r\nTI  - Nine.\r\n")
    result = CliRunner().invoke(cli, ["ingest", "--json", str(update), str(broken), str(medline)])
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert (summary["articles"], summary["deleted"]) == (3, 2)
    assert summary["rejected"] == [
        {"file": str(broken), "where": "record 1, line 3", "reason": "no PMID"}
    ]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"<html><body>Not found</body></html>", NotPubMedError),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><PubmedArticleSet/>', HostileXMLError),
        (b"just some words\n", NotPubMedError),
    ],
)
def test_unusable_input_stops_before_reading_anything(
    tmp_path: Path, content: bytes, error: type[InputError]
) -> None:
    good = write(tmp_path / "good.xml", GOOD.format(pmid=1))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(content)
    result = CliRunner().invoke(cli, ["ingest", "--json", str(good), str(bad)])
    assert isinstance(result.exception, error)
    assert result.output == ""


def test_no_file_and_no_sample_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["ingest"])
    assert result.exit_code == 2
    assert "Error: give FILE..., --sample" in result.output


def test_process_exits_0_when_everything_was_read() -> None:
    done = kb("ingest", "--sample")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"read 1 file(s): {SAMPLE_SIZE} articles, 0 deleted, 0 rejected"
    )


def test_process_exits_1_when_some_records_were_rejected(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.xml", GOOD.format(pmid=1), NO_PMID)
    done = kb("ingest", "--json", str(broken))
    assert done.returncode == 1
    assert json.loads(done.stdout)["articles"] == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "page.html",
            b"<html><body>Not found</body></html>",
            "root element <html> is not PubMed XML",
        ),
        (
            "bomb.xml",
            b'<!DOCTYPE x [<!ENTITY a "b">]><x/>',
            "line 1: the DOCTYPE declares an ENTITY "
            "(entity expansion and external entities are refused)",
        ),
        ("empty.xml", b"", "empty file"),
        ("missing.xml", None, "cannot open: No such file or directory"),
    ],
)
def test_process_exits_2_with_one_line_on_unusable_input(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    done = kb("ingest", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"kb: {path}: {message}\n"


def test_ingest_has_help() -> None:
    result = CliRunner().invoke(cli, ["ingest", "--help"])
    assert result.exit_code == 0
    assert "--sample" in result.output and "--json" in result.output


# --- inputs that never end, and records too large to keep -------------------------------------


def kb_ingest(
    tmp_path: Path, *args: str, settings: dict[str, str] | None = None, **options: object
) -> subprocess.CompletedProcess[str]:
    env = clean_environment(tmp_path / "home", **(settings or {}))
    return run_kb(env, "ingest", *args, "--json", **options)


def test_a_fifo_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "never-ends"
    os.mkfifo(fifo)
    result = kb_ingest(tmp_path, str(fifo))
    assert result.returncode == 2
    assert "not a regular file" in result.stderr and result.stderr.count("\n") == 1


def test_standard_input_is_read_when_asked_for_with_a_dash(tmp_path: Path) -> None:
    data = write(tmp_path / "in.xml", GOOD.format(pmid=11), GOOD.format(pmid=12)).read_text()
    result = kb_ingest(tmp_path, "-", input=data)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["run"]["written"] == 2


def test_standard_input_that_stalls_fails_and_the_run_with_it(tmp_path: Path) -> None:
    reader, writer = os.pipe()  # kept open and silent: the input never ends, and never speaks
    try:
        result = kb_ingest(tmp_path, "-", stdin=reader, settings={"KB_INPUT_STALL_SECONDS": "1"})
    finally:
        os.close(reader)
        os.close(writer)
    assert result.returncode == 2 and "stalled" in result.stderr, result.stderr
    runs = run_kb(clean_environment(tmp_path / "home"), "runs", "--json")
    assert [r["status"] for r in json.loads(runs.stdout)] == ["failed"]


def test_a_record_with_a_huge_abstract_is_refused_and_the_rest_kept(tmp_path: Path) -> None:
    huge = (
        '<PubmedArticle><MedlineCitation><PMID Version="1">13</PMID><Article>'
        "<ArticleTitle>T.</ArticleTitle><Abstract><AbstractText>"
        + "calcinosis " * 500_000
        + "</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n"
    )
    path = write(tmp_path / "big.xml", GOOD.format(pmid=11), huge)
    result = kb_ingest(tmp_path, str(path))
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["run"]["written"] == 1 and "at most 50000 characters" in result.stdout
