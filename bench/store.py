"""Oxigraph on disk against rdflib's in-memory Dataset: load time, size, memory, query latency.

Synthetic articles (about 8 assertions each, concepts drawn from the real scheme) are mapped by
kb.graph.article and written through the real pipeline (kb.jobs.ingest_records) into an on-disk
Oxigraph store, and parsed into an rdflib Dataset (its SPARQL engine over the union of graphs).
Each engine and size runs in its own process, so peak memory is its own. Query latency is the
median of several runs of four representative queries, before and after Oxigraph's optimize().

    python bench/store.py                        # 1,000, 10,000 and 100,000 articles
    python bench/store.py --sizes 1000,5000      # a quicker run
    python bench/store.py --rdflib-max 10000     # the largest size rdflib is given (default)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import iris
from kb.models import (
    AbstractSection,
    Article,
    Assertion,
    Author,
    Case,
    Extraction,
    Patient,
    PubDate,
    Study,
)

PROLOG = iris.sparql_prolog()
BASE_PMID = 30_000_000
RDFLIB_BUDGET_S = 60.0  # per rdflib query run; over it, the query is reported as "> 60 s"
FINDING = iris.concept_iri("finding/t1-hypointense")
QUERIES = {
    "articles with a finding": f"""SELECT DISTINCT ?article WHERE {{
        ?a tc:concept {FINDING} ; tc:role "finding" ; tc:polarity "present" ;
           tc:sourceArticle ?article }}""",
    "articles per concept": """SELECT ?concept (COUNT(DISTINCT ?article) AS ?n) WHERE {
        ?a tc:concept ?concept ; tc:sourceArticle ?article }
        GROUP BY ?concept ORDER BY DESC(?n)""",
    "finding x misdiagnosis": """SELECT ?finding ?mistaken (COUNT(DISTINCT ?article) AS ?n) WHERE {
        ?f tc:role "finding" ; tc:polarity "present" ; tc:concept ?finding ;
           tc:sourceArticle ?article .
        ?m tc:role "misdiagnosis" ; tc:concept ?mistaken ; tc:sourceArticle ?article }
        GROUP BY ?finding ?mistaken ORDER BY DESC(?n) LIMIT 20""",
    "one article's graph": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH $graph { ?s ?p ?o } }",
}
ROLES = {  # role: (scheme of its concepts, assertions per article)
    "lesion": ("lesion", 1),
    "site": ("anatomy", 2),
    "associated": ("condition", 1),
    "finding": ("finding", 2),
    "misdiagnosis": ("condition", 1),
    "symptom": ("symptom", 1),
}
WORDS = [
    "calcified",
    "mass",
    "spine",
    "lesion",
    "signal",
    "enhancement",
    "cervical",
    "lumbar",
    "patient",
    "dialysis",
]


def synthetic(count: int) -> Iterator[tuple[Article, Extraction]]:
    """Articles with an abstract and an extraction of about 8 assertions each."""
    return (synthetic_one(number) for number in range(count))


@lru_cache(maxsize=1)
def _concepts_by_scheme() -> dict[str, list[str]]:
    from kb.vocabulary import get_concepts

    by_scheme: dict[str, list[str]] = {}
    for concept in sorted(get_concepts().values(), key=lambda c: c.id):
        by_scheme.setdefault(concept.scheme, []).append(concept.id)
    return by_scheme


def synthetic_one(number: int) -> tuple[Article, Extraction]:
    """The ``number``-th synthetic article and its extraction (the same every time).

    Four in five are case reports (one case, every patient assertion its own), three in
    twenty series of two to four patients told one by one (assertions shared among them, a
    few the group's), one in twenty cohorts told as a group (no case).
    """
    rng = random.Random(number)
    pmid = str(BASE_PMID + number)
    sentences = [" ".join(rng.choices(WORDS, k=rng.randint(12, 24))) for _ in range(4)]
    kind = rng.random()
    patients = 1 if kind < 0.8 else rng.randint(2, 4) if kind < 0.95 else rng.randint(10, 40)
    told = patients if patients < 10 else 0
    assertions = []
    for role, (scheme, many) in ROLES.items():
        for concept in rng.sample(_concepts_by_scheme()[scheme], many):
            sentence = rng.choice(sentences)
            start = rng.randint(0, len(sentence) - 10)
            assertions.append(
                Assertion(
                    role=role,  # type: ignore[arg-type]
                    concept=concept,
                    polarity=rng.choice(["present", "present", "absent"]),
                    section=rng.choice(["RESULTS", "CONCLUSIONS", "UNLABELLED"]),
                    sentence=sentence,
                    start=start,
                    end=start + rng.randint(3, 9),
                    patient=rng.choice([*range(1, told + 1), None]) if told > 1 else told or None,
                )
            )
    cases = tuple(_synthetic_case(rng, k, assertions) for k in range(1, told + 1))
    article = Article(
        pmid=pmid,
        title=" ".join(rng.choices(WORDS, k=10)),
        abstract=tuple(AbstractSection(text=s) for s in sentences),
        pub_date=PubDate(year=rng.randint(1980, 2025), month=rng.randint(1, 12)),
        languages=("eng",),
        authors=tuple(
            Author(last_name=f"{rng.choice(SURNAMES)}{rng.randint(1, 400)}", initials="A")
            for _ in range(rng.randint(1, 4))
        ),
    )
    design = "case-report" if patients == 1 else "case-series" if told else "retrospective-study"
    extraction = Extraction(
        pmid=pmid,
        extractor="bench/1.0",
        study=Study(
            design=design,  # type: ignore[arg-type]
            n_patients=patients,
            patients=tuple(Patient(age=c.age, sex=c.sex) for c in cases),
        ),
        levels=tuple(dict.fromkeys(v for c in cases for v in c.levels)),
        assertions=tuple(assertions),
        cases=cases,
    )
    return article, extraction


SURNAMES = ["Smith", "Tanaka", "Okafor", "Lindqvist", "Rossi", "Garcia", "Chen", "Novak"]
VERTEBRAE = (
    [f"C{i}" for i in range(1, 8)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
)


def _synthetic_case(rng: random.Random, k: int, assertions: list[Assertion]) -> Case:
    top = rng.randrange(len(VERTEBRAE) - 1)
    mine = [a for a in assertions if a.patient == k]
    return Case(
        patient=k,
        age=rng.randint(5, 90),
        sex=rng.choice(["female", "male"]),  # type: ignore[arg-type]
        levels=tuple(VERTEBRAE[top : top + rng.randint(1, 2)]),
        misdiagnoses=tuple(a.concept for a in mine if a.role == "misdiagnosis"),
        diagnosis=rng.choice(["excision-histology", "biopsy-histology", "imaging", None]),  # type: ignore[arg-type]
    )


def median_ms(run: Callable[[], object], repeats: int, budget_s: float | None = None) -> float:
    """The median wall time of ``run`` in ms, after one warm-up run (results consumed whole).

    With a budget, each run happens in a forked child that is killed when the budget is
    spent (rdflib cannot be interrupted); the figure is then the budget, reported as ">".
    """
    times = []
    for attempt in range(repeats + 1):
        start = time.perf_counter()
        if budget_s is None:
            _consume(run())
        elif not _within(run, budget_s):
            return float("inf")
        if attempt:  # the first run warms caches up
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _consume(result: object) -> None:
    for _ in result:  # type: ignore[attr-defined]
        pass


def _within(run: Callable[[], object], budget_s: float) -> bool:
    """Run in a forked child (it shares the loaded data); False when over budget."""
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(target=lambda: _consume(run()))
    child.start()
    child.join(budget_s)
    if child.is_alive():
        child.kill()
        child.join()
        return False
    return child.exitcode == 0


def folder_mib(path: Path) -> float:
    """The size of the files under a folder, in MiB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def peak_mib() -> float:
    """The peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_oxigraph(size: int, repeats: int, folder: Path) -> dict[str, object]:
    """Load through the pipeline into an on-disk store, then time the queries."""
    from kb.extraction import Extractor
    from kb.jobs.ingest import ingest_records
    from kb.store import OxigraphStore

    extractor = Extractor("bench/1.0", lambda a: synthetic_one(int(a.pmid) - BASE_PMID)[1])
    memory_before = peak_mib()
    store = OxigraphStore(folder / "store")
    start = time.perf_counter()
    ingest_records(store, (a for a, _ in synthetic(size)), extract=extractor)
    load = time.perf_counter() - start
    quads = sum(1 for _ in store.oxigraph.quads_for_pattern(None, None, None, None))
    result: dict[str, object] = {"load_s": load, "quads": quads}
    result["queries_ms"] = _queries(store.oxigraph.query, repeats, size, union=True)
    start = time.perf_counter()
    store.optimize()
    result["optimize_s"] = time.perf_counter() - start
    result["optimized_ms"] = _queries(store.oxigraph.query, repeats, size, union=True)
    store.close()
    result["disk_mib"] = folder_mib(folder / "store")
    result["peak_mib"] = peak_mib()
    result["data_mib"] = memory_before
    return result


def run_rdflib(size: int, repeats: int) -> dict[str, object]:
    """Parse the same quads into an rdflib Dataset (union default graph), then time queries."""
    import pyoxigraph as ox
    import rdflib

    from kb.graph.article import to_quads
    from kb.graph.ontology import ontology_quads

    warnings.simplefilter("ignore", DeprecationWarning)  # rdflib 7.6 warns about itself
    data = ox.serialize(
        (q for a, x in synthetic(size) for q in to_quads(a, x)), format=ox.RdfFormat.N_QUADS
    )
    data += ox.serialize(ontology_quads()[1], format=ox.RdfFormat.N_QUADS)
    memory_before = peak_mib()
    dataset = rdflib.Dataset(default_union=True)
    start = time.perf_counter()
    dataset.parse(data=data, format="nquads")
    load = time.perf_counter() - start
    del data
    result: dict[str, object] = {"load_s": load, "quads": len(dataset)}

    def query(text: str, **_: object) -> object:
        return dataset.query(text)

    result["queries_ms"] = _queries(query, repeats, size, union=False, budget_s=RDFLIB_BUDGET_S)
    result["peak_mib"] = peak_mib()
    result["data_mib"] = memory_before
    return result


def _queries(
    run: Callable[..., object], repeats: int, size: int, union: bool, budget_s: float | None = None
) -> dict[str, float]:
    graph = str(iris.article_graph(str(BASE_PMID + size // 2)))
    options = {"use_default_graph_as_union": True} if union else {}
    texts = {name: PROLOG + text.replace("$graph", graph) for name, text in QUERIES.items()}
    return {
        name: median_ms(lambda text=text: run(text, **options), repeats, budget_s)
        for name, text in texts.items()
    }


def worker(engine: str, size: int, repeats: int) -> None:
    """Run one engine at one size and print its figures as JSON."""
    if engine == "oxigraph":
        folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
        try:
            result = run_oxigraph(size, repeats, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        result = run_rdflib(size, repeats)
    print(json.dumps(result))


def _spawn(engine: str, size: int, repeats: int) -> dict[str, object]:
    command = [sys.executable, __file__, "--worker", engine, "--size", str(size)]
    done = subprocess.run(
        [*command, "--repeats", str(repeats)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{engine} at {size} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run every size for both engines and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="Article counts, commas.")
    parser.add_argument("--rdflib-max", type=int, default=10_000, help="Largest rdflib size.")
    parser.add_argument("--repeats", type=int, default=5, help="Runs per query (median).")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.size, args.repeats)
        return
    for size in (int(s) for s in args.sizes.split(",")):
        ox_result = _spawn("oxigraph", size, args.repeats)
        rdf_result = _spawn("rdflib", size, args.repeats) if size <= args.rdflib_max else None
        _report(size, ox_result, rdf_result)


def _report(size: int, ox_: dict[str, object], rdf: dict[str, object] | None) -> None:
    quads = int(ox_["quads"])  # type: ignore[call-overload]
    print(f"\n== {size:,} articles, {quads:,} quads ==")
    load = float(ox_["load_s"])  # type: ignore[arg-type]
    print(
        f"oxigraph on disk: load {load:.1f} s ({quads / load:,.0f} quads/s, through the "
        f"pipeline), optimize {float(ox_['optimize_s']):.1f} s, "  # type: ignore[arg-type]
        f"{float(ox_['disk_mib']):.0f} MiB on disk, peak RSS "  # type: ignore[arg-type]
        f"{float(ox_['peak_mib']):.0f} MiB"  # type: ignore[arg-type]
    )
    if rdf is None:
        print("rdflib Dataset: not run at this size (--rdflib-max)")
    else:
        rdf_load = float(rdf["load_s"])  # type: ignore[arg-type]
        print(
            f"rdflib Dataset in memory: parse {rdf_load:.1f} s, peak RSS "
            f"{float(rdf['peak_mib']):.0f} MiB "  # type: ignore[arg-type]
            f"(of which {float(rdf['data_mib']):.0f} MiB before parsing); "  # type: ignore[arg-type]
            f"load ratio rdflib/oxigraph {rdf_load / load:.2f}"
        )
    header = f"{'median ms':<26}{'oxigraph':>10}{'optimized':>11}{'rdflib':>11}{'rdflib/opt':>11}"
    print(header)
    before, after = ox_["queries_ms"], ox_["optimized_ms"]
    for name in QUERIES:
        ms_before, ms_after = before[name], after[name]  # type: ignore[index]
        line = f"{name:<26}{ms_before:>10.1f}{ms_after:>11.1f}"
        if rdf is not None:
            ms_rdf = rdf["queries_ms"][name]  # type: ignore[index]
            if ms_rdf == float("inf"):
                limit = RDFLIB_BUDGET_S * 1000
                line += (
                    f"{'>' + format(limit, '.0f'):>11}{'>' + format(limit / ms_after, '.0f'):>11}"
                )
            else:
                line += f"{ms_rdf:>11.1f}{ms_rdf / max(ms_after, 0.01):>11.1f}"
        print(line)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
