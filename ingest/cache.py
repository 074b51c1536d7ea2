"""A directory of raw E-utilities responses, keyed by request, written atomically."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

# Parameters that say who asks, not what is asked: a replay must hit the same entry
# whoever ran the first ingest, and an API key must never end up in a file name or index.
IDENTITY_PARAMS = frozenset({"api_key", "email", "tool"})


def request_key(method: str, endpoint: str, params: Mapping[str, str]) -> str:
    """Return the cache key of a request: a hash of method, endpoint and sorted parameters.

    The caller's identity (``api_key``, ``email``, ``tool``) is left out.

    >>> a = request_key("GET", "esearch", {"term": "x", "db": "pubmed", "tool": "a"})
    >>> a == request_key("get", "esearch", {"db": "pubmed", "term": "x", "email": "b@c"})
    True
    """
    kept = sorted((k, str(v)) for k, v in params.items() if k not in IDENTITY_PARAMS)
    blob = json.dumps([method.upper(), endpoint, kept], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Raw response bodies under one directory, gzipped, one file per request key."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Return where the body of a key lives (two-level fan-out keeps folders small)."""
        return self.root / key[:2] / f"{key}.xml.gz"

    def get(self, key: str) -> bytes | None:
        """Return the stored body of a key, or None when it was never stored."""
        try:
            with gzip.open(self.path(key), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def put(self, key: str, body: bytes) -> Path:
        """Store a body under a key, atomically: readers see the old file or the new one."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".gz")
        try:
            with (
                os.fdopen(fd, "wb") as raw,
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz,
            ):
                gz.write(body)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.xml.gz"))
