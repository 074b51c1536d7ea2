"""``kb serve`` under runaway queries: they are stopped, the rest is answered, and it shuts down.

A real ``kb serve`` process over a store on disk, on 127.0.0.1.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.graphs import FIXTURE, write_fixture_home
from tests.support.paths import ROOT
from tests.support.processes import clean_environment, start_kb, until_healthy

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
PATH_BOMB = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?s (<http://ex/p>|!<http://ex/p>)* ?o . ?a ?b ?c . ?d ?e ?f }"
)


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.add(int(entry.name))
    return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, dict[str, str]]]:
    home = write_fixture_home(tmp_path / "home")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = clean_environment(home, KB_QUERY_TIMEOUT="2", KB_QUERY_WORKERS="3")
    server = start_kb(env, "serve", "--port", str(port), stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        until_healthy(server, url).raise_for_status()
        yield server, url, env
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(30)
        if server.stderr:
            server.stderr.close()


def test_runaway_queries_are_stopped_while_cheap_requests_are_answered(  # 6 late, 9 workers
    served: tuple[subprocess.Popen[str], str, dict[str, str]],
) -> None:
    server, url, _ = served
    refused: list[int] = []

    def runaway(query: str) -> None:
        answer = httpx.get(f"{url}/sparql", params={"query": query}, timeout=60)
        refused.append(answer.status_code)

    threads = [threading.Thread(target=runaway, args=(q,)) for q in (CARTESIAN, PATH_BOMB) * 3]
    for thread in threads:
        thread.start()
    cheap = []
    while any(t.is_alive() for t in threads):
        cheap.append(httpx.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=60))
        cheap.append(httpx.get(f"{url}/health", timeout=60))
    for thread in threads:
        thread.join()
    assert refused == [503] * 6
    assert cheap and all(r.status_code == 200 for r in cheap)
    # every worker that ran a runaway was killed: none is left burning a core
    time.sleep(1)
    workers = children(server.pid)
    assert len(workers) <= 9  # the pool's most (3 x 3), all idle readers
    for pid in workers:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        assert stat[0] in ("S", "I"), f"worker {pid} is {stat[0]}, not asleep"


def test_sigterm_ends_the_server_mid_query_and_frees_the_store(
    served: tuple[subprocess.Popen[str], str, dict[str, str]],
) -> None:
    server, url, env = served
    thread = threading.Thread(
        target=lambda: httpx.get(f"{url}/sparql", params={"query": CARTESIAN}, timeout=60)
    )
    thread.start()
    time.sleep(0.5)
    workers = children(server.pid)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)  # within a few seconds, whatever it was doing
    thread.join()
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    load = subprocess.run(
        [sys.executable, "-m", "kb", "load", str(FIXTURE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert load.returncode == 0, load.stderr  # the store's lock went with the server
