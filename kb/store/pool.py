"""Queries that can be stopped: worker processes that read the on-disk store, killed when late.

A query Oxigraph is evaluating cannot be interrupted inside its process: a cartesian COUNT or
a runaway property path keeps a core and its memory until it ends, however long that is. So
reads of an on-disk store run in a few worker processes, each with the store opened
read-only. The caller waits at most the time limit; past it the worker is killed (the kernel
takes back its core and its memory at once) and a fresh one takes its place.

A worker reopens the store when the serving process has written since it last opened it (the
write generation it is sent says so), while no write is under way: a read-only instance sees
the store as it was when it opened. A query asked to be written (``QueryOptions.writing``)
comes back written, as the client gets it (``kb.store.answers``); any other answer travels as
SPARQL JSON results (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE), the way a SPARQL server
sends them, and is parsed back into pyoxigraph's own result types, so callers cannot tell a
pooled read from an in-process one.
"""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from kb.errors import QueryError, QueryTimeoutError, StoreError
from kb.store.base import QueryOptions
from kb.store.sparql import boolean_result, syntax_message, triples_result


class Worker:
    """One worker process (``python -m kb.store.reader``) and the socket to it."""

    def __init__(self, path: Path) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kb.store.reader", str(path), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.generation: int | None = None

    def ask(self, message: tuple[object, ...], timeout: float) -> tuple[object, ...]:
        """Send a message and wait at most ``timeout`` seconds for the answer."""
        self.conn.send(message)
        if not self.conn.poll(timeout):
            raise TimeoutError
        answer: tuple[object, ...] = self.conn.recv()
        return answer

    def kill(self) -> None:
        """End the process at once: its core and its memory go back to the system."""
        self.process.kill()
        self.process.wait(5)
        self.conn.close()


class ReaderPool:
    """A few worker processes that read one on-disk store, each query within a time limit."""

    def __init__(self, path: Path, size: int, timeout: float, most: int | None = None) -> None:
        self.path = path
        self.timeout = timeout
        # While queries run past their time, spare workers keep the cheap ones answered.
        self.most = most if most is not None else size * 3
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._workers: list[Worker] = []
        self._count = 0  # workers alive or starting
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._reserve()
            self._start()

    def _reserve(self) -> bool:
        """Count one more worker if the pool may hold it."""
        with self._lock:
            if self._closed or self._count >= self.most:
                return False
            self._count += 1
            return True

    def _start(self) -> None:
        """Start a reserved worker and make it available."""
        worker = Worker(self.path)
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._workers.append(worker)
        self._idle.put(worker)

    def _start_later(self) -> None:
        threading.Thread(target=self._start, name="kb-reader-start", daemon=True).start()

    def _keep_a_spare(self) -> None:
        """Start one more worker when none waits idle, up to the most the pool may hold."""
        if self._idle.empty() and self._reserve():
            self._start_later()

    def _replace(self, worker: Worker) -> None:
        """Kill a worker and start another in its place."""
        worker.kill()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            self._count -= 1
        if self._reserve():
            self._start_later()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold off workers' reopening while the serving process writes."""
        with self._writing:
            yield

    def query(self, sparql: str, generation: int, options: QueryOptions) -> object:
        """Answer a read query in a worker; past the time limit, kill the worker and refuse.

        The limit is the pool's, or the query's own (``QueryOptions.timeout``) when it has one.
        """
        limit = options.timeout or self.timeout
        try:
            worker = self._idle.get(timeout=limit)
            self._keep_a_spare()
        except queue.Empty:
            raise QueryTimeoutError(
                f"every query worker stayed busy past the time limit of {limit:g} s"
            ) from None
        try:
            if worker.generation != generation:
                with self._writing:
                    self._expect(worker.ask(("open",), limit))
                worker.generation = generation
            answer = self._expect(worker.ask(("query", sparql, options), limit))
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeoutError(
                f"the query ran past the time limit of {limit:g} s"
                f"{'' if options.timeout else ' (KB_QUERY_TIMEOUT)'}; it was stopped"
            ) from None
        except (EOFError, OSError) as exc:
            self._replace(worker)
            raise StoreError(f"a query worker died: {exc}") from exc
        except BaseException:
            self._replace(worker)  # interrupted (Ctrl+C): the query must not go on
            raise
        self._idle.put(worker)
        return answer

    @staticmethod
    def _expect(answer: tuple[object, ...]) -> object:
        kind, value = answer
        if kind == "error":
            raise StoreError(str(value))
        if kind == "syntax":
            raise QueryError(syntax_message(str(value)))
        return _result(str(kind), value)

    def close(self) -> None:
        """Kill every worker."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
            self._count = 0
        for worker in workers:
            worker.kill()


def _result(kind: str, value: object) -> object:
    """Parse a worker's answer back into pyoxigraph's result types."""
    if kind == "boolean":
        return boolean_result(bool(value))
    if kind == "triples":
        assert isinstance(value, bytes)
        return triples_result(value)
    if kind == "solutions":
        assert isinstance(value, bytes)
        return ox.parse_query_results(value, ox.QueryResultsFormat.JSON)
    if kind == "written":
        return value  # the answer as the client gets it
    return None  # "open" acknowledged
