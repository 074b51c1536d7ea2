"""The built wheel works on its own.

Installed outside the checkout, it ingests, extracts, answers and serves with the data files
it carries.
"""

from __future__ import annotations

import json
import site
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.paths import ROOT, SHARED, need
from tests.support.processes import clean_environment


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build the wheel, install it alone into a fresh virtualenv; yield the venv's bin folder.

    The virtualenv borrows the dependencies of the one running the tests (a path entry, not a
    site folder, so the editable install of the checkout stays out of it) and installs the
    wheel without them: no network, and nothing of the checkout on the path.
    """
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = work.glob("tc_spine_kb-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    yield venv / "bin"


def run_kb(bin_dir: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``kb`` from a folder outside the checkout."""
    env = clean_environment(home, KB_STORE="", PYTHONPATH="")
    return subprocess.run(
        [str(bin_dir / "kb"), *args],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_wheel_carries_the_ontology_the_queries_and_the_sample(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("kb/ontology/tckb.ttl", "kb/ontology/concepts.ttl", "kb/ontology/shapes.ttl"):
        assert data in names
    queries = {n for n in names if n.startswith("kb/queries/") and n.endswith(".rq")}
    assert len(queries) == len(list((ROOT / "queries").glob("*.rq")))
    assert "ingest/sample/tc-spine-sample.xml" in names
    assert "kb/extraction/quality.json" in names  # what /about shows


def test_the_installed_wheel_ingests_extracts_answers_and_serves(
    installed: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home" / ".kb"
    home.parent.mkdir()
    located = subprocess.run(
        [str(installed / "python"), "-c", "import kb; print(kb.__file__)"],
        cwd=home.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(ROOT) not in located  # the installed package, not the checkout

    ingested = run_kb(installed, home, "ingest", "--sample", "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["run"]["written"] > 10

    need(SHARED.is_dir(), f"{SHARED} is absent")
    seed = SHARED / "data" / "seed" / "durant-2001.xml"
    extracted = run_kb(installed, home, "extract", str(seed), "--format", "jsonl")
    assert extracted.returncode == 0, extracted.stderr
    assert json.loads(extracted.stdout)["assertions"]

    answered = run_kb(installed, home, "query", "misdiagnoses", "--format", "json")
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["rows"]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = clean_environment(home, PYTHONPATH="")
    server = subprocess.Popen(
        [str(installed / "kb"), "serve", "--port", str(port)],
        cwd=home.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        health = None
        for _ in range(200):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None and health.status_code == 200
        assert health.json()["data"]["counts"]["articles"] > 10
        about = httpx.get(f"http://127.0.0.1:{port}/about", timeout=5).json()["data"]
        assert about["extraction_quality"]["extractor"] == about["extractor"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_missing_data_file_is_one_line_not_a_traceback(installed: Path, tmp_path: Path) -> None:
    site_dir = subprocess.run(
        [str(installed / "python"), "-c", "import kb, os; print(os.path.dirname(kb.__file__))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    concepts = Path(site_dir, "ontology", "concepts.ttl")
    hidden = concepts.with_suffix(".hidden")
    concepts.rename(hidden)
    try:
        home = tmp_path / ".kb"
        need(SHARED.is_dir(), f"{SHARED} is absent")
        seed = SHARED / "data" / "seed" / "durant-2001.xml"
        result = run_kb(installed, home, "extract", str(seed), "--format", "jsonl")
    finally:
        hidden.rename(concepts)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "concepts.ttl" in result.stderr
