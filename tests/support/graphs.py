"""Stores the query, API and analytics tests read: a hand-written graph, and the sample ingested."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyoxigraph as ox

from kb.store import OxigraphStore
from tests.support.paths import DATA, SHARED

FIXTURE = DATA / "graph.trig"
SEED = SHARED / "data" / "seed" / "durant-2001.xml"
SEED_PMID = "11474353"


def fixture_store() -> OxigraphStore:
    """An in-memory store holding ``tests/data/graph.trig`` and the project's ontology graph."""
    from kb.graph.ontology import ensure_ontology

    store = OxigraphStore()
    store.oxigraph.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    ensure_ontology(store)
    return store


def ingest_files(store: OxigraphStore, *paths: Path) -> OxigraphStore:
    """Read PubMed files and write them through the real pipeline (extraction included)."""
    from ingest.files import iter_file_records
    from kb.jobs.ingest import ingest_records

    for path in paths:
        ingest_records(store, iter_file_records(path), files=[path])
    return store


@cache
def _sample_quads() -> tuple[ox.Quad, ...]:
    from kb.resources import sample_path

    store = ingest_files(OxigraphStore(), sample_path())
    return tuple(store.quads())


def sample_store() -> OxigraphStore:
    """A fresh in-memory store with the bundled sample corpus ingested (ingested once a session)."""
    store = OxigraphStore()
    store.oxigraph.bulk_extend(_sample_quads())
    return store


def write_fixture_home(home: Path) -> Path:
    """Write the hand-written graph to an on-disk store under ``home`` (as KB_HOME); return it."""
    home.mkdir(parents=True, exist_ok=True)
    store = OxigraphStore(home / "store")
    store.oxigraph.bulk_extend(fixture_store().quads())
    store.close()
    return home


CASES = DATA / "cases" / "series.xml"


@cache
def _case_quads() -> tuple[ox.Quad, ...]:
    from kb.resources import sample_path

    return tuple(ingest_files(OxigraphStore(), sample_path(), SEED, CASES).quads())


def case_quads() -> tuple[ox.Quad, ...]:
    """The sample, the seed and the case series (tests/data/cases), ingested once a session."""
    return _case_quads()


def cases_store() -> OxigraphStore:
    """A fresh in-memory store holding ``case_quads()``."""
    store = OxigraphStore()
    store.oxigraph.bulk_extend(_case_quads())
    return store
