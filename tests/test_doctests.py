"""The examples in the code's docstrings hold: each module's doctests, run as a test."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ingest
import kb


def _modules() -> list[str]:
    names = []
    for package in (kb, ingest):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):  # running it is running the CLI
                names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
