"""Extraction scored with the shared scorer on the dev set and the seed study, against targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from tests.support.paths import ROOT, SHARED, need

SCORER = SHARED / "eval" / "score.py"
SETS = {
    "dev": (SHARED / "eval" / "dev" / "records.xml", SHARED / "eval" / "dev" / "gold.jsonl"),
    "seed": (SHARED / "data" / "seed" / "durant-2001.xml", SHARED / "eval" / "seed-gold.jsonl"),
    # The team's own abstracts, once held out (tests/data/regression/README.md).
    "regression": (
        ROOT / "tests" / "data" / "regression" / "records.xml",
        ROOT / "tests" / "data" / "regression" / "gold.jsonl",
    ),
    # Blind sets, scored once unseen (tests/data/blind/README.md), then used to find rules.
    **{
        f"blind-{name}": (
            ROOT / "tests" / "data" / "blind" / f"set-{name}" / "records.xml",
            ROOT / "tests" / "data" / "blind" / f"set-{name}" / "gold.jsonl",
        )
        for name in "abc"
    },
}


def score(records: Path, gold: Path, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    """Run ``kb extract`` on the records and the shared scorer on its output."""
    need(SCORER.is_file() and records.is_file() and gold.is_file(), f"{SHARED}/eval is absent")
    result = CliRunner().invoke(cli, ["extract", str(records), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    pred = tmp_path / "pred.jsonl"
    pred.write_text(result.output, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SCORER), "--gold", str(gold), "--pred", str(pred), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(SETS))
def test_extraction_meets_the_targets_on_the_shared_gold(name: str, tmp_path: Path) -> None:
    figures = score(*SETS[name], tmp_path)
    assert figures["missing_documents"] == 0
    assert figures["micro"]["f1"] >= 0.90, figures["micro"]
    low = {role: c["f1"] for role, c in figures["by_role"].items() if c["f1"] < 0.80}
    assert not low, f"roles under 0.80: {low}"
    assert figures["levels_f1"] >= 0.95
    assert figures["design_accuracy"] >= 0.90
    assert figures["background_leakage"] <= 0.05
    assert figures["unknown_concepts"] == []
    assert figures["bad_spans"] == 0
