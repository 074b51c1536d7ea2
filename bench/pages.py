"""Time to first paint of the pages, in Debian's Chromium, on a large synthetic store.

Runs ``kb serve`` over an on-disk store of synthetic articles (``bench/corpus.py``; the
case index read before timing starts, as a running server has it), then opens each page in a
fresh browser context (nothing cached in the browser) and reads the browser's own
``first-contentful-paint`` mark, which counts from the navigation's start: request, server,
transfer, parsing, styles and layout. Measured in one run:

- ``baseline``: the site's 404 page (the same template and stylesheet, no data asked);
- ``home``: the figures, the extractor's quality and the search box;
- ``cases, first ask``: the case browser under eight filter sets, each asked for the first
  time (its cases fetched, its facets counted and the page drawn anew); ``cases, served``:
  the same sets asked again, as the answer cache hands them out until the next write;
- ``article, first ask``: a different article every time (never answered before), with its
  abstract highlighted and its cases.

Each figure is printed with its ratio to the baseline's p50 (the machines are noisy), and
with the answer's first byte, the server's share of it. Target: p95 under 300 ms served at
100,000 articles.

    python bench/pages.py                          # 100,000 articles (builds for many minutes)
    python bench/pages.py --articles 5000          # a quick run
    python bench/pages.py --store /tmp/kb-cases    # build once, reuse (bench/cases.py's too)
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "bench"))

import httpx
from corpus import ready_store, serving
from store import BASE_PMID

TARGET_MS = 300.0
CASE_FILTERS: list[dict[str, str]] = [
    {},
    {"region": "region/cervical"},
    {"level": "C2"},
    {"absent": "finding/contrast-enhancement"},
    {"present": "finding/t1-hypointense", "region": "region/lumbar"},
    {"misdiagnosis": "condition/metastasis"},
    {"confirmed": "true", "sort": "-year"},
    {"no_duplicates": "true", "sort": "age"},
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
PAINT = "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null"
SERVED = "() => performance.getEntriesByType('navigation')[0].responseStart"


def percentiles(times: Sequence[float]) -> tuple[float, float]:
    """p50 and p95, as given."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


def first_paint(browser: object, url: str) -> tuple[float, float]:
    """Milliseconds to a fresh visit's first contentful paint, and to its first byte.

    Both count from the navigation's start; the first byte is the server's share.
    """
    context = browser.new_context(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    response = page.goto(url, wait_until="load")
    if response is None or response.status >= 500:
        raise SystemExit(f"{url}: {response and response.status}")
    painted = None
    for _ in range(50):  # the mark is written just after the paint
        painted = page.evaluate(PAINT)
        if painted is not None:
            break
        page.wait_for_timeout(20)
    served = float(page.evaluate(SERVED))
    context.close()
    if painted is None:
        raise SystemExit(f"{url}: no first-contentful-paint")
    return float(painted), served


def wait_for_case_index(url: str) -> float:
    """Seconds until the server's case browser has its facet counts (the index is read)."""
    started = time.perf_counter()
    headers = {"Accept": "text/html"}
    while "being computed" in httpx.get(f"{url}/cases", headers=headers, timeout=600).text:
        time.sleep(1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--store", type=Path, help="Build here once and reuse it.")
    parser.add_argument("--visits", type=int, default=40, help="Visits of each kind of page.")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    home = ready_store(args.store, args.articles, "kb-bench-pages-")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as kb_home, serving(Path(kb_home), home / "store") as url:
        print(f"case index read by the server in {wait_for_case_index(url):.0f} s")
        counts = httpx.get(f"{url}/queries/counts", timeout=600).json()["data"][0]
        rng = random.Random(11)  # articles never opened before: their answers are not cached
        pmids = [str(BASE_PMID + rng.randrange(counts["articles"])) for _ in range(args.visits)]
        filtered = [f"/cases?{urlencode(f)}" for f in CASE_FILTERS]
        kinds = {
            "baseline": ["/no/such/page"] * args.visits,
            "home": ["/"] * args.visits,
            "cases, first ask": filtered,  # each answer drawn anew: counted and fetched
            "cases, served": [filtered[i % len(filtered)] for i in range(args.visits)],
            "article, first ask": [f"/articles/{pmid}" for pmid in pmids],
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            first_paint(browser, url + "/")  # the browser's own start, not counted
            visits = {kind: [first_paint(browser, url + path) for path in paths]
                      for kind, paths in kinds.items()}  # fmt: skip
            browser.close()
    paints = {kind: [paint for paint, _ in times] for kind, times in visits.items()}
    base, _ = percentiles(paints["baseline"])
    print(f"first contentful paint, fresh browser context, {args.visits} visits of each kind"
          f" ({len(CASE_FILTERS)} first asks of the case browser):")  # fmt: skip
    print(f"{'page':18} {'p50':>9} {'p95':>9} {'p50 / baseline':>15} {'first byte p50, p95':>22}")
    for kind, times in paints.items():
        p50, p95 = percentiles(times)
        b50, b95 = percentiles([served for _, served in visits[kind]])
        ratio = p50 / base
        met = "" if kind == "baseline" else "  met" if p95 < TARGET_MS else "  missed"
        print(f"{kind:18} {p50:6.0f} ms {p95:6.0f} ms {ratio:14.1f}x {b50:11.0f} ms {b95:5.0f} ms"
              f"{met}")  # fmt: skip
    print(f"target: p95 under {TARGET_MS:.0f} ms")


if __name__ == "__main__":
    main()
