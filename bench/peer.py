"""``kb serve`` against ``oxigraph serve-read-only`` on the same store, with the same client.

What a user might run instead of the knowledge base's server is Oxigraph's own (the
``oxigraph`` package on PyPI, ``pip install oxigraph``). Both serve one copy each of the same
on-disk store of synthetic articles on 127.0.0.1; four clients ask the same questions of each
for a few seconds: one article's evidence (``/articles/{pmid}`` against the SPARQL of
``article-evidence``), a named query (``/queries/misdiagnoses`` against its SPARQL) and a plain
SELECT through each one's SPARQL endpoint. Printed: requests per second, p95, and the ratios.

    python bench/peer.py                     # 3,000 articles, 5 s per measure
    python bench/peer.py --articles 1000 --seconds 3
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from faults import build
from store import BASE_PMID

from kb.query.named import read_queries
from kb.query.registry import bind_params, prepare
from kb.store.base import bind_values

PLAIN = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 100"
SPARQL_JSON = {"accept": "application/sparql-results+json"}


def free_port() -> int:
    """A port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str) -> None:
    """Wait until a server answers at ``url``."""
    for _ in range(300):
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"no server at {url}")


def sparql_of(name: str, params: dict[str, str]) -> str:
    """The SPARQL text a named query runs with these values, bound in place."""
    query = read_queries()[name]
    bound = bind_params(query, params)
    return bind_values(prepare(query, bound), bound.scalars)


def measure(
    ask: Callable[[httpx.Client, int], httpx.Response], seconds: float
) -> tuple[float, float]:
    """Four clients ask without pause for ``seconds``; return requests per second and p95 ms."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        nonlocal failures
        with httpx.Client(timeout=30) as http:
            n = number
            while time.monotonic() < deadline:
                begin = time.perf_counter()
                ok = ask(http, n).status_code == 200
                with lock:
                    latencies.append((time.perf_counter() - begin) * 1000)
                    failures += not ok
                n += 4

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print(f"  ({failures} failed requests)")
    ordered = sorted(latencies)
    return len(ordered) / seconds, ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    """Build the store, serve a copy with each server, measure each question on both."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(oxigraph).exists():
        raise SystemExit("oxigraph serve is not installed: pip install oxigraph")
    with tempfile.TemporaryDirectory() as folder:
        home = build(Path(folder), args.articles)
        copy = Path(folder) / "oxigraph-store"
        shutil.copytree(home / "store", copy)
        kb_port, ox_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
        env.update(KB_HOME=str(home))
        servers = [
            subprocess.Popen(
                [sys.executable, "-m", "kb", "serve", "--port", str(kb_port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(
                [
                    oxigraph,
                    "serve-read-only",
                    "--location",
                    str(copy),
                    "--bind",
                    f"127.0.0.1:{ox_port}",
                    "--union-default-graph",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        kb, ox = f"http://127.0.0.1:{kb_port}", f"http://127.0.0.1:{ox_port}"
        try:
            wait_for(f"{kb}/health")
            wait_for(f"{ox}/query?query=ASK%7B%7D")
            rng = random.Random(3)
            pmids = [str(BASE_PMID + rng.randrange(args.articles)) for _ in range(200)]
            evidence = {p: sparql_of("article-evidence", {"pmid": p}) for p in pmids}
            misdiagnoses = sparql_of("misdiagnoses", {})
            questions: dict[str, tuple[Callable[..., httpx.Response], ...]] = {
                "one article's evidence": (
                    lambda h, n: h.get(f"{kb}/articles/{pmids[n % 200]}"),
                    lambda h, n: h.post(
                        f"{ox}/query", data={"query": evidence[pmids[n % 200]]}, headers=SPARQL_JSON
                    ),
                ),
                "a named query (misdiagnoses)": (
                    lambda h, n: h.get(f"{kb}/queries/misdiagnoses"),
                    lambda h, n: h.post(
                        f"{ox}/query", data={"query": misdiagnoses}, headers=SPARQL_JSON
                    ),
                ),
                "a plain SELECT (LIMIT 100)": (
                    lambda h, n: h.post(f"{kb}/sparql", data={"query": PLAIN}, headers=SPARQL_JSON),
                    lambda h, n: h.post(f"{ox}/query", data={"query": PLAIN}, headers=SPARQL_JSON),
                ),
            }
            print(f"{args.articles:,} articles; 4 clients, {args.seconds:g} s per measure")
            print(
                f"{'question':<30} {'kb req/s':>9} {'kb p95':>8} {'ox req/s':>9} {'ox p95':>8}"
                f" {'req/s kb/ox':>12}"
            )
            for name, (on_kb, on_ox) in questions.items():
                on_kb(httpx.Client(timeout=60), 0)  # the first answer fills kb's cache
                kb_rate, kb_p95 = measure(on_kb, args.seconds)
                ox_rate, ox_p95 = measure(on_ox, args.seconds)
                print(
                    f"{name:<30} {kb_rate:>9.0f} {kb_p95:>6.1f}ms {ox_rate:>9.0f} {ox_p95:>6.1f}ms"
                    f" {kb_rate / ox_rate:>11.2f}x"
                )
        finally:
            for server in servers:
                server.terminate()
                server.wait(30)


if __name__ == "__main__":
    main()
