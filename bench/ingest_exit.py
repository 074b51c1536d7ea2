"""A large ``kb ingest`` ends when its work ends, in memory flat in the number of articles.

Writes synthetic PubMed XML (``bench/ingest.py``'s generator), then runs ``kb ingest`` on it
in a process of its own, twice in the same run: a baseline a tenth the size, then the whole.
For each it samples the process's resident memory every half second and prints:

- the wall time, and how long the process lived after its run record says the run ended
  (a process stuck closing the store shows here: it once waited for good in a RocksDB flush);
- the peak resident memory over each quarter of the run: flat when the memory is bounded by
  the batch, not by the file or the store;
- the write-ahead log files left in the store, and the store's size;
- the ratios of the whole run to the baseline: time (about 10 when the rate holds), peak
  memory (about 1 when flat).

    python bench/ingest_exit.py                      # 20,000 articles (about 15 minutes here)
    python bench/ingest_exit.py --articles 3000      # a quick run
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from corpus import kb_environment

# bench/ingest.py's generator, by path: the name "ingest" is the project's package.
_spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
assert _spec is not None and _spec.loader is not None
_generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_generator)
write_corpus = _generator.write_corpus


def rss_mib(pid: int) -> float | None:
    """Resident memory of a live process, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), None)
    return int(line.split()[1]) / 1024 if line else None


def ingest(home: Path, corpus: Path) -> dict[str, object]:
    """Run ``kb ingest`` on the corpus into ``home``; sample it; read back its run record."""
    env = kb_environment(home)
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "kb", "ingest", str(corpus)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: list[tuple[float, float]] = []
    while process.poll() is None:
        rss = rss_mib(process.pid)
        if rss is not None:
            samples.append((time.monotonic() - began, rss))
        time.sleep(0.5)
    exited_at = datetime.now().astimezone()
    wall = time.monotonic() - began
    if process.returncode != 0:
        raise SystemExit(f"kb ingest exited {process.returncode}: {process.stderr.read()[-2000:]}")
    runs = subprocess.run(
        [sys.executable, "-m", "kb", "runs", "--json", "--limit", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    run = json.loads(runs.stdout)[0]
    ended = datetime.fromisoformat(run["ended"])
    store = home / "store"
    quarters = [
        max((rss for t, rss in samples if wall * q / 4 <= t < wall * (q + 1) / 4), default=0.0)
        for q in range(4)
    ]
    return {
        "articles": run["written"],
        "status": run["status"],
        "wall": wall,
        "after_end": (exited_at - ended).total_seconds(),
        "quarters": quarters,
        "peak": max(quarters),
        "logs": len(list(store.glob("*.log"))),
        "store_mib": sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20,
    }


def show(name: str, figures: dict[str, object]) -> None:
    """Print one run's figures."""
    quarters = " ".join(f"{q:,.0f}" for q in figures["quarters"])  # type: ignore[attr-defined]
    print(
        f"{name:<9} {figures['articles']:>7,} {figures['wall']:>8.0f} s "
        f"{figures['after_end']:>9.1f} s {figures['peak']:>9,.0f} "
        f"  [{quarters}] {figures['logs']:>5} {figures['store_mib']:>9,.0f}"
    )


def main() -> None:
    """Write the corpora, ingest the baseline and the whole, print both and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        sizes = {"baseline": max(args.articles // 10, 1), "whole": args.articles}
        results = {}
        for name, size in sizes.items():
            corpus = base / f"{name}.xml"
            write_corpus(corpus, size)
            results[name] = ingest(base / name, corpus)
            corpus.unlink()
        print(
            f"{'run':<9} {'written':>7} {'wall':>10} {'exit lag':>11} {'peak MiB':>9}"
            f"   [peak MiB per quarter of the run] {'logs':>5} {'store MiB':>9}"
        )
        for name, figures in results.items():
            show(name, figures)
        whole, baseline = results["whole"], results["baseline"]
        print(
            f"ratios whole/baseline: articles {sizes['whole'] / sizes['baseline']:.0f}x, "
            f"time {whole['wall'] / baseline['wall']:.1f}x, "  # type: ignore[operator]
            f"peak memory {whole['peak'] / baseline['peak']:.2f}x"  # type: ignore[operator]
        )


if __name__ == "__main__":
    main()
