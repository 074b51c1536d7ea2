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
import hashlib
import hmac
import logging
import os
import secrets
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from kb.errors import KBError, LockedError, NotAuthorizedError, error_for_status
from kb.models import Frozen

log = logging.getLogger(__name__)

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
    """Where a running ``kb serve`` answers, and how to know it (``KB_HOME/serve.json``).

    ``instance`` is a secret of this server's life: the file is its owner's alone (mode
    0600), and the server proves it knows the secret before a client sends it anything
    (``prove``). ``process`` tells the process from a later one with the same pid.
    """

    url: str
    pid: int
    process: str = ""
    instance: str = ""


def this_process() -> str:
    """Name this process so that it cannot be taken for a later one with the same PID.

    ``host:pid:start``, the start in clock ticks since boot (from /proc; 0 where there is none).
    """
    return f"{socket.gethostname()}:{os.getpid()}:{_start_of(os.getpid()) or '0'}"


def _start_of(pid: int) -> str | None:
    """The start of a live process in clock ticks since boot, or None when it has ended."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]


def process_gone(process: str) -> bool:
    """Tell whether a process named by ``this_process`` has ended (False when it cannot be told).

    >>> process_gone(this_process())
    False
    """
    parts = process.split(":")
    if len(parts) < 3 or ":".join(parts[:-2]) != socket.gethostname():
        return False  # another machine's process: only that machine can tell
    try:
        start = _start_of(int(parts[-2]))
    except ValueError:
        return True
    return start is None or (parts[-1] != "0" and start != parts[-1])


def prove(instance: str, challenge: str) -> str:
    """Answer a challenge with the server's secret: what only the real server can compute.

    >>> len(prove("secret", "nonce"))
    64
    """
    return hmac.new(instance.encode(), challenge.encode(), hashlib.sha256).hexdigest()


def write_server_record(home: Path, url: str, pid: int | None = None) -> Path:
    """Write ``serve.json`` atomically and readable by its owner alone; a fresh secret each time.

    A reader sees no file or a whole one. ``pid`` names another process (tests); this
    process by default.
    """
    home.mkdir(parents=True, exist_ok=True)
    process = this_process() if pid is None else f"{socket.gethostname()}:{pid}:0"
    record = ServerRecord(
        url=url.rstrip("/"),
        pid=pid or os.getpid(),
        process=process,
        instance=secrets.token_hex(32),
    )
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".serve-", suffix=".json")  # mode 0600
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

    A server counts only when ``serve.json`` names a live process and what answers at its
    URL proves it knows the record's secret (``GET /instance``, a fresh challenge): nothing
    secret is sent before. A record of an ended process, or one whose URL answers without
    the proof (another program took the port), is stale: it is said and removed. A live
    process that does not answer is left alone (a busy server), and not used.
    """
    record = read_server_record(home)
    if record is None:
        return None
    if not pid_alive(record.pid) or (record.process and process_gone(record.process)):
        _stale(home, record, "its process has ended")
        return None
    challenge = secrets.token_hex(16)
    try:
        answer = httpx.get(
            f"{record.url}/instance", params={"challenge": challenge}, timeout=timeout
        )
    except httpx.HTTPError:
        return None
    try:
        proof = answer.json()["data"]["proof"]
        proven = isinstance(proof, str) and hmac.compare_digest(
            proof, prove(record.instance, challenge)
        )
    except (ValueError, KeyError, TypeError):
        proven = False
    if not proven or not record.instance:
        _stale(home, record, f"what answers at {record.url} is not this knowledge base's server")
        return None
    return record.url


def _stale(home: Path, record: ServerRecord, why: str) -> None:
    log.warning("%s/%s was stale (%s): removed; the job runs here", home, SERVER_FILE, why)
    remove_server_record(home, record.pid)


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
    if 200 <= answer.status_code < 300:
        try:
            return answer.json()["data"]
        except (ValueError, KeyError, TypeError):
            raise KBError(
                f"kb serve at {url}: {method} {path}: the answer is not the API's envelope"
            ) from None
    try:
        found = answer.json()
        detail = (found.get("detail") if isinstance(found, dict) else None) or answer.reason_phrase
    except ValueError:
        detail = answer.text[:200] or answer.reason_phrase
    message = f"kb serve at {url}: {method} {path}: HTTP {answer.status_code}: {detail}"
    raise error_for_status(answer.status_code)(message)
