"""How well extraction reads articles nobody tuned it to: the figures shipped with the package.

``quality.json`` beside this module holds the first-read scores of the current extractor on
blind sets (written and annotated by people who never saw the rules, scored once before any
rule was changed for them), pooled, per role. ``/about`` and the README show them, so that a
researcher knows how far to trust a count. A new extractor version is measured again: the
tests refuse a file that names another version.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache

from pydantic import Field

from kb.models import Frozen
from kb.resources import extraction_quality_path


class Figures(Frozen):
    """Precision, recall and F1 of one role (or of all, micro-averaged)."""

    precision: float
    recall: float
    f1: float


class Quality(Frozen):
    """The extractor's measured quality on unseen abstracts."""

    extractor: str = Field(description="The extractor these figures measure.")
    measured: date
    how: str = Field(description="What was measured, and how.")
    sets: tuple[str, ...] = Field(description="The blind sets, pooled.")
    articles: int
    micro: Figures
    roles: dict[str, Figures]
    levels_f1: float
    design_accuracy: float
    n_patients_accuracy: float
    background_leakage: float = Field(
        description="Share of background-only tuples read as the patient's."
    )
    cases: dict[str, float] | None = Field(
        None, description="The case attribution's first read (kb eval on a set with cases)."
    )


@cache
def measured_quality() -> Quality:
    """The figures shipped with the package, read once."""
    text = extraction_quality_path().read_text(encoding="utf-8")
    return Quality.model_validate(json.loads(text))
