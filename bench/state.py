"""The stored-state lookup that every write path starts from, against the one it replaced.

Ingest and refresh each looked up what the store holds of a batch of articles in their own
way: by article node on the union default graph with an OPTIONAL per property (ingest's,
kept as ``kb.jobs.write.stored_states``), or by (graph, article) pair with one FILTER
(refresh's). This builds one on-disk store of synthetic articles and times
both on the same batches, in the same run.

    python bench/state.py                      # 10,000 articles, batches of 100 and 1,000
    python bench/state.py --size 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from store import BASE_PMID, synthetic

from kb import iris
from kb.graph.article import to_quads
from kb.jobs.write import stored_states
from kb.store import OxigraphStore, Store, value_of


def pair_lookup(store: Store, pmids: list[str]) -> dict[str, dict[str, str]]:
    """The old refresh lookup: (graph, article) pairs, every triple, one FILTER."""
    names = ", ".join(f"tc:{n}" for n in ("pmidVersion", "contentHash", "extractor", "deleted"))
    pairs = " ".join(f"({iris.article_graph(p)} {iris.article_iri(p)})" for p in pmids)
    rows = store.select(
        f"PREFIX tc: <{iris.ONTOLOGY}>\nSELECT ?g ?p ?o WHERE {{ VALUES (?g ?a) {{ {pairs} }} "
        f"GRAPH ?g {{ ?a ?p ?o }} FILTER(?p IN ({names}, tc:retracted)) }}"
    )
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(value_of(row["g"]) or "", {})[value_of(row["p"]) or ""] = (
            value_of(row["o"]) or ""
        )
    return found


def median_ms(run: object, batches: list[list[str]], store: Store) -> float:
    """Time the lookup of each batch; return the median in milliseconds."""
    times = []
    for batch in batches:
        start = time.perf_counter()
        run(store, batch)  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Build the store, then time both lookups on the same batches."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = OxigraphStore(Path(folder) / "store")
        graphs = {}
        for article, extraction in synthetic(args.size):
            graphs[iris.article_graph(article.pmid)] = to_quads(article, extraction)
            if len(graphs) == 1000:
                store.replace_graphs(graphs)
                graphs = {}
        store.replace_graphs(graphs)
        rng = random.Random(7)
        pmids = [str(BASE_PMID + n) for n in range(args.size)]
        print(f"{args.size:,} articles; median of {args.repeats} batches each")
        print(f"{'batch':>6}  {'kept (union OPTIONAL)':>22}  {'old (graph, article)':>21}  ratio")
        for size in (100, 1000):
            batches = [rng.sample(pmids, size) for _ in range(args.repeats)]
            assert len(stored_states(store, batches[0])) == size
            assert len(pair_lookup(store, batches[0])) == size
            kept = median_ms(stored_states, batches, store)
            old = median_ms(pair_lookup, batches, store)
            print(f"{size:>6}  {kept:>19.1f} ms  {old:>18.1f} ms  {old / kept:5.2f}x")
        store.close()


if __name__ == "__main__":
    main()
