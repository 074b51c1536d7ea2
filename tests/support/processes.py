"""``kb`` in a process of its own, with an environment that inherits none of our settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT

OURS = ("KB_", "NCBI_")


def clean_environment(home: Path, **settings: str) -> dict[str, str]:
    """This process's environment less every KB_ and NCBI_ variable, then KB_HOME and more."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(KB_HOME=str(home), **settings)
    return env


def run_kb(env: dict[str, str], *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kb ARGS`` to its end; its output is captured as text."""
    options.setdefault("timeout", 120)
    return subprocess.run(
        [sys.executable, "-m", "kb", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        **options,
    )


def start_kb(env: dict[str, str], *args: str, **options: Any) -> subprocess.Popen[str]:
    """Start ``python -m kb ARGS``; standard output and error are pipes unless told otherwise."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        [sys.executable, "-m", "kb", *args], cwd=ROOT, env=env, text=True, **options
    )


def until_healthy(server: subprocess.Popen[str], url: str, seconds: float = 30) -> Any:
    """Wait for a started ``kb serve`` to answer ``/health`` at ``url``; return that answer.

    Fails with what the server wrote if it ends first, or if it does not answer in time.
    """
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(f"{url}/health", timeout=5)
        except httpx.TransportError:
            if server.poll() is not None:
                output = server.stdout or server.stderr
                raise AssertionError(output.read() if output else "kb serve ended") from None
            assert time.monotonic() < deadline, "kb serve did not start"
            time.sleep(0.2)
