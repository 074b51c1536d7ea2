"""Process coordination: one refresh at a time, and one process that owns the store.

Two things keep writers apart. ``hold_lock`` takes an exclusive ``flock`` on a file under
KB_HOME for as long as a job writes (a refresh, a re-extraction); a second job finds it
taken and stops at once with ``LockedError``. The kernel drops the lock when its holder
dies, even by SIGKILL, so a crashed job never leaves a stale lock behind.

``kb serve`` owns the embedded store while it runs and says so in ``KB_HOME/serve.json``
(its URL and pid, see ``announce_server``). A job started beside it does not open the
store: ``find_server`` finds the server (the pid alive, ``/health`` answering) and
``call_server`` hands it the job through the admin endpoints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from kb.errors import KBError, LockedError, NotAuthorizedError, error_for_status
from kb.models import Frozen

LOCK_FILE = "refresh.lock"
SERVER_FILE = "serve.json"


def lock_path(home: Path) -> Path:
    """The lock file that refreshes and re-extractions under one KB_HOME share."""
    return home / LOCK_FILE


@contextlib.contextmanager
def hold_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block; raise LockedError at once if taken.

    The holder writes its pid into the file, so the error can name it. The file stays
    (removing it would let two processes lock two different files of the same name).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise LockedError(
                f"a refresh or re-extraction is already running (pid {holder or '?'} holds "
                f"{path}); wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# --- the serving process ---------------------------------------------------------------------


class ServerRecord(Frozen):
    """Where a running ``kb serve`` answers, and its process id (``KB_HOME/serve.json``)."""

    url: str
    pid: int


def write_server_record(home: Path, url: str, pid: int | None = None) -> Path:
    """Write ``serve.json`` atomically: a reader sees no file or a whole one."""
    home.mkdir(parents=True, exist_ok=True)
    record = ServerRecord(url=url.rstrip("/"), pid=pid or os.getpid())
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".serve-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(record.model_dump_json())
    os.replace(tmp, home / SERVER_FILE)
    return home / SERVER_FILE


def read_server_record(home: Path) -> ServerRecord | None:
    """Read ``serve.json``, or None when there is none or it cannot be read."""
    try:
        return ServerRecord.model_validate_json((home / SERVER_FILE).read_bytes())
    except (OSError, ValueError):
        return None


def remove_server_record(home: Path, pid: int | None = None) -> None:
    """Remove ``serve.json`` if it names this process (or ``pid``); leave another's alone."""
    record = read_server_record(home)
    if record is not None and record.pid == (pid or os.getpid()):
        (home / SERVER_FILE).unlink(missing_ok=True)


@contextlib.contextmanager
def announce_server(home: Path, url: str) -> Iterator[Path]:
    """Say that this process serves the store at ``url`` for the block (``kb serve`` uses it).

    In the main thread, SIGTERM becomes SystemExit for the block: uvicorn re-raises the
    signal once it has shut down, and the default action would end the process before the
    record (and the store) could be closed.
    """
    path = write_server_record(home, url)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield path
    finally:
        remove_server_record(home)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (signal 0 probes without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def find_server(home: Path, timeout: float = 10.0) -> str | None:
    """Return the URL of the ``kb serve`` that owns the store, or None when none is running.

    A server counts when ``serve.json`` names a live pid and its ``/health`` answers at all
    (a 503 from a busy store is still the process that owns it). A record left by a dead
    process is removed.
    """
    record = read_server_record(home)
    if record is None:
        return None
    if not pid_alive(record.pid):
        remove_server_record(home, record.pid)
        return None
    try:
        httpx.get(f"{record.url}/health", timeout=timeout)
    except httpx.HTTPError:
        return None
    return record.url


def call_server(
    url: str,
    token: str | None,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> Any:
    """Send a job to the serving process's admin API and return the ``data`` of its answer.

    The call waits as long as the job runs (``timeout`` None). A problem-details answer
    becomes the error its status stands for (``kb.errors.error_for_status``), with the
    server's own detail.
    """
    if not token:
        raise NotAuthorizedError(
            f"kb serve is running at {url} and owns the store: set KB_ADMIN_TOKEN to the "
            "server's admin token to hand it the job, or stop the server"
        )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        answer = httpx.request(
            method, f"{url}{path}", json=body, headers=headers, timeout=httpx.Timeout(timeout)
        )
    except httpx.HTTPError as exc:
        raise KBError(f"kb serve at {url} did not answer {method} {path}: {exc}") from exc
    if answer.status_code == 200:
        return answer.json()["data"]
    try:
        detail = answer.json().get("detail") or answer.reason_phrase
    except ValueError:
        detail = answer.text[:200] or answer.reason_phrase
    message = f"kb serve at {url}: {method} {path}: HTTP {answer.status_code}: {detail}"
    raise error_for_status(answer.status_code)(message)
