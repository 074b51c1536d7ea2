"""The case table and "cases like my patient" on a large synthetic store.

Builds an on-disk Oxigraph store of synthetic articles (bench/store.py: four in five case
reports, the rest series told patient by patient and cohorts; mapped by the real mapping),
flags the duplicates as a run would, then, with every read in query workers as ``kb serve``
runs them, measures in one run:

- ``cases``, first page of 50, under eight filter sets, ``cold`` (nothing cached: what the
  first ask after a write pays) two ways: the query alone (the engine filters, sorts and
  pages, stopped at 60 s; ``+`` marks one stopped), and as ``/cases`` answers once the case
  index is read (the index picks the page and writes its rows, with no selection kept from
  an earlier ask); and ``served``: ``/cases``'s way over a stream of 400 requests drawn from
  the sets, answers cached by the store's write generation;
- the case ranking for 200 random patients (two to four findings with polarity, a level in
  one of two): in Python from the case index (``kb.cases.similar``; its build is the cold
  price, paid once per write generation) against the same ranking in SPARQL (findings
  shared less contradicted, grouped per case). The ratio is SPARQL p50 / Python p50.

Target: p95 under 100 ms once served, and cold, at 100,000 articles.

    python bench/cases.py                        # 100,000 articles (builds for many minutes)
    python bench/cases.py --articles 5000        # a quick run
    python bench/cases.py --store /tmp/kb-cases  # build once, reuse on later runs
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "bench"))

from corpus import ready_store

from kb import iris
from kb.cases import case_table, index_filters
from kb.cases.duplicates import refresh_duplicates
from kb.cases.similar import Patient, build_index
from kb.errors import QueryTimeoutError
from kb.query.named import NamedQuery, read_queries
from kb.query.registry import Page, Registry, bind_params, execute
from kb.store import OxigraphStore
from kb.vocabulary import get_concepts

QUERY_ALONE_LIMIT = 60.0  # seconds
FILTERS: list[dict[str, object]] = [
    {},
    {"region": "region/cervical"},
    {"level": "C2"},
    {"absent": ["finding/contrast-enhancement"]},
    {"present": ["finding/t1-hypointense"], "region": "region/lumbar"},
    {"misdiagnosis": "condition/metastasis"},
    {"year_from": 2015, "confirmed": True},
    {"no_duplicates": True},
]


def percentiles(times: Sequence[float]) -> str:
    """p50 and p95 in ms."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def query_alone(store: OxigraphStore, query: NamedQuery, bound: dict[str, Any]) -> float:
    """Seconds the engine takes to filter, sort and page the case table, at most the limit.

    Run in a query worker, as the server runs it, so that a query past the limit is stopped
    (``no_duplicates`` alone takes minutes at 100,000 articles); counted at the limit then.
    """
    try:
        return timed(lambda: execute(store, query, bound, Page(50)))
    except QueryTimeoutError:
        time.sleep(10)  # the worker put in the stopped one's place has opened the store
        return QUERY_ALONE_LIMIT


def start_workers(store: OxigraphStore) -> None:
    """Query workers as kb serve has them, started and settled before anything is timed."""
    store.start_readers(2, QUERY_ALONE_LIMIT)
    for _ in range(4):
        store.query("ASK { ?s ?p ?o }")
    time.sleep(10)  # the spare workers the pool starts have opened the store


def sparql_ranking(patient: Patient, limit: int = 20) -> str:
    """The ranking of ``kb.cases.similar`` by findings alone, written in SPARQL."""
    rows = " ".join(
        f'({iris.concept_iri(c)} "{polarity}")'
        for c, polarity in [(c, "present") for c in patient.present]
        + [(c, "absent") for c in patient.absent]
    )
    return f"""PREFIX tc: <https://w3id.org/tckb/ontology#>
SELECT ?case ?key (SUM(?agree) - SUM(?against) AS ?score) WHERE {{
  VALUES (?concept ?wanted) {{ {rows} }}
  GRAPH <https://w3id.org/tckb/graph/claims> {{
    ?claim tc:role "finding" ; tc:concept ?concept ; tc:polarity ?polarity
  }}
  ?case tc:caseClaim ?claim ; tc:caseKey ?key .
  BIND(IF(?polarity = ?wanted, 1, 0) AS ?agree)
  BIND(IF(?polarity = ?wanted, 0, 1) AS ?against)
}}
GROUP BY ?case ?key HAVING (SUM(?agree) >= 1)
ORDER BY DESC(?score) DESC(?key)
LIMIT {limit}"""


