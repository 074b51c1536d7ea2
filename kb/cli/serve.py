"""``kb serve``: the HTTP API over the store, announced to the other commands."""

from __future__ import annotations

import click

from kb.cli.base import cli, pass_settings
from kb.settings import Settings
from kb.store import opened_store


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The interface to listen on.")
@click.option("--port", default=8000, show_default=True, help="The port to listen on.")
@pass_settings
def serve_command(settings: Settings, host: str, port: int) -> None:
    """Serve the pages, the HTTP API and the read-only SPARQL endpoint (OpenAPI at /docs).

    This process owns the embedded store while it serves: other kb commands that write to
    it (refresh) hand their work to the server instead of opening the store themselves.
    """
    import uvicorn

    from kb.api.connections import raise_file_limit, uvicorn_options
    from kb.jobs.lock import announce_server
    from kb.query.named import read_queries
    from kb.web import create_site

    with opened_store(settings) as store:
        app = create_site(store, read_queries(), settings)
        # KB_HOME/serve.json tells kb refresh where to hand its work while this runs.
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        with announce_server(settings.home, f"http://{local}:{port}"):
            raise_file_limit()  # a service default of 1,024 is soon spent by slow clients
            options = uvicorn_options(settings.header_timeout, keep_alive=5)
            uvicorn.run(
                app,
                host=host,
                port=port,
                log_level="info",
                access_log=settings.access_log,
                **options,
            )
