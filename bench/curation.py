"""What curation costs: reading an article's verdicts as they grow, and mapping with them.

Every write of an article reads the verdicts on it, and every ``GET /curations?pmid=`` too.
This builds an in-memory store of synthetic articles, adds 0, 1,000 and 10,000 verdicts (a
rejection each, several per article), and times in the same run:

- reading one article's verdicts as ``kb.jobs.write.read_verdicts`` does (the verdicts on the
  given articles only), against reading the whole curation graph and keeping that article's
  (what the first version did: the baseline);
- mapping a batch of curated articles with their verdicts (``to_quads``), against mapping the
  same articles without (the baseline).

    python bench/curation.py
    python bench/curation.py --articles 1000 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from store import BASE_PMID, synthetic

from kb import iris
from kb.curation import Curator, Verdict
from kb.graph.article import to_quads
from kb.graph.curation import verdict_quads, verdicts_from_quads
from kb.jobs.write import read_verdicts
from kb.store import OxigraphStore, Store

CURATOR = Curator(name="Bench Curator")


def whole_graph(store: Store, pmid: str) -> list[object]:
    """The baseline: read every verdict, keep the article's."""
    verdicts, _ = verdicts_from_quads(store.quads(iris.CURATION_GRAPH))
    return [v for v in verdicts if isinstance(v, Verdict) and v.pmid == pmid]


def median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def rejections(extraction: object, pmid: str, count: int, at: int) -> list[Verdict]:
    """Reject the article's first ``count`` assertions."""
    return [
        Verdict(
            pmid=pmid,
            action="reject",
            assertion=a,
            reason="other",
            curator=CURATOR,
            created=datetime(2026, 1, 1, tzinfo=UTC).replace(microsecond=at + i),
        )
        for i, a in enumerate(extraction.assertions[:count])  # type: ignore[attr-defined]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    corpus = list(synthetic(args.articles))
    store = OxigraphStore()
    for start in range(0, len(corpus), 500):
        store.add_quads(q for a, x in corpus[start : start + 500] for q in to_quads(a, x))
    print(f"{args.articles:,} synthetic articles, {sum(1 for _ in store.quads()):,} quads")
    held: list[Verdict] = []
    probe = str(BASE_PMID)
    for total in (0, 1000, 10_000):
        per = max(1, total // args.articles)
        while len(held) < total:
            article, extraction = corpus[(len(held) // per) % len(corpus)]
            made = rejections(extraction, article.pmid, per, len(held))
            store.add_quads(q for v in made for q in verdict_quads(v))
            held += made
        ours = median_ms(lambda: read_verdicts(store, [probe]), args.repeats)
        base = median_ms(lambda: whole_graph(store, probe), args.repeats)
        ratio = f"{ours / base:.4f}" if total else "n/a (nothing to read)"
        print(
            f"{total:>6,} verdicts: one article's, read_verdicts {ours:7.2f} ms; "
            f"whole graph (baseline) {base:8.2f} ms; ratio {ratio}"
        )
    batch = corpus[:100]
    on = {a.pmid: [v for v in held if v.pmid == a.pmid] for a, _ in batch}
    curated = median_ms(lambda: [to_quads(a, x, on[a.pmid]) for a, x in batch], args.repeats)
    plain = median_ms(lambda: [to_quads(a, x) for a, x in batch], args.repeats)
    judged = sum(len(v) for v in on.values())
    print(
        f"mapping 100 articles with their {judged} verdicts: {curated:.1f} ms; "
        f"without (baseline) {plain:.1f} ms; ratio {curated / plain:.2f}"
    )


if __name__ == "__main__":
    main()
