"""A throwaway Virtuoso Open Source server on 127.0.0.1, for tests and benchmarks.

Uses Debian's ``virtuoso-opensource`` package (``virtuoso-t``, ``isql-vt``). The database lives
in a temporary folder; the SQL and HTTP ports are free ports on 127.0.0.1. SPARQL updates are
granted to the anonymous ``/sparql`` endpoint, so the server must never listen elsewhere.

Reads run at repeatable read (``DefaultIsolation = 4``): at Virtuoso's default, read
committed, a query racing a graph replacement now and then gets every row with its values
missing, which the store tests catch as half a replacement seen.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

from kb.store.remote import RemoteStore

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
AVAILABLE = VIRTUOSO is not None and ISQL is not None

INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {folder}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
CheckpointInterval = 60
DefaultIsolation = 4

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 1000
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Virtuoso:
    """A running server: its folder, ports and process."""

    folder: Path
    sql_port: int
    http_port: int
    process: subprocess.Popen[bytes]

    @property
    def sparql_url(self) -> str:
        """The SPARQL 1.1 Query and Update endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def graph_url(self) -> str:
        """The SPARQL 1.1 Graph Store Protocol endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql-graph-crud"

    def store(self) -> RemoteStore:
        """A RemoteStore on this server."""
        return RemoteStore(self.sparql_url, graph_url=self.graph_url)

    def isql(self, statement: str) -> str:
        """Run one SQL statement as dba; return what isql printed."""
        assert ISQL is not None
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql failed on {statement!r}: {done.stdout}{done.stderr}")
        return done.stdout

    def bulk_load(self, quads: Sequence[ox.Quad]) -> None:
        """Load quads with the server's bulk loader (far faster than INSERT DATA requests)."""
        name = f"load-{uuid.uuid4().hex}.nq"
        (self.folder / name).write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
        self.isql(f"ld_dir('{self.folder}', '{name}', 'urn:tckb:test:unused')")
        self.isql("rdf_loader_run()")

    def clear(self) -> None:
        """Drop every graph of the knowledge base (the server's own graphs stay)."""
        with self.store() as store:
            store.drop_graphs(store.graph_names())

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_virtuoso(folder: Path, timeout: float = 90.0) -> Virtuoso:
    """Start a server with its database in ``folder``; return once SPARQL answers."""
    assert VIRTUOSO is not None, "virtuoso-t is not installed"
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(INI.format(folder=folder, sql_port=sql_port, http_port=http_port))
    with (folder / "stdout.log").open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [VIRTUOSO, "+configfile", str(ini), "+foreground"],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Virtuoso(folder, sql_port, http_port, process)
    try:
        _wait_until_up(server, timeout)
        server.isql('GRANT SPARQL_UPDATE TO "SPARQL";')
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_up(server: Virtuoso, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = (server.folder / "stdout.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"virtuoso-t exited with {server.process.returncode}:\n{tail}")
        try:
            answer = httpx.get(server.sparql_url, params={"query": "ASK {}"}, timeout=2)
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"Virtuoso did not answer on {server.sparql_url} within {timeout} s")
