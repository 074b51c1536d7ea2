"""What the server benchmarks share: a store of synthetic articles, a free port, a clean env.

``build`` writes an on-disk store of ``bench/store.py``'s synthetic articles, mapped by the
real mapping, under a fresh KB_HOME; ``kb_environment`` is this process's environment without
any KB_ setting, pointed at that home; ``free_port`` is a port free on 127.0.0.1 now;
``serving`` runs ``kb serve`` over a store in a second process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from store import synthetic

from kb import iris
from kb.graph.article import to_quads
from kb.graph.ontology import ensure_ontology
from kb.store import OxigraphStore


def build(folder: Path, articles: int) -> Path:
    """Write an on-disk store of synthetic articles under ``folder``; return KB_HOME."""
    home = folder / "home"
    home.mkdir()
    store = OxigraphStore(home / "store")
    ensure_ontology(store)
    graphs = {}
    for article, extraction in synthetic(articles):
        graphs[iris.article_graph(article.pmid)] = to_quads(article, extraction)
        if len(graphs) == 500:
            store.replace_graphs(graphs)
            graphs = {}
    store.replace_graphs(graphs)
    store.optimize()
    store.close()
    return home


def ready_store(folder: Path | None, articles: int, prefix: str) -> Path:
    """KB_HOME of a store of synthetic articles in ``folder``, built there unless it is.

    Without a folder, a fresh temporary one. Prints how long a build took.
    """
    folder = folder or Path(tempfile.mkdtemp(prefix=prefix))
    home = folder / "home"
    if not (home / "store").exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        build(folder, articles)
        print(f"built {articles:,} articles in {time.perf_counter() - started:.0f} s")
    return home


def kb_environment(home: Path, **settings: str) -> dict[str, str]:
    """This process's environment less every KB_ variable, then KB_HOME and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_HOME=str(home), **settings)
    return env


def free_port() -> int:
    """A port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(home: Path, store: Path) -> Iterator[str]:
    """Run ``kb serve`` over the store in a second process; yield its URL once it answers."""
    port = free_port()
    env = {**os.environ, "KB_HOME": str(home), "KB_STORE": str(store), "KB_QUERY_WORKERS": "8"}
    command = [sys.executable, "-m", "kb", "serve", "--port", str(port)]
    quiet = subprocess.DEVNULL
    root = Path(__file__).resolve().parent.parent
    with subprocess.Popen(command, env=env, cwd=root, stdout=quiet, stderr=quiet) as server:
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    httpx.get(f"{url}/health", timeout=60).raise_for_status()
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        raise SystemExit(f"kb serve exited ({server.returncode})") from None
                    time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=60)
