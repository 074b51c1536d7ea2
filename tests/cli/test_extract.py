"""The ``kb extract`` command: JSON lines in input order, rejections reported, bad files refused."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kb.cli import cli
from kb.errors import NotPubMedError
from tests.support.paths import ROOT

RECORD = """<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><ArticleTitle>{title}</ArticleTitle>
<Abstract><AbstractText Label="RESULTS" NlmCategory="RESULTS">{text}</AbstractText></Abstract>
<PublicationTypeList><PublicationType>Case Reports</PublicationType></PublicationTypeList>
</Article></MedlineCitation></PubmedArticle>
"""
BROKEN = "<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>\n"


def write(path: Path, *records: str, compress: bool = False) -> Path:
    data = ("<?xml version='1.0'?>\n<PubmedArticleSet>\n" + "".join(records)).encode()
    data += b"</PubmedArticleSet>\n"
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_one_json_object_per_article_in_input_order_with_the_spec_shape(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a.xml",
        RECORD.format(
            pmid=30, title="Tumoral calcinosis at C5", text="Gadolinium did not enhance it."
        ),
        RECORD.format(pmid=10, title="Pseudogout of the spine", text="A 70-year-old man."),
    )
    second = write(
        tmp_path / "b.xml.gz", RECORD.format(pmid=20, title="A mass", text="No."), compress=True
    )
    result = CliRunner().invoke(cli, ["extract", str(first), str(second), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["pmid"] for d in lines] == ["30", "10", "20"]
    # The contract's keys, and the case each assertion is about (README: the extension).
    assert all(set(d) == {"pmid", "study", "levels", "assertions", "cases"} for d in lines)
    assert lines[0]["levels"] == ["C5"]
    enhancement = next(a for a in lines[0]["assertions"] if a["concept"].endswith("enhancement"))
    assert set(enhancement) == {
        "role", "concept", "polarity", "certainty", "scope", "section", "sentence", "start", "end",
        "patient",
    }  # fmt: skip
    assert (enhancement["polarity"], enhancement["section"]) == ("absent", "RESULTS")
    assert lines[1]["study"]["patients"] == [{"age": 70, "sex": "male"}]


def test_a_broken_record_is_reported_and_the_others_extracted(tmp_path: Path) -> None:
    path = write(tmp_path / "c.xml", RECORD.format(pmid=1, title="T", text="x."), BROKEN)
    result = CliRunner().invoke(cli, ["extract", str(path)])
    assert result.exit_code == 1
    assert [json.loads(x)["pmid"] for x in result.stdout.splitlines()] == ["1"]
    assert "rejected:" in result.stderr and str(path) in result.stderr


def test_an_unusable_file_stops_the_command_before_any_output(tmp_path: Path) -> None:
    good = write(tmp_path / "good.xml", RECORD.format(pmid=1, title="T", text="x."))
    bad = tmp_path / "bad.xml"
    bad.write_text("<html>not pubmed</html>")
    result = CliRunner().invoke(cli, ["extract", str(good), str(bad)])
    assert isinstance(result.exception, NotPubMedError)
    assert result.stdout == ""


def test_the_process_exits_2_on_a_missing_file_and_says_which(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.xml"
    done = subprocess.run(
        [sys.executable, "-m", "kb", "extract", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "nowhere.xml" in done.stderr


def test_extract_has_help() -> None:
    result = CliRunner().invoke(cli, ["extract", "--help"])
    assert result.exit_code == 0
    assert "--format" in result.output
