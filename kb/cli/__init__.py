"""The ``kb`` command line: thin commands over library functions.

``base`` holds the group and the error-to-exit-status rule; ``build`` the commands that write
the knowledge base, ``read`` those that read it, ``serve`` the server. Heavy imports happen
inside the commands, so ``kb --help`` stays fast.
"""

from __future__ import annotations

from kb.cli import build, read, serve
from kb.cli.base import cli, main

__all__ = ["build", "cli", "main", "read", "serve"]
