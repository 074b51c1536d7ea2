"""What a refresh costs: a run that finds nothing, by store size; 1,000 new articles, by stage.

Two on-disk stores, of N/10 and N articles (N = 100,000 by default), are bulk-loaded with
copies of real article graphs (the bundled sample read, extracted and mapped by the real
pipeline, then renumbered; each copy keeps its record and --assertions of its assertions, as
a whole sample graph averages 500 quads and would take this long to load), and given a
completed refresh run with today's watermark. Then:

- a nightly refresh that finds nothing new (two empty date windows, no sweep), run several
  times at each size: its time should follow what changed, not the size of the store, so the
  ratio of the two medians should stay near 1 (the weekly sweep's listing of the stored PMIDs
  does grow with the store, and is timed beside it);
- a refresh of 1,000 new articles into the large store, served by the fake E-utilities on
  127.0.0.1 without a rate limit, its time split into stages: record (the ontology check and
  the run record), search, fetch, parse, compare (with the store), extract, map, archive and
  store. Against NCBI the fetch is paced at 10 requests a second with an API key: 1,000
  new articles are 2 searches and 5 efetch batches, under a second of waiting.

The fake holds only the new records: a no-op run asks it nothing but two empty windows, and
its own search cost (it scans its records in Python) is not the refresh's.

    python bench/refresh.py                   # 100,000 articles
    python bench/refresh.py --articles 10000  # a quicker run
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import pyoxigraph as ox

from ingest.eutils import EutilsClient
from kb import iris
from kb.jobs.archive import RecordArchive
from kb.jobs.refresh import refresh
from kb.jobs.runs import Run, write_run
from kb.jobs.write import Stopwatch, stored_pmids
from kb.store import OxigraphStore
from tests.support.fake_eutils import FakeEutils

QUERY = "tumoral calcinosis spine"
FIRST_PMID = 10_000_000
NEW_PMID = 90_000_000
KEY = re.compile(r"(/id/assertion/[0-9a-z]+)")


def templates(assertions: int) -> list[tuple[str, str]]:
    """Return the sample's article graphs as N-Quads text with their PMIDs.

    They are read the real way, each cut to its record and its first ``assertions`` assertions.
    """
    from ingest.files import iter_file_records
    from kb.jobs.ingest import ingest_records
    from kb.resources import sample_path

    store = OxigraphStore()
    ingest_records(store, iter_file_records(sample_path()))
    found = []
    for graph in sorted(store.graph_names(), key=lambda g: g.value):
        pmid = iris.pmid_of_graph(graph)
        if pmid is None:
            continue
        lines = [f"{q} .\n" for q in store.quads(graph)]
        keys = list(dict.fromkeys(m[1] for line in lines if (m := KEY.search(line))))
        dropped = set(keys[assertions:])
        kept = [line for line in lines if not ((m := KEY.search(line)) and m[1] in dropped)]
        found.append((pmid, "".join(kept)))
    return found


def synthetic_nquads(count: int, assertions: int, chunk: int = 5_000) -> Iterator[bytes]:
    """N-Quads of ``count`` articles: sample graphs renumbered, assertion IRIs made unique."""
    sample = templates(assertions)
    lines: list[str] = []
    for n in range(count):
        pmid, text = sample[n % len(sample)]
        copy = text.replace(f"/{pmid}>", f"/{FIRST_PMID + n}>").replace(
            f'"{pmid}"', f'"{FIRST_PMID + n}"'
        )
        lines.append(KEY.sub(rf"\1n{n}", copy.replace(f"/{pmid}/", f"/{FIRST_PMID + n}/")))
        if len(lines) == chunk:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def build_store(
    path: Path, articles: int, assertions: int, today: date
) -> tuple[OxigraphStore, float, int]:
    """Bulk-load a store of ``articles`` articles with a completed refresh run of today."""
    from kb.graph.ontology import ensure_ontology

    began = time.perf_counter()
    store = OxigraphStore(path)
    for block in synthetic_nquads(articles, assertions):
        store.oxigraph.bulk_load(block, ox.RdfFormat.N_QUADS)
    ensure_ontology(store)
    started = datetime(today.year, today.month, today.day, tzinfo=UTC)
    write_run(
        store,
        Run(
            run_id="refresh-bench-baseline",
            kind="refresh",
            label="refresh",
            query=QUERY,
            started=started,
            ended=started,
            status="completed",
            watermark=today,
            swept=True,
        ),
    )
    store.oxigraph.optimize()
    quads = sum(1 for _ in store.oxigraph.quads_for_pattern(None, None, None, None))
    return store, time.perf_counter() - began, quads


def no_op(store: OxigraphStore, fake: FakeEutils, archive: RecordArchive, times: int) -> float:
    """The median seconds of a refresh that finds nothing new."""
    seconds = []
    with EutilsClient(fake.url, rate=10_000.0) as client:
        for _ in range(times):
            began = time.perf_counter()
            run = refresh(store, client, QUERY, archive=archive)
            seconds.append(time.perf_counter() - began)
            assert run.status == "completed" and not run.new and not run.swept, run
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="the large store's size")
    parser.add_argument("--new", type=int, default=1_000, help="new articles to refresh")
    parser.add_argument("--repeat", type=int, default=5, help="no-op runs per size")
    parser.add_argument("--assertions", type=int, default=2, help="assertions per article")
    args = parser.parse_args()
    today = datetime.now(UTC).date()
    sizes = (max(args.articles // 10, 1), args.articles)
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp, FakeEutils() as fake:
        folder = Path(tmp)
        archive = RecordArchive(folder / "records")
        medians = {}
        for size in sizes:
            store, built, quads = build_store(
                folder / f"store-{size}", size, args.assertions, today
            )
            print(f"store of {size:,} articles: {quads:,} quads, bulk-loaded in {built:.1f} s")
            medians[size] = no_op(store, fake, archive, args.repeat)
            print(f"  no-op refresh: median {medians[size] * 1000:.0f} ms of {args.repeat}")
            began = time.perf_counter()
            live = stored_pmids(store, deleted=False)
            listed = time.perf_counter() - began
            print(
                f"  listing the {len(live):,} stored PMIDs (part of the weekly sweep, which "
                f"grows with the store): {listed * 1000:.0f} ms"
            )
            if size != sizes[-1]:
                store.close()
        small, large = (medians[s] for s in sizes)
        print(
            f"no-op refresh, {sizes[1]:,} against {sizes[0]:,} articles: "
            f"x{large / small:.2f} the time for x{sizes[1] / sizes[0]:.0f} the articles"
        )

        fake.pubmed.add_many(args.new, first_pmid=NEW_PMID, first_day=today, per_day=args.new)
        watch = Stopwatch()
        with EutilsClient(fake.url, rate=10_000.0) as client:
            began = time.perf_counter()
            run = refresh(store, client, QUERY, archive=archive, stopwatch=watch)
            total = time.perf_counter() - began
        assert len(run.new) == args.new, run
        print(
            f"refresh of {args.new:,} new articles into {sizes[1]:,}: {total:.2f} s "
            f"({total / args.new * 1000:.2f} ms an article)"
        )
        for stage, seconds in sorted(watch.seconds.items(), key=lambda s: -s[1]):
            print(f"  {stage:<8} {seconds:6.2f} s  {seconds / total:5.1%}")
        other = total - sum(watch.seconds.values())
        print(f"  {'other':<8} {other:6.2f} s  {other / total:5.1%}")
        store.close()


if __name__ == "__main__":
    main()
