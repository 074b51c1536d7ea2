"""The ``kb`` command line: thin commands over library functions.

``base`` holds the group and the error-to-exit-status rule; ``build`` the commands that write
the knowledge base, ``read`` those that read it, ``cases`` those about the published
patients, ``curate`` the curators' verdicts, ``serve`` the server. Heavy imports happen
inside the commands, so ``kb --help`` stays fast.
"""

from __future__ import annotations

from kb.cli import build, cases, curate, read, serve
from kb.cli.base import cli, main

__all__ = ["build", "cases", "cli", "curate", "main", "read", "serve"]
