"""The ``kb`` command group, its settings, and how errors end a command.

Exit statuses: 0 success, 1 partial (some records rejected, or a run that did not
finish), 2 unusable input or a usage error, 3 another process holds the lock; each error
class of ``kb.errors`` carries its own.
"""

from __future__ import annotations

import logging
import sys

import click

from kb import __version__
from kb.errors import EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, KBError
from kb.settings import Settings, get_settings

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
