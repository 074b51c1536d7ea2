"""What the server benchmarks share: a store of synthetic articles, a free port, a clean env.

``build`` writes an on-disk store of ``bench/store.py``'s synthetic articles, mapped by the
real mapping, under a fresh KB_HOME; ``kb_environment`` is this process's environment without
any KB_ setting, pointed at that home; ``free_port`` is a port free on 127.0.0.1 now.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

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
