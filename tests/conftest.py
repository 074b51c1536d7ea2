"""Shared fixtures: where the shared test data lives, and how to skip without it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.paths import SHARED, need
from tests.support.processes import OURS

if TYPE_CHECKING:
    from kb.store import Store
    from tests.support.fake_eutils import FakeEutils
    from tests.support.virtuoso import Virtuoso


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared folder beside the checkout (spec, eval, real PubMed data)."""
    need(SHARED.is_dir(), f"{SHARED} is absent")
    return SHARED


@pytest.fixture
def fake_eutils_factory() -> Iterator[Callable[..., FakeEutils]]:
    """Start fake E-utilities servers on 127.0.0.1 (see tests/fake_eutils.py); stop them after.

    Call it with FakeEutils's arguments (``pubmed=``, ``cap=``) for each server a test needs.
    """
    from tests.support.fake_eutils import FakeEutils

    started: list[FakeEutils] = []

    def start(*args: Any, **kwargs: Any) -> FakeEutils:
        started.append(FakeEutils(*args, **kwargs).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def fake_eutils(fake_eutils_factory: Callable[..., FakeEutils]) -> FakeEutils:
    """A running fake E-utilities server over an empty in-memory PubMed, the real 9,999 cap."""
    return fake_eutils_factory()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """One Virtuoso Open Source server on 127.0.0.1 for the session (see tests/virtuoso.py)."""
    from tests.support.virtuoso import AVAILABLE, start_virtuoso

    need(AVAILABLE, "virtuoso-t and isql-vt (Debian's virtuoso-opensource) are not installed")
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(params=["oxigraph-memory", "oxigraph-disk", "virtuoso"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind: Oxigraph in memory and on disk, and Virtuoso."""
    from kb.store import OxigraphStore

    store: Store
    if request.param == "virtuoso":
        server: Virtuoso = request.getfixturevalue("virtuoso")
        server.clear()
        store = server.store()
    elif request.param == "oxigraph-disk":
        store = OxigraphStore(tmp_path / "store")
    else:
        store = OxigraphStore()
    yield store
    store.close()


@pytest.fixture
def kb_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run ``kb.cli.main`` in this process with an environment; return status, out, err."""
    from kb.cli import main

    def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
        for name in [k for k in os.environ if k.startswith(OURS)]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["kb", *args])
        try:
            main()
            status = 0
        except SystemExit as exc:
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return run
