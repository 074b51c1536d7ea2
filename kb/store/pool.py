"""Queries that can be stopped: worker processes that read the on-disk store, killed when late.

A query Oxigraph is evaluating cannot be interrupted inside its process: a cartesian COUNT or
a runaway property path keeps a core and its memory until it ends, however long that is. So
reads of an on-disk store run in a few worker processes, each with the store opened
read-only. The caller waits at most the time limit, in a thread (``query``) or, when a worker
is ready, on the event loop (``query_now``); past it the worker is killed (the kernel takes
back its core and its memory at once) and a fresh one takes its place.

A worker reopens the store when the serving process has written since it last opened it (the
write generation it is sent says so), while no write is under way: a read-only instance sees
the store as it was when it opened. A query asked to be written (``QueryOptions.writing``)
comes back written, as the client gets it (``kb.store.answers``); any other answer travels as
SPARQL JSON results (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE), the way a SPARQL server
sends them, and is parsed back into pyoxigraph's own result types, so callers cannot tell a
pooled read from an in-process one.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from kb.errors import QueryError, QueryTimeoutError, StoreError
from kb.store import wire
from kb.store.base import QueryOptions
from kb.store.sparql import boolean_result, syntax_message, triples_result


class Busy(Exception):
    """No query worker is ready this moment (``ReaderPool.query_now``)."""


class Worker:
    """One worker process (``python -m kb.store.reader``) and the socket to it."""

    def __init__(self, path: Path) -> None:
        self.sock, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kb.store.reader", str(path), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.generation: int | None = None

    def ask(self, message: tuple[object, ...], timeout: float) -> tuple[object, ...]:
        """Send a message and wait at most ``timeout`` seconds for the answer."""
        answer = wire.ask(self.sock, message, timeout)
        assert isinstance(answer, tuple)
        return answer

    async def ask_async(self, message: tuple[object, ...]) -> tuple[object, ...]:
        """Send a message and await the answer on the event loop (the caller bounds the wait)."""
        answer = await wire.ask_async(self.sock, message)
        assert isinstance(answer, tuple)
        return answer

    def kill(self) -> None:
        """End the process at once: its core and its memory go back to the system."""
        self.process.kill()
        self.process.wait(5)
        self.sock.close()


class ReaderPool:
    """A few worker processes that read one on-disk store, each query within a time limit."""

    def __init__(self, path: Path, size: int, timeout: float, most: int | None = None) -> None:
        self.path = path
        self.timeout = timeout
        # While queries run past their time, spare workers keep the cheap ones answered.
        self.most = most if most is not None else size * 3
        # The worker that answered last answers next: its caches (the processor's, the store's
        # blocks) are warm, and spares stay asleep. Short queries run 7% faster than in turn.
        self._idle: queue.LifoQueue[Worker] = queue.LifoQueue()
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
        """Kill a worker and start another in its place, waiting on neither here."""
        worker.process.kill()  # its core and memory go back as soon as the kernel has them
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            self._count -= 1
        start = self._reserve()

        def reap_and_start() -> None:
            worker.kill()  # reaps the process, closes the socket
            if start:
                self._start()

        threading.Thread(target=reap_and_start, name="kb-reader-start", daemon=True).start()

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
        with self._stopped_if_late(worker, limit, options):
            if worker.generation != generation:
                with self._writing:
                    self._expect(worker.ask(("open",), limit))
                worker.generation = generation
            answer = worker.ask(("query", sparql, options), limit)
        self._idle.put(worker)
        return self._expect(answer)

    async def query_now(self, sparql: str, generation: int, options: QueryOptions) -> object:
        """``query``, awaited on the event loop and holding no thread, if a worker is ready now.

        Ready: idle, with the store open as it stands (reopening waits on writes, which only a
        thread may do). Otherwise ``Busy`` is raised before anything is sent, and the caller
        asks ``query`` in a thread. The time limit is kept the same way.
        """
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            raise Busy from None
        if worker.generation != generation:
            self._idle.put(worker)
            raise Busy
        self._keep_a_spare()
        limit = options.timeout or self.timeout
        with self._stopped_if_late(worker, limit, options):
            async with asyncio.timeout(limit):
                answer = await worker.ask_async(("query", sparql, options))
        self._idle.put(worker)
        return self._expect(answer)

    @contextmanager
    def _stopped_if_late(
        self, worker: Worker, limit: float, options: QueryOptions
    ) -> Iterator[None]:
        """Replace the worker if its answer does not come: late, dead, or the wait interrupted."""
        try:
            yield
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
            self._replace(worker)  # interrupted (Ctrl+C, a cancelled task): it must not go on
            raise

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
