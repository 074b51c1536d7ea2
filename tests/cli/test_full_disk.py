"""An ingest onto a disk that fills up: one line, exit 1, and the run failed, not running."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import ROOT, need
from tests.support.processes import clean_environment, run_kb


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB filesystem (tmpfs) of its own; mounting needs root, as CI has."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True
    )
    need(done.returncode == 0, f"cannot mount a small tmpfs here: {done.stderr!r}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_is_one_line_and_a_failed_run(small_disk: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)  # bench/ingest.py's corpus generator
    corpus = tmp_path / "corpus.xml"
    generator.write_corpus(corpus, 3000)
    env = clean_environment(small_disk / "home")
    run = run_kb(env, "ingest", str(corpus), timeout=600)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("kb: ") and "space" in line.lower() and "store" in line, line
    # with room again, the run is said to have failed, not to be running still
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    listed = run_kb(env, "runs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["status"] for r in json.loads(listed.stdout)] == ["failed"]


def test_a_multi_batch_ingest_closes_the_store_and_ends(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    corpus = tmp_path / "corpus.xml"
    generator.write_corpus(corpus, 1200)  # twelve batches of the store's hundred
    env = clean_environment(tmp_path / "home")
    # The timeout is a guard against a hang, not a measure.
    run = run_kb(env, "ingest", str(corpus), "--json", timeout=900)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["run"]["written"] == 1200
    # the store was closed whole: it opens again, and the write-ahead logs were let go
    logs = list((tmp_path / "home" / "store").glob("*.log"))
    assert len(logs) <= 3, [p.name for p in logs]
    from kb.store import OxigraphStore

    with OxigraphStore(tmp_path / "home" / "store") as store:
        rows = store.select(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://w3id.org/tckb/ontology#Article> }"
        )
        assert int(rows[0]["n"].value) == 1200  # type: ignore[union-attr]
