"""``kb serve`` under attack, and the cheap requests that must go on being answered meanwhile.

The attacks are runaway queries, body bombs and parse bombs. Loopback only; every loop is
bounded.

Builds an on-disk store of synthetic articles (bench/store.py's generator, mapped by the real
mapping), starts ``kb serve`` on 127.0.0.1 and, for each scenario, sends its attack while
four clients ask cheap questions (``/health``, ``ASK {}``, one article's page) without pause.
The first scenario sends no attack: its cheap-request p95 is the baseline of the same run.

    python bench/faults.py                      # 3,000 articles, a 5 s query time limit
    python bench/faults.py --articles 1000 --timeout 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import build, free_port, kb_environment
from store import BASE_PMID

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PATH = "SELECT (COUNT(*) AS ?n) WHERE { ?s (<http://ex/p>|!<http://ex/p>)* ?o }"
VALUES = (
    "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?x { "
    + " ".join(f'"{n}"' for n in range(49_000))
    + " } ?s ?p ?o }"
)
IN_LIST = "ASK { FILTER(1 IN (" + ",".join(["1"] * 49_000) + ")) }"
NESTED = "ASK " + "{ " * 200 + "?s ?p ?o " + "} " * 200


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) != pid and int(stat[1]) != pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


def body_bomb(url: str, media: str, megabytes: int) -> int:
    """POST a body of ``megabytes`` MiB without a length, streamed; return the status."""

    def chunks() -> Iterator[bytes]:
        yield b"query=ASK%20%7B%7D%20%23" if "form" in media else b""
        for _ in range(megabytes):
            yield b"x" * 1_048_576

    try:
        answer = httpx.post(
            f"{url}/sparql", content=chunks(), headers={"content-type": media}, timeout=120
        )
        return answer.status_code
    except httpx.HTTPError:
        return 0  # the server closed the connection on it: refused


def query(url: str, text: str) -> int:
    """POST one query as a form; return the status."""
    return httpx.post(f"{url}/sparql", data={"query": text}, timeout=120).status_code


def scenario(
    url: str, pid: int, attacks: list[Callable[[], int]], seconds: float
) -> dict[str, object]:
    """Run the attacks in threads while four clients ask cheap questions; measure both."""
    statuses: list[int] = []
    latencies: list[float] = []
    errors = 0
    stop = threading.Event()
    lock = threading.Lock()

    def attack(run: Callable[[], int]) -> None:
        status = run()
        with lock:
            statuses.append(status)

    def cheap(client: httpx.Client) -> None:
        nonlocal errors
        asks = ("/health", "/sparql?query=ASK%20%7B%7D", f"/articles/{BASE_PMID + 7}")
        n = 0
        while not stop.is_set() and n < 20_000:
            begin = time.perf_counter()
            try:
                ok = client.get(asks[n % 3]).status_code == 200
            except httpx.HTTPError:
                ok = False
            with lock:
                latencies.append((time.perf_counter() - begin) * 1000)
                errors += not ok
            n += 1

    peak = 0.0
    clients = [httpx.Client(base_url=url, timeout=30) for _ in range(4)]
    threads = [threading.Thread(target=cheap, args=(c,)) for c in clients]
    threads += [threading.Thread(target=attack, args=(a,)) for a in attacks]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline or any(t.is_alive() for t in threads[4:]):
        peak = max(peak, rss_mib(pid))
        time.sleep(0.2)
        if time.monotonic() > deadline + 120:
            break
    stop.set()
    for thread in threads:
        thread.join(60)
    for client in clients:
        client.close()
    ordered = sorted(latencies)
    return {
        "attacks": " ".join(str(s) for s in sorted(statuses)) or "-",
        "cheap": len(latencies),
        "p50": statistics.median(ordered) if ordered else 0.0,
        "p95": ordered[int(len(ordered) * 0.95) - 1] if ordered else 0.0,
        "errors": errors,
        "rss": peak,
    }


def main() -> None:
    """Build the store, serve it, run each scenario, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--timeout", type=float, default=5.0, help="KB_QUERY_TIMEOUT")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = build(Path(folder), args.articles)
        port = free_port()
        env = kb_environment(home, KB_QUERY_TIMEOUT=str(args.timeout), KB_QUERY_WORKERS="4")
        server = subprocess.Popen(
            [sys.executable, "-m", "kb", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(f"{url}/health", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            run = args.timeout + 2
            scenarios: dict[str, list[Callable[[], int]]] = {
                "none (baseline)": [],
                "8 runaway queries": [
                    (lambda q=q: query(url, q)) for q in (CARTESIAN, PATH, VALUES, CARTESIAN) * 2
                ],
                "4 parse bombs (49k IN, 200 braces)": [
                    (lambda q=q: query(url, q)) for q in (IN_LIST, NESTED) * 2
                ],
                "body bombs (32 MiB form, 256 MiB text)": [
                    lambda: body_bomb(url, "application/x-www-form-urlencoded", 32),
                    lambda: body_bomb(url, "text/plain", 256),
                ],
            }
            results = {name: scenario(url, server.pid, a, run) for name, a in scenarios.items()}
        finally:
            server.terminate()
            server.wait(30)
    base = results["none (baseline)"]["p95"]
    print(f"{args.articles:,} articles, KB_QUERY_TIMEOUT={args.timeout:g} s, 4 query workers")
    head = f"{'scenario':<40} {'attack answers':<34} {'cheap':>6} {'p50 ms':>7} {'p95 ms':>7}"
    print(f"{head} {'x base':>7} {'errors':>6} {'RSS MiB':>8}")
    for name, r in results.items():
        ratio = float(r["p95"]) / float(base) if base else 0.0  # type: ignore[arg-type]
        print(
            f"{name:<40} {r['attacks']!s:<34} {r['cheap']:>6} {r['p50']:>7.1f} {r['p95']:>7.1f} "
            f"{ratio:>7.2f} {r['errors']:>6} {r['rss']:>8.0f}"
        )


if __name__ == "__main__":
    main()