def patients(count: int) -> list[Patient]:
    """Random patients: two to four findings, each seen or not, and a level in one of two."""
    rng = random.Random(7)
    findings = sorted(c for c, concept in get_concepts().items() if concept.scheme == "finding")
    asked = []
    for _ in range(count):
        chosen = rng.sample(findings, rng.randint(2, 4))
        present = frozenset(c for c in chosen if rng.random() < 0.7)
        level = (
            frozenset({rng.choice(["C1", "C2", "T10", "L4"])})
            if rng.random() < 0.5
            else frozenset()
        )
        asked.append(Patient(present=present, absent=frozenset(chosen) - present, levels=level))
    return asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--store", type=Path, help="Build here once and reuse it.")
    args = parser.parse_args()
    home = ready_store(args.store, args.articles, "kb-bench-cases-")
    store = OxigraphStore(home / "store")
    queries = read_queries()
    registry = Registry(store, queries)

    started = time.perf_counter()
    index = build_index(registry)
    built = time.perf_counter() - started
    started = time.perf_counter()
    flags = refresh_duplicates(registry, index.cases)
    flagged = time.perf_counter() - started
    print(f"{len(index.cases):,} cases; index read in {built:.2f} s; "
          f"{len(flags):,} duplicate flags in {flagged:.2f} s")  # fmt: skip

    query = queries["cases"]
    start_workers(store)  # from here every read runs in a worker, as when served
    cold, picked = [], []
    for params in FILTERS:
        bound = bind_params(query, params)  # type: ignore[arg-type]
        runs = [query_alone(store, query, bound)]  # once: seconds each
        fresh = []
        for _ in range(3):
            index.forget()  # as the first ask after a write finds it
            fresh.append(timed(partial(case_table, registry, index, params, Page(50))))  # type: ignore[arg-type]
        cold += runs
        picked += fresh
        total = len(index.select(index_filters(registry, params)))  # type: ignore[arg-type]
        query_ms, index_ms = statistics.median(runs) * 1000, statistics.median(fresh) * 1000
        over = "+" if runs[0] >= QUERY_ALONE_LIMIT else " "  # stopped at the limit
        print(f"  cases {params!s:64} {total:>7,} rows  query {query_ms:7.0f} ms{over}"
              f" from the index {index_ms:6.1f} ms")  # fmt: skip
    rng = random.Random(3)
    stream = [rng.choice(FILTERS) for _ in range(400)]
    served = [timed(partial(case_table, registry, index, p, Page(50))) for p in stream]  # type: ignore[arg-type]
    print(f"cases, cold, the query alone   {percentiles(cold)}")
    print(f"cases, cold, from the index    {percentiles(picked)}")
    print(f"cases, served (as /cases)      {percentiles(served)}")

    asked = patients(200)
    python = [timed(lambda p=p: index.like(p)) for p in asked]
    sparql = [timed(lambda p=p: list(store.query(sparql_ranking(p)))) for p in asked[:50]]  # type: ignore[call-overload]
    print(f"ranking, Python index      {percentiles(python)}   (index read once: {built:.2f} s)")
    print(f"ranking, SPARQL            {percentiles(sparql)}")
    print(
        f"SPARQL / Python (p50)      {statistics.median(sparql) / statistics.median(python):.1f}x"
    )
    store.close()


if __name__ == "__main__":
    main()
