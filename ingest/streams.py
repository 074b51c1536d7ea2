"""Binary input streams: a path or a stream, un-gzipped when its magic bytes say so."""

from __future__ import annotations

import gzip
import io
import os
import select
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

from kb.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
READ_ERRORS = (OSError, EOFError, zlib.error)  # what a broken file or gzip member raises


class Readable(Protocol):
    """Anything with a binary ``read``."""

    def read(self, size: int = -1, /) -> bytes:
        """Return up to ``size`` bytes; empty at the end."""
        ...


Source = str | Path | Readable


class Prefixed(io.RawIOBase):
    """A binary stream that gives back bytes already read, then the rest of another stream."""

    def __init__(self, head: bytes, stream: Readable) -> None:
        super().__init__()
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        """Say yes: this stream is for reading."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the kept bytes first, then from the stream."""
        size = len(buffer)
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._stream.read(size)
        buffer[: len(data)] = data
        return len(data)


class Stalling(io.RawIOBase):
    """A stream (standard input, a pipe) that fails once no byte comes for ``seconds``."""

    def __init__(self, stream: Any, seconds: float, label: str = "<stdin>") -> None:
        super().__init__()
        self._stream = stream
        self._seconds = seconds
        self.name = label

    def readable(self) -> bool:
        """Say that the stream can be read."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read what has come, waiting at most the stall limit for it."""
        ready, _, _ = select.select([self._stream], [], [], self._seconds)
        if not ready:
            raise InputError(
                f"{self.name}: no data came for {self._seconds:g} s: the input stalled"
            )
        data = os.read(self._stream.fileno(), len(buffer))
        buffer[: len(data)] = data
        return len(data)


def check_regular(path: Path, label: str) -> None:
    """Refuse a path that is not a regular file: a FIFO or a device may never end.

    Raises:
        InputError: the path is missing, or is a FIFO, a device, a socket or a folder.
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InputError(f"{label}: cannot open: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{label}: not a regular file (a FIFO, device, socket or folder); give a file, "
            "or - for standard input"
        )


def read_head(stream: Readable, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at the end of the stream."""
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


@contextmanager
def open_binary(source: Source, name: str | None = None) -> Iterator[tuple[Prefixed, str]]:
    """Open a path (or take a binary stream), un-gzipping it when its magic bytes say so.

    Yield the readable stream and the label that messages use for it; close what was opened.

    Raises:
        InputError: the file cannot be opened.
    """
    opened: IO[bytes] | None = None
    if isinstance(source, str | Path):
        label = name or str(source)
        check_regular(Path(source), label)
        try:
            opened = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(f"{label}: cannot open: {exc.strerror or exc}") from exc
        handle: Readable = opened
    else:
        label = name or str(getattr(source, "name", None) or "<stream>")
        handle = source
    try:
        try:
            magic = read_head(handle, 2)
        except OSError as exc:
            raise InputError(f"{label}: cannot read: {exc.strerror or exc}") from exc
        stream = Prefixed(magic, handle)
        if magic == GZIP_MAGIC:
            stream = Prefixed(b"", gzip.GzipFile(fileobj=stream, mode="rb"))
        yield stream, label
    finally:
        if opened is not None:
            opened.close()
