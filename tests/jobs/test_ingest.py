"""Ingesting records into a store: idempotence, versions, deletions, runs, crashes, round trips."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ingest.files import iter_file_records
from ingest.pubmed_xml import iter_records
from kb import iris
from kb.cli import cli
from kb.extraction import Extractor
from kb.extraction.extract import EXTRACTOR, extract_article
from kb.graph.article import to_quads
from kb.graph.ontology import ensure_ontology, ontology_quads
from kb.graph.rdfio import export, load
from kb.graph.validate import SUMMARY, check_article_graphs, validate_store
from kb.jobs.ingest import ingest_records
from kb.jobs.runs import list_runs, read_run
from kb.jobs.stats import StoreStats, get_stats
from kb.models import Article, Deletion, Extraction, Rejection
from kb.query import Registry, read_queries
from kb.resources import sample_path
from kb.store import OxigraphStore, Store
from tests.support.articles import pubmed_xml, synthetic_record
from tests.support.paths import ROOT

TC = iris.ONTOLOGY


def sample() -> list[Article]:
    return [r for r in iter_file_records(sample_path()) if isinstance(r, Article)]


SAMPLE_SIZE = len(sample())


def article_quads(store: Store) -> set[ox.Quad]:
    """Every quad except the runs graph (which grows with every run by design)."""
    return {q for q in store.quads() if q.graph_name != iris.RUNS_GRAPH}


def records_of(xml: bytes) -> list[Article | Deletion | Rejection]:
    return list(iter_records(io.BytesIO(xml), "test.xml"))


def run_values(store: Store, run_id: str, prop: str) -> set[str]:
    run = iris.run_iri(run_id)
    rows = store.select(
        f"SELECT ?v WHERE {{ GRAPH {iris.RUNS_GRAPH} {{ {run} <{TC}{prop}> ?v }} }}"
    )
    return {r["v"].value for r in rows}  # type: ignore[union-attr]


def test_the_sample_round_trips_through_a_trig_dump(any_store: Store, tmp_path: Path) -> None:
    ingest_records(any_store, sample())
    path = tmp_path / "dump.trig"
    with path.open("wb") as stream:
        written = export(any_store, stream, "trig")
    copy = OxigraphStore()
    summary = load(copy, path)
    original = set(any_store.quads())
    assert summary.quads == written == len(original)
    assert set(copy.quads()) == original
    assert not any(isinstance(t, ox.BlankNode) for q in original for t in (q.subject, q.object))
    assert {iris.article_graph(a.pmid) for a in sample()} <= copy.graph_names()


def test_reingesting_the_same_records_changes_nothing(any_store: Store) -> None:
    first = ingest_records(any_store, sample())
    before = article_quads(any_store)
    second = ingest_records(any_store, sample())
    assert (first.written, second.written, second.unchanged) == (SAMPLE_SIZE, 0, SAMPLE_SIZE)
    assert article_quads(any_store) == before


def test_a_changed_record_replaces_exactly_that_article(any_store: Store) -> None:
    articles = sample()
    ingest_records(any_store, articles)
    before = {g: set(any_store.quads(g)) for g in any_store.graph_names()}
    changed = articles[3].model_copy(update={"title": "A corrected title"})
    run = ingest_records(any_store, [*articles[:3], changed, *articles[4:]])
    assert (run.written, run.unchanged) == (1, SAMPLE_SIZE - 1)
    after = {g: set(any_store.quads(g)) for g in any_store.graph_names()}
    differing = {g for g in before.keys() | after.keys() if before.get(g) != after.get(g)}
    assert differing == {iris.article_graph(changed.pmid), iris.RUNS_GRAPH}
    titles = any_store.select(
        "SELECT ?a ?t WHERE { ?a <http://purl.org/dc/terms/title> ?t }",
        {"a": iris.article_iri(changed.pmid)},
    )
    assert [r["t"].value for r in titles] == ["A corrected title"]  # type: ignore[union-attr]


def _version(store: Store, pmid: str) -> int:
    rows = store.select(
        f"SELECT ?a ?v WHERE {{ ?a <{TC}pmidVersion> ?v }}", {"a": iris.article_iri(pmid)}
    )
    return int(rows[0]["v"].value)  # type: ignore[union-attr]


def test_the_store_keeps_the_highest_version_of_a_pmid(any_store: Store) -> None:
    two, one, three = (records_of(pubmed_xml([synthetic_record(7, 1, v)]))[0] for v in (2, 1, 3))
    ingest_records(any_store, [two])
    older = ingest_records(any_store, [one])
    assert (older.written, older.superseded, _version(any_store, "7")) == (0, 1, 2)
    mixed = ingest_records(any_store, [one, three, two])  # one batch: the highest wins
    assert (mixed.written, mixed.superseded, _version(any_store, "7")) == (1, 2, 3)


def stats_of(store: Store) -> StoreStats:
    """``kb stats`` of a store: its named queries and its runs."""
    return get_stats(Registry(store, read_queries()))


def test_a_deletion_marks_the_stored_article_and_records_an_absent_one(any_store: Store) -> None:
    ingest_records(any_store, records_of(pubmed_xml([synthetic_record(7, 1)])))
    before = set(any_store.quads(iris.article_graph("7")))
    run = ingest_records(any_store, [Deletion(pmid="7"), Deletion(pmid="8")])
    assert run.deleted == ("7", "8")  # both recorded; only the stored one is marked
    after = set(any_store.quads(iris.article_graph("7")))
    assert after - before == {
        ox.Quad(
            iris.article_iri("7"),
            iris.term("deleted"),
            ox.Literal("true", datatype=ox.NamedNode(iris.PREFIXES["xsd"] + "boolean")),
            iris.article_graph("7"),
        )
    }
    assert iris.article_graph("8") not in any_store.graph_names()
    assert run_values(any_store, run.run_id, "deletedArticle") == {
        iris.article_iri("7").value,
        iris.article_iri("8").value,
    }
    # the same old record read again does not bring the article back
    again = ingest_records(any_store, records_of(pubmed_xml([synthetic_record(7, 1)])))
    assert again.unchanged == 1 and set(any_store.quads(iris.article_graph("7"))) == after


def test_a_deletion_applies_after_the_records_before_it(any_store: Store) -> None:
    records = records_of(pubmed_xml([synthetic_record(7, 1)], deleted=["7"]))
    run = ingest_records(any_store, records)
    assert (run.written, run.deleted) == (1, ("7",))
    assert stats_of(any_store).deleted == 1


def test_broken_records_are_reported_and_the_rest_goes_on(any_store: Store) -> None:
    def picky(article: Article) -> Extraction:
        if article.pmid == "8":
            raise ValueError("cannot read this one")
        return extract_article(article)

    records: list[Article | Deletion | Rejection] = [
        Rejection(file="a.xml", where="record 2", reason="no PMID"),
        *records_of(pubmed_xml([synthetic_record(7, 1), synthetic_record(8, 2)])),
    ]
    run = ingest_records(any_store, records, extract=Extractor("picky/1", picky))
    assert (run.records, run.written, run.rejected) == (3, 1, 2)
    assert run.errors == (
        "a.xml: record 2: no PMID",
        "PMID 8: cannot extract or map: cannot read this one",
    )
    assert run_values(any_store, run.run_id, "errorMessage") == set(run.errors)
    assert run_values(any_store, run.run_id, "status") == {"completed"}
    assert iris.article_graph("7") in any_store.graph_names()


def test_a_run_that_fails_is_recorded_as_failed_and_keeps_whole_batches(tmp_path: Path) -> None:
    articles = sample()

    def crashing(article: Article) -> Extraction:
        if article.pmid == articles[12].pmid:
            raise RuntimeError("extractor bug")
        return extract_article(article)

    store = OxigraphStore()
    with pytest.raises(RuntimeError, match="extractor bug"):
        ingest_records(store, articles, extract=Extractor("crashing/1", crashing), batch_size=5)
    stored = {iris.pmid_of_graph(g) for g in store.graph_names()} - {None}
    assert stored == {a.pmid for a in articles[:10]}  # two whole batches, not the third
    (run,) = store.select(f"SELECT ?r ?s WHERE {{ ?r <{TC}status> ?s }}")
    assert run["s"].value == "failed"  # type: ignore[union-attr]


def test_the_ontology_graph_is_loaded_once_and_again_when_its_files_change(
    tmp_path: Path,
) -> None:
    store = OxigraphStore()
    assert ensure_ontology(store) is True
    assert ensure_ontology(store) is False
    folder = tmp_path / "ontology"
    folder.mkdir()
    for path in (ROOT / "ontology").glob("*.ttl"):
        (folder / path.name).write_bytes(path.read_bytes())
    concepts = folder / "concepts.ttl"
    concepts.write_text(concepts.read_text().replace('"sedimentation sign"@en', '"layering"@en'))
    assert ensure_ontology(store, folder) is True
    label = store.select(
        "SELECT ?c ?l WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }",
        {"c": iris.concept_iri("finding/sedimentation-sign")},
    )
    assert [r["l"].value for r in label] == ["layering"]  # type: ignore[union-attr]
    assert set(store.quads(iris.ONTOLOGY_GRAPH)) == set(ontology_quads(folder)[1])


def test_graphs_written_before_the_summary_existed_get_it_with_the_new_ontology(
    any_store: Store,
) -> None:
    ingest_records(any_store, sample())
    whole = article_quads(any_store)
    summary = {q for q in whole if q.predicate in SUMMARY}
    # The mapping writes it with each article (nothing rejected here: tests/jobs/test_curate.py).
    assert {q.predicate for q in summary} == SUMMARY - {iris.term("rejectedClaimByKey")}
    graphs = {q.graph_name for q in whole if q.graph_name != iris.ONTOLOGY_GRAPH}
    older = {q for q in whole if q not in summary and q.graph_name != iris.ONTOLOGY_GRAPH}
    for graph in graphs:  # one at a time: Virtuoso refuses one request this large
        any_store.replace_graphs({graph: [q for q in older if q.graph_name == graph]})  # type: ignore[dict-item]
    any_store.replace_graphs({iris.ONTOLOGY_GRAPH: []})  # as if the ontology were older
    assert not any(q.predicate in SUMMARY for q in any_store.quads())
    assert ensure_ontology(any_store) is True
    assert article_quads(any_store) == whole
    assert check_article_graphs(any_store.quads()) == []


def test_queries_can_walk_the_hierarchy_of_the_loaded_scheme() -> None:
    store = OxigraphStore()
    ensure_ontology(store)
    rows = store.select(
        "SELECT ?c ?top WHERE { ?c <http://www.w3.org/2004/02/skos/core#broader>+ ?top }",
        {"top": iris.concept_iri("condition/neoplasm")},
    )
    found = {iris.concept_id(r["c"]) for r in rows}  # type: ignore[arg-type]
    assert {"condition/chordoma", "condition/metastasis", "condition/malignant-neoplasm"} <= found


def test_stats_count_what_the_store_holds(any_store: Store) -> None:
    run = ingest_records(any_store, sample())
    stats = stats_of(any_store)
    # + ontology, runs, claims
    assert (stats.articles, stats.deleted, stats.graphs) == (SAMPLE_SIZE, 0, SAMPLE_SIZE + 3)
    assert stats.quads == len(list(any_store.quads()))
    extracted = [extract_article(a) for a in sample()]
    assertions = {a.evidence_key(x.pmid, EXTRACTOR) for x in extracted for a in x.assertions}
    assert stats.assertions == len(assertions)
    assert stats.claims == len({a.claim_key for x in extracted for a in x.assertions})
    assert stats.last_run is not None and stats.last_run.run_id == run.run_id
    assert (stats.last_run.status, stats.last_run.written) == ("completed", SAMPLE_SIZE)


# --- a process killed in the middle of a large ingest ------------------------------------------

KILLED_INGEST = """
import sys
from pathlib import Path
from ingest.files import iter_file_records
from kb.extraction.extract import EXTRACTOR, extract_article
from kb.extraction import Extractor
from kb.jobs.ingest import ingest_records
from kb.store import OxigraphStore

