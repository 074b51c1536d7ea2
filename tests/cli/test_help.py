"""Every command of ``kb`` explains itself."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from kb.cli import cli

COMMANDS = sorted(cli.commands)


def test_the_cli_has_the_commands_of_every_stage() -> None:
    assert {"ingest", "extract", "query", "sparql", "serve", "refresh", "runs"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    command = cli.commands[name]
    assert command.help and command.help.strip(), f"kb {name} has no docstring"
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {name}" in result.output or f"Usage: kb {name}" in result.output
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"kb {name} {param.opts[0]} has no help"
