"""Where the checkout and the shared test data are, and how a test skips without them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SHARED = Path(os.environ.get("KB_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip when a prerequisite is missing, but fail under CI, where nothing may skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"missing under CI: {reason}")
    pytest.skip(reason)
