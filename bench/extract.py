"""Speed of extraction against the cost of only splitting and tokenising the same abstracts.

Reads real abstracts (the bundled topic sample, the shared dev set and seed, and the two
pmparser baseline samples of general PubMed when ../shared is present), repeats them to a
fixed count, then times, on one core and in this process:

- baseline: split every title and abstract section into sentences and tokenise them;
- extraction: ``extract_article`` on every article (which includes the baseline's work).

Each figure is abstracts per CPU second of this one process, the best of three passes.
Prints both, their ratio, and the target (500 abstracts per second on one core).

    python bench/extract.py              # 5,000 abstracts
    python bench/extract.py --count 500  # a quick run
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.files import iter_file_records
from kb.extraction.extract import extract_article
from kb.extraction.text import split_sentences, tokenize
from kb.models import Article
from kb.resources import sample_path

SHARED = Path(os.environ.get("KB_SHARED", ROOT.parent / "shared"))
SOURCES = (
    SHARED / "eval" / "dev" / "records.xml",
    SHARED / "data" / "seed" / "durant-2001.xml",
    SHARED / "data" / "pubmed-real" / "pmparser" / "data" / "baseline" / "pubmed20n1015.xml.gz",
    SHARED / "data" / "pubmed-real" / "pmparser" / "data" / "testfiles" / "pubmed20n1016.xml.gz",
)
TARGET = 500.0


def read_corpus() -> list[Article]:
    """Every article with an abstract from the sample and whichever shared files exist."""
    paths = [sample_path(), *(p for p in SOURCES if p.is_file())]
    records = (r for path in paths for r in iter_file_records(path))
    articles = [r for r in records if isinstance(r, Article) and r.abstract]
    print(f"corpus: {len(articles)} abstracts from {len(paths)} file(s)")
    return articles


def split_only(article: Article) -> int:
    """The baseline: sentences and tokens of the title and every section, nothing else."""
    n = 0
    for text in (article.title, *(s.text for s in article.abstract)):
        for a, b in split_sentences(text):
            n += len(tokenize(text[a:b]))
    return n


def rate(work: Callable[[Article], object], articles: Sequence[Article], repeat: int = 3) -> float:
    """Articles per CPU second of ``work`` over ``articles``: the best of ``repeat`` passes.

    CPU time of this process (one core), so that other processes on the machine slow the
    wall clock but not the figure; the best pass is the least disturbed one.
    """
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for article in articles:
            work(article)
        best = min(best, time.process_time() - start)
    return len(articles) / best


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="abstracts to time")
    args = parser.parse_args()
    corpus = read_corpus()
    articles = list(itertools.islice(itertools.cycle(corpus), args.count))
    words = sum(split_only(a) for a in corpus) / len(corpus)
    extract_article(corpus[0])  # build the lexicons and the cue index outside the timing
    baseline = rate(split_only, articles)
    extraction = rate(extract_article, articles)
    print(f"abstracts timed: {len(articles)} (mean {words:.0f} words)")
    print(f"baseline (split + tokenise): {baseline:8.0f} abstracts/s")
    print(f"extraction (extract_article): {extraction:8.0f} abstracts/s")
    print(f"extraction costs {baseline / extraction:.1f}x the baseline")
    verdict = "meets" if extraction >= TARGET else "MISSES"
    print(f"target {TARGET:.0f} abstracts/s on one core: {verdict}")


if __name__ == "__main__":
    main()
