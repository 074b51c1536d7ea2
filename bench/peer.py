"""``kb serve`` against ``oxigraph serve-read-only`` on the same store, with the same client.

What a user might run instead of the knowledge base's server is Oxigraph's own (the
``oxigraph`` package on PyPI, ``pip install oxigraph``). Both serve one copy each of the same
on-disk store of synthetic articles on 127.0.0.1; four clients ask the same questions of each
for a few seconds: one article's evidence (``/articles/{pmid}`` against the SPARQL of
``article-evidence``), a named query (``/queries/misdiagnoses`` against its SPARQL) and a plain
SELECT through each one's SPARQL endpoint. The two servers take turns, in a few rounds (the
first to be measured alternating), so that a noisy stretch of the machine falls on both.
Printed: the median requests per second and p95 of the rounds, and the median ratio with the
lowest and the highest.

    python bench/peer.py                     # 3,000 articles, 3 rounds of 5 s per measure
    python bench/peer.py --articles 1000 --seconds 3 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median
from urllib.parse import urlencode, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import build, free_port, kb_environment
from store import BASE_PMID

from kb.query.named import read_queries
from kb.query.registry import bind_params, prepare
from kb.store.sparql import bind_values

PLAIN = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 100"
SPARQL_JSON = {"accept": "application/sparql-results+json"}


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


Request = tuple[str, str, bytes, dict[str, str]]  # method, URL, body, headers


def form(url: str, query: str) -> Request:
    """A SPARQL query POSTed as a form, asking for JSON results."""
    body = urlencode({"query": query}).encode()
    headers = {**SPARQL_JSON, "content-type": "application/x-www-form-urlencoded"}
    return ("POST", url, body, headers)


def measure(requests: list[Request], seconds: float) -> tuple[float, float]:
    """Ask the requests in turn without pause for ``seconds``: requests per second, p95 ms.

    With ``wrk`` on the PATH (a C load generator: ``apt install wrk``) it asks, over four
    connections, so that the client takes little of the two cores the servers share;
    otherwise four Python threads do.
    """
    if shutil.which("wrk"):
        return measure_with_wrk(requests, seconds)
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        nonlocal failures
        with httpx.Client(timeout=30) as http:
            n = number
            while time.monotonic() < deadline:
                method, url, body, headers = requests[n % len(requests)]
                begin = time.perf_counter()
                ok = http.request(method, url, content=body, headers=headers).status_code == 200
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


WRK_SCRIPT = """
local requests = {%s}
local n = 0
request = function()
  n = n + 1
  local r = requests[(n %% #requests) + 1]
  return wrk.format(r[1], r[2], r[3], r[4])
end
done = function(summary, latency, requests)
  io.write(string.format("KB %%d %%d %%f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, latency:percentile(95) / 1000))
end
"""


def measure_with_wrk(requests: list[Request], seconds: float) -> tuple[float, float]:
    """``measure`` through wrk, one thread and four connections, its requests in a Lua table."""

    def lua(text: str | bytes) -> str:
        raw = text.encode() if isinstance(text, str) else text
        return '"' + "".join(f"\\{b:03d}" for b in raw) + '"'

    rows = []
    for method, url, body, headers in requests:
        split = urlsplit(url)
        path = split.path + (f"?{split.query}" if split.query else "")
        fields = ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in headers.items())
        rows.append(f"{{{lua(method)}, {lua(path)}, {{{fields}}}, {lua(body)}}}")
    base = urlsplit(requests[0][1])
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ",\n".join(rows))
    try:
        run = subprocess.run(
            [
                "wrk",
                "-t1",
                "-c4",
                f"-d{seconds:g}s",
                "-s",
                script.name,
                f"{base.scheme}://{base.netloc}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(x for x in run.stdout.splitlines() if x.startswith("KB "))
    _, count, errors, p95 = line.split()
    if int(errors):
        print(f"  ({errors} failed requests)")
    return int(count) / seconds, float(p95)


def main() -> None:
    """Build the store, serve a copy with each server, measure each question on both."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(oxigraph).exists():
        raise SystemExit("oxigraph serve is not installed: pip install oxigraph")
    with tempfile.TemporaryDirectory() as folder:
        home = build(Path(folder), args.articles)
        copy = Path(folder) / "oxigraph-store"
        shutil.copytree(home / "store", copy)
        kb_port, ox_port = free_port(), free_port()
        env = kb_environment(home)
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
            questions: dict[str, tuple[list[Request], list[Request]]] = {
                "one article's evidence": (
                    [("GET", f"{kb}/articles/{p}", b"", {}) for p in pmids],
                    [form(f"{ox}/query", evidence[p]) for p in pmids],
                ),
                "a named query (misdiagnoses)": (
                    [("GET", f"{kb}/queries/misdiagnoses", b"", {})],
                    [form(f"{ox}/query", misdiagnoses)],
                ),
                "a plain SELECT (LIMIT 100)": (
                    [form(f"{kb}/sparql", PLAIN)],
                    [form(f"{ox}/query", PLAIN)],
                ),
            }
            client = "wrk, 4 connections" if shutil.which("wrk") else "4 Python clients"
            print(
                f"{args.articles:,} articles; {client}; {args.rounds} rounds of {args.seconds:g} s"
                " per measure, the servers taking turns"
            )
            print(
                f"{'question':<30} {'kb req/s':>9} {'kb p95':>8} {'ox req/s':>9} {'ox p95':>8}"
                f" {'req/s kb/ox':>12} {'(lowest-highest)':>17}"
            )
            with httpx.Client(timeout=60) as http:
                for method, url, body, headers in questions["one article's evidence"][0]:
                    http.request(method, url, content=body, headers=headers)  # as served
            for name, (on_kb, on_ox) in questions.items():
                kb_runs, ox_runs = [], []
                for round_ in range(args.rounds):
                    first_kb = round_ % 2 == 0
                    for on_kb_now in (first_kb, not first_kb):
                        if on_kb_now:
                            kb_runs.append(measure(on_kb, args.seconds))
                        else:
                            ox_runs.append(measure(on_ox, args.seconds))
                ratios = sorted(k[0] / o[0] for k, o in zip(kb_runs, ox_runs, strict=True))
                kb_rate, kb_p95 = (median(r[i] for r in kb_runs) for i in (0, 1))
                ox_rate, ox_p95 = (median(r[i] for r in ox_runs) for i in (0, 1))
                spread = f"({ratios[0]:.2f}-{ratios[-1]:.2f})"
                print(
                    f"{name:<30} {kb_rate:>9.0f} {kb_p95:>6.1f}ms {ox_rate:>9.0f} {ox_p95:>6.1f}ms"
                    f" {median(ratios):>11.2f}x {spread:>17}"
                )
        finally:
            for server in servers:
                server.terminate()
                server.wait(30)


if __name__ == "__main__":
    main()