def read(article):
    print(article.pmid, flush=True)
    return extract_article(article)

with OxigraphStore(Path(sys.argv[1])) as store:
    ingest_records(store, iter_file_records(sys.argv[2]), extract=Extractor(EXTRACTOR, read),
                   batch_size=int(sys.argv[3]))
"""


@pytest.mark.slow
def test_a_killed_ingest_leaves_whole_articles_and_completes_on_the_next_run(
    tmp_path: Path,
) -> None:
    count, batch = 3000, 50
    source = tmp_path / "large.xml"
    source.write_bytes(pubmed_xml([synthetic_record(40_000_000 + n, n) for n in range(count)]))
    path = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_INGEST, str(path), str(source), str(batch)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert process.stdout is not None
    for _ in range(count // 3):  # a third of the articles were read; some batches are in
        process.stdout.readline()
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    articles = {
        iris.article_graph(r.pmid): r for r in iter_file_records(source) if isinstance(r, Article)
    }
    with OxigraphStore(path) as store:
        present = {g for g in store.graph_names() if iris.pmid_of_graph(g)}
        assert 0 < len(present) < count and len(present) % batch == 0
        for graph in present:  # every article as mapped, whole, or not there at all
            article = articles[graph]
            mapped = to_quads(article, extract_article(article))
            assert set(store.quads(graph)) == {q for q in mapped if q.graph_name == graph}
        assert check_article_graphs(store.quads()) == []
        for graph in sorted(present, key=str)[:: len(present) // 5]:
            assert validate_store(store, graph).conforms
        (status,) = store.select(f"SELECT ?s WHERE {{ ?r <{TC}status> ?s }}")
        assert status["s"].value == "running"  # type: ignore[union-attr]  # never ended
        [killed] = list_runs(store)

    done = subprocess.run(
        [sys.executable, "-c", KILLED_INGEST, str(path), str(source), "500"],
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    with OxigraphStore(path) as store:
        assert {g for g in store.graph_names() if iris.pmid_of_graph(g)} == set(articles)
        last = stats_of(store).last_run
        assert last is not None  # the articles stored before the kill are not written again
        assert (last.unchanged, last.written) == (len(present), count - len(present))
        # the next run saw that the killed one's process had ended, and said so
        before = read_run(store, killed.run_id)
        assert before is not None and before.status == "failed"
        assert before.errors[0].startswith("interrupted")


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def kb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "kb-home"
    monkeypatch.setenv("KB_HOME", str(home))
    monkeypatch.delenv("KB_STORE", raising=False)
    return home


def test_kb_ingest_writes_the_store_that_stats_export_and_validate_read(
    kb_home: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    ingested = runner.invoke(cli, ["ingest", "--sample"])
    assert ingested.exit_code == 0, ingested.output
    assert f"stored: {SAMPLE_SIZE} written, 0 unchanged" in ingested.output
    assert (kb_home / "store").is_dir()
    stats = json.loads(runner.invoke(cli, ["stats", "--json"]).output)
    assert (stats["articles"], stats["last_run"]["written"]) == (SAMPLE_SIZE, SAMPLE_SIZE)
    dump = tmp_path / "one.ttl"
    pmid = sample()[1].pmid
    options = ["--format", "ttl", "--pmid", pmid, "-o", str(dump)]
    exported = runner.invoke(cli, ["export", *options])
    assert exported.exit_code == 0, exported.output
    subjects = {t.subject.value for t in ox.parse(path=dump, format=ox.RdfFormat.TURTLE)}
    articles = {s for s in subjects if "/id/article/" in s}
    assert iris.article_iri(pmid).value in articles
    assert all(s.startswith(iris.article_iri(pmid).value) for s in articles)
    validated = runner.invoke(cli, ["validate"])
    assert validated.exit_code == 0, validated.output
    assert validated.output.strip().endswith("conforms")


def test_kb_load_then_validate_reports_a_broken_assertion(kb_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "--sample"]).exit_code == 0
    dump = tmp_path / "all.nq"
    assert runner.invoke(cli, ["export", "--format", "nq", "-o", str(dump)]).exit_code == 0
    polarity = f"<{TC}polarity>"
    lines = dump.read_text().splitlines()
    victim = next(line for line in lines if polarity in line and "/assertion/" in line)
    dump.write_text("\n".join(line for line in lines if line != victim) + "\n")
    loaded = runner.invoke(cli, ["load", str(dump)])
    assert loaded.exit_code == 0, loaded.output
    validated = runner.invoke(cli, ["validate", "--pmid", victim.rsplit("/", 1)[-1].split(">")[0]])
    assert validated.exit_code == 1
    focus = victim.split(" ")[0]
    assert f"Violation: {focus} {TC}polarity: a statement needs one polarity" in validated.output


def test_export_and_validate_refuse_a_malformed_or_unknown_pmid(kb_home: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["export", "--pmid", "12a"]).exit_code == 2
    missing = runner.invoke(cli, ["export", "--pmid", "12"])
    assert missing.exit_code == 2 and "no article 12 in the store" in missing.output


@pytest.mark.parametrize("fmt", ["nq", "jsonld"])
def test_dumps_in_every_graph_keeping_format_load_back_whole(fmt: str, tmp_path: Path) -> None:
    store = OxigraphStore()
    ingest_records(store, sample()[:3])
    path = tmp_path / f"dump.{fmt}"
    with path.open("wb") as stream:
        export(store, stream, fmt)
    copy = OxigraphStore()
    load(copy, path)
    assert set(copy.quads()) == set(store.quads())


def test_a_dump_without_graphs_needs_a_graph_and_a_remote_context_is_refused(
    tmp_path: Path,
) -> None:
    from kb.errors import InputError

    turtle = tmp_path / "one.ttl"
    turtle.write_text("<http://ex/s> <http://ex/p> 'o' .\n")
    with pytest.raises(InputError, match="holds no named graphs"):
        load(OxigraphStore(), turtle)
    store = OxigraphStore()
    assert load(store, turtle, graph=iris.article_graph("1")).quads == 1
    assert iris.article_graph("1") in store.graph_names()
    remote = tmp_path / "remote.jsonld"
    remote.write_text('{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://ex/s"}')
    with pytest.raises(InputError, match="not valid jsonld"):
        load(OxigraphStore(), remote)


def test_runs_started_within_one_second_list_in_the_order_they_ran(any_store: Store) -> None:
    from datetime import UTC, datetime

    from kb.graph.terms import date_time
    from kb.jobs.runs import list_runs, new_run_id

    second = datetime(2026, 1, 1, 10, 0, 5, tzinfo=UTC)
    # the later run's label sorts first, so only the time in its id can put it first
    earlier = new_run_id("refresh", second.replace(microsecond=1000))
    later = new_run_id("ingest", second.replace(microsecond=999000))
    quads = []
    for run_id in (earlier, later):
        node = iris.run_iri(run_id)
        quads += [
            ox.Quad(node, iris.vocab("rdf:type"), iris.term("IngestRun"), iris.RUNS_GRAPH),
            ox.Quad(node, iris.term("status"), ox.Literal("completed"), iris.RUNS_GRAPH),
            ox.Quad(node, iris.vocab("prov:startedAtTime"), date_time(second), iris.RUNS_GRAPH),
        ]
    any_store.add_quads(quads)
    assert [r.run_id for r in list_runs(any_store)] == [later, earlier]
