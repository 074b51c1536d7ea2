"""The ``kb`` command group, its settings, and how errors end a command.

Exit statuses: 0 success, 1 partial (some records rejected, or a run that did not
finish), 2 unusable input or a usage error, 3 another process holds the lock; each error
class of ``kb.errors`` carries its own.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import click

from kb import __version__
from kb.errors import EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, KBError
from kb.settings import Settings, get_settings

if TYPE_CHECKING:
    from kb.query.registry import Table as QueryTable

#: Hands a command the settings, read once from the environment by the group.
pass_settings = click.make_pass_decorator(Settings)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kb")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """The tumoral calcinosis of the spine knowledge base."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = get_settings()


def main() -> None:
    """Run the CLI; project errors become one line on stderr and an exit status."""
    try:
        # Outside standalone mode click returns the code of click.exceptions.Exit.
        status = cli.main(standalone_mode=False)
        if isinstance(status, int) and status != EXIT_OK:
            sys.exit(status)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_INPUT)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_PARTIAL)
    except KBError as exc:
        click.echo(f"kb: {exc}", err=True)
        sys.exit(exc.exit_status)


def print_table(table: QueryTable, fmt: str, shown: tuple[str, ...] = ()) -> None:
    """Write an answer as CSV, JSON, or a table for people (lists joined with "; ").

    The table for people has the ``shown`` columns only, if given (CSV and JSON have all).
    """
    if fmt == "csv":
        click.echo(table.to_csv(), nl=False)
    elif fmt == "json":
        click.echo(table.model_dump_json(indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        columns = [c for c in table.columns if not shown or c in shown]
        view = Table(*columns)
        for row in table.rows:
            view.add_row(*(_shown(row.get(c)) for c in columns))
        Console().print(view)


def _shown(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return "" if value is None else str(value)
