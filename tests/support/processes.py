"""``kb`` in a process of its own, with an environment that inherits none of our settings."""

from __future__ import annotations

import os
import subprocess
import sys
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
