"""The ``kb`` command line: thin commands over library functions.

Exit statuses: 0 success, 1 partial (some records rejected, or a run that did not
finish), 2 unusable input or a usage error, 3 another process holds the lock.
Heavy imports happen inside the commands, so ``kb --help`` stays fast.
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from kb import __version__
from kb.errors import InputError, KBError, LockedError

if TYPE_CHECKING:
    from datetime import datetime

    from pyoxigraph import NamedNode

    from ingest.files import BatchTally
    from kb.models import Record
    from kb.store import Store

EXIT_OK, EXIT_PARTIAL, EXIT_INPUT, EXIT_LOCKED = 0, 1, 2, 3
T = TypeVar("T")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kb")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """The tumoral calcinosis of the spine knowledge base."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command("ingest")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--sample", is_flag=True, help="Ingest the bundled sample corpus.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--pubmed",
    "query",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[QUERY]",
    help="Search PubMed for QUERY (default: KB_TOPIC_QUERY) and ingest what it finds.",
)
@click.option("--mindate", help="With --pubmed: first entry date, YYYY[/MM[/DD]].")
@click.option("--maxdate", help="With --pubmed: last entry date, YYYY[/MM[/DD]].")
@click.option("--offline", is_flag=True, help="With --pubmed: replay cached answers only.")
def ingest_command(
    files: tuple[Path, ...],
    sample: bool,
    as_json: bool,
    query: str | None,
    mindate: str | None,
    maxdate: str | None,
    offline: bool,
) -> None:
    """Read PubMed XML (plain or .gz) or MEDLINE text FILES into the store, and report.

    Each article is extracted and replaces its graph in the store (KB_STORE, else
    KB_HOME/store); a DeleteCitation marks the article deleted; the run is recorded.

    With --pubmed, also search PubMed through E-utilities and read what it finds; every
    answer is cached under KB_HOME/cache, and --offline replays the cache without network.

    Exit status 1 when some records were rejected (the others were read) or E-utilities
    failed, 2 when a file cannot be used at all (missing, not PubMed, hostile XML);
    nothing is read then.
    """
    from ingest.files import BatchTally, check_files, iter_batch, sample_path
    from kb.archive import RecordArchive
    from kb.pipeline import default_extractor, ingest_records
    from kb.settings import get_settings

    paths = [*files, *([sample_path()] if sample else [])]
    if not paths and query is None:
        raise click.UsageError("give FILE..., --sample or --pubmed")
    if query is None and (mindate or maxdate or offline):
        raise click.UsageError("--mindate, --maxdate and --offline go with --pubmed")
    check_files(paths)  # before the store is touched: unusable input writes nothing
    tally = BatchTally()
    records: Iterable[Record] = iter_batch(paths, tally)
    if query is not None:
        pubmed = _pubmed_records(tally, query, mindate, maxdate, offline)
        records = itertools.chain(records, pubmed)
    sources = [str(p) for p in paths] + (["PubMed search"] if query is not None else [])
    # Every article written is archived first, for kb reextract.
    extract = RecordArchive(get_settings().records_dir).keeping(default_extractor())
    with _open_store() as store:
        run = ingest_records(
            store, _with_progress(records, "ingesting"), extract=extract, files=sources
        )
    result = tally.result()
    if as_json:
        click.echo(
            json.dumps({**result.model_dump(mode="json"), "run": run.model_dump(mode="json")})
        )
    else:
        click.echo(
            f"read {len(result.files)} file(s): {result.articles} articles, "
            f"{result.deleted} deleted, {len(result.rejected)} rejected"
        )
        for rejection in result.rejected:
            click.echo(f"rejected: {rejection.file}: {rejection.where}: {rejection.reason}")
        click.echo(
            f"stored: {run.written} written, {run.unchanged} unchanged, "
            f"{run.superseded} superseded, {run.deleted} marked deleted (run {run.run_id})"
        )
        for message in run.errors[len(result.rejected) :]:
            click.echo(f"not stored: {message}")
    if result.rejected or run.rejected:
        raise click.exceptions.Exit(EXIT_PARTIAL)


def _pubmed_records(
    tally: BatchTally, query: str, mindate: str | None, maxdate: str | None, offline: bool
) -> Iterator[Record]:
    """Search PubMed and yield what it finds, counting it in ``tally``."""
    from ingest.eutils import fetch_pubmed
    from kb.settings import get_settings

    tally.files.append("PubMed search")
    found = fetch_pubmed(
        get_settings(), query or None, mindate=mindate, maxdate=maxdate, offline=offline
    )
    for record in found:
        tally.add(record)
        yield record


@contextmanager
def _open_store() -> Iterator[Store]:
    """Open the store the settings name (KB_STORE, else KB_HOME/store); close it after."""
    from kb.settings import get_settings
    from kb.store import opened_store

    with opened_store(get_settings()) as store:
        yield store


def _with_progress(items: Iterable[T], what: str) -> Iterator[T]:
    """Show a counter on stderr while ``items`` are consumed, only if stderr is a terminal."""
    if not sys.stderr.isatty():
        yield from items
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}: {task.completed}"))
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as progress:
        task = progress.add_task(what, total=None)
        for count, item in enumerate(items, start=1):
            if count % 500 == 0:
                progress.update(task, completed=count)
            yield item


@cli.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True,
    help="One JSON object per article (the shape of shared/spec/extraction.md).",
)  # fmt: skip
def extract_command(files: tuple[Path, ...], fmt: str) -> None:
    """Read PubMed XML FILES (plain or .gz) and print what extraction reads from each article.

    Articles are written in input order to stdout; the store and the network are not touched.
    A broken record is reported on stderr and skipped (exit status 1); a file that cannot
    be used at all stops the command before any output (exit status 2).
    """
    from ingest.files import check_files
    from ingest.pubmed_xml import iter_records
    from kb.extract import extract_article, to_json_line
    from kb.models import Article, Rejection

    check_files(files)
    rejected = 0
    for path in files:
        for record in iter_records(path):
            if isinstance(record, Article):
                click.echo(to_json_line(extract_article(record)))
            elif isinstance(record, Rejection):
                rejected += 1
                click.echo(f"rejected: {record.file}: {record.where}: {record.reason}", err=True)
    if rejected:
        raise click.exceptions.Exit(EXIT_PARTIAL)


@cli.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "trig", "nq", "jsonld"]),
    default="trig",
    show_default=True,
    help="trig, nq and jsonld keep the named graphs; ttl writes their union.",
)
@click.option("--pmid", help="Export only this article's graph.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (else stdout)."
)
def export_command(fmt: str, pmid: str | None, output: Path | None) -> None:
    """Write the store (or one article's graph) as RDF."""
    from kb.rdfio import export

    graph = _article_graph_option(pmid)
    with _open_store() as store:
        if graph is not None and graph not in store.graph_names():
            raise click.BadParameter(f"no article {pmid} in the store", param_hint="--pmid")
        if output is None:
            export(store, sys.stdout.buffer, fmt, graph)
            return
        partial = output.with_name(output.name + ".partial")
        with partial.open("wb") as stream:
            count = export(store, stream, fmt, graph)
        partial.replace(output)  # a reader never finds half a dump under the final name
    click.echo(f"wrote {count} quads to {output}", err=True)


@cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", help="ttl, trig, nq, nt, jsonld (default: by extension).")
@click.option("--graph", "graph_iri", help="The graph IRI for a file without graphs (ttl, nt).")
def load_command(file: Path, fmt: str | None, graph_iri: str | None) -> None:
    """Load an RDF dump; each named graph in it replaces the same graph in the store."""
    from pyoxigraph import NamedNode

    from kb.rdfio import load

    try:
        graph = NamedNode(graph_iri) if graph_iri else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--graph") from exc
    with _open_store() as store:
        summary = load(store, file, fmt, graph)
    click.echo(f"loaded {summary.quads} quads in {summary.graphs} graphs from {file}")


@cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def stats_command(as_json: bool) -> None:
    """Count articles, assertions, quads and graphs, and show the last run."""
    from kb.pipeline import get_stats

    with _open_store() as store:
        stats = get_stats(store)
    if as_json:
        click.echo(stats.model_dump_json())
        return
    click.echo(
        f"articles: {stats.articles} ({stats.deleted} deleted, {stats.retracted} retracted)\n"
        f"assertions: {stats.assertions} ({stats.claims} distinct claims)\n"
        f"quads: {stats.quads} in {stats.graphs} graphs"
    )
    run = stats.last_run
    if run is not None:
        ended = f", ended {run.ended:%Y-%m-%d %H:%M:%S}Z" if run.ended else ""
        click.echo(
            f"last run: {run.run_id} ({run.status}), started {run.started:%Y-%m-%d %H:%M:%S}Z"
            f"{ended}: {run.written} written, {run.unchanged} unchanged, {run.rejected} rejected"
        )


@cli.command("validate")
@click.option("--pmid", help="Validate only this article's graph (with the ontology).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def validate_command(pmid: str | None, as_json: bool) -> None:
    """Check the store against the SHACL shapes; exit 1 when something is wrong."""
    from kb.validate import validate_store

    graph = _article_graph_option(pmid)
    with _open_store() as store:
        report = validate_store(store, graph)
    if as_json:
        click.echo(report.model_dump_json())
    else:
        for violation in report.violations:
            click.echo(str(violation))
        verdict = "conforms" if report.conforms else f"{len(report.violations)} violation(s)"
        click.echo(f"{report.graphs} graphs, {report.triples} triples: {verdict}")
    if not report.conforms:
        raise click.exceptions.Exit(EXIT_PARTIAL)


def _article_graph_option(pmid: str | None) -> NamedNode | None:
    """The graph of the article --pmid names, refusing a malformed PMID."""
    if pmid is None:
        return None
    from kb.iris import article_graph

    try:
        return article_graph(pmid.strip())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--pmid") from exc


@cli.command("refresh")
@click.option("--query", help="The PubMed query (default: KB_TOPIC_QUERY).")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y/%m/%d"]),
    help="Search from this entry/modification date instead of the watermark.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--sweep/--no-sweep",
    default=None,
    help="Check every stored PMID for deletion (default: every KB_REFRESH_SWEEP_DAYS days).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run record as one JSON object.")
def refresh_command(
    query: str | None, since: datetime | None, dry_run: bool, sweep: bool | None, as_json: bool
) -> None:
    """Bring the knowledge base up to date with PubMed (run it from cron or a systemd timer).

    The first run fetches everything the query finds; later runs ask only for what entered
    or changed since the last completed run (less KB_REFRESH_OVERLAP_DAYS), mark withdrawn
    and retracted articles, and record the run (kb runs). When kb serve is running, the
    server does the refresh (POST /admin/refresh with KB_ADMIN_TOKEN) and this waits for it.

    Exit status: 0 done; 1 the run failed (the watermark did not move: the next run asks
    again); 2 a usage or input error; 3 another refresh is running.
    """
    from kb.jobs import submit_refresh
    from kb.refresh import RefreshRequest
    from kb.runs import describe_run
    from kb.settings import get_settings

    request = RefreshRequest(
        query=query, since=since.date() if since else None, dry_run=dry_run, sweep=sweep
    )
    try:
        run = submit_refresh(get_settings(), request)
    except (LockedError, InputError):
        raise
    except KBError:
        click.echo(
            "kb refresh: the run failed (kb runs shows it); the watermark did not move, "
            "so the next run asks for the same window again",
            err=True,
        )
        raise
    click.echo(run.model_dump_json() if as_json else "\n".join(describe_run(run)))


@cli.command("reextract")
@click.option("--pmid", "pmids", multiple=True, help="Only this article (repeatable).")
@click.option("--force", is_flag=True, help="Also articles the current extractor already read.")
@click.option("--json", "as_json", is_flag=True, help="Print the run record as one JSON object.")
def reextract_command(pmids: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Run the current extractor over stored articles again, from KB_HOME/records (no network).

    Each article read by an older extractor has its graph re-mapped whole, so the old
    assertions go. Exit status 1 when some articles could not be re-read (no archived
    record), 3 when a refresh is running.
    """
    from kb.jobs import submit_reextract
    from kb.refresh import ReextractRequest
    from kb.runs import describe_run
    from kb.settings import get_settings

    run = submit_reextract(get_settings(), ReextractRequest(pmids=pmids, force=force))
    click.echo(run.model_dump_json() if as_json else "\n".join(describe_run(run)))
    if run.rejected:
        raise click.exceptions.Exit(EXIT_PARTIAL)


@cli.command("runs")
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def runs_command(limit: int, as_json: bool) -> None:
    """List the latest ingest, refresh and re-extraction runs, with their status and counts."""
    from kb.jobs import read_runs
    from kb.runs import runs_table
    from kb.settings import get_settings

    runs = read_runs(get_settings(), limit)
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json") for r in runs]))
    else:
        click.echo("\n".join(runs_table(runs)))


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The interface to listen on.")
@click.option("--port", default=8000, show_default=True, help="The port to listen on.")
def serve_command(host: str, port: int) -> None:
    """Serve the HTTP API and the read-only SPARQL endpoint (OpenAPI at /docs).

    This process owns the embedded store while it serves: other kb commands that write to
    it (refresh) hand their work to the server instead of opening the store themselves.
    """

    import uvicorn

    from kb.api import create_app
    from kb.lock import announce_server
    from kb.pipeline import ensure_ontology
    from kb.queries import read_queries
    from kb.settings import get_settings
    from kb.store import OxigraphStore

    settings = get_settings()
    with _open_store() as store:
        if isinstance(store, OxigraphStore) and ensure_ontology(store):
            # A store written by an older version gets the summaries the queries start from.
            click.echo("brought the store's ontology and article summaries up to date", err=True)
        app = create_app(store, read_queries(), settings)
        # Answer the whole-graph questions once, so the first visitors find them cached.
        app.state.registry.warm_in_background()
        # KB_HOME/serve.json tells kb refresh where to hand its work while this runs.
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        with announce_server(settings.home, f"http://{local}:{port}"):
            uvicorn.run(app, host=host, port=port, log_level="info")


@cli.command("query")
@click.argument("name", required=False)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter; repeat it for several, or for a list (-p present=a -p present=b).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def query_command(name: str | None, params: tuple[str, ...], fmt: str) -> None:
    """Answer a named query (queries/NAME.rq) from the store; without NAME, list them."""
    from kb.errors import QueryError
    from kb.queries import Registry, read_queries

    queries = read_queries()
    if name is None:
        for query in queries.values():
            declared = " ".join(f"{p}=" for p in query.params)
            click.echo(f"{query.name}: {query.summary}" + (f"  [{declared}]" if declared else ""))
        return
    values: dict[str, list[str]] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        values.setdefault(key.strip(), []).append(value)
    with _open_store() as store:
        try:
            table = Registry(store, queries).run(
                name, {k: v if len(v) > 1 else v[0] for k, v in values.items()}
            )
        except QueryError as exc:
            raise click.UsageError(str(exc)) from exc
    if fmt == "csv":
        click.echo(table.to_csv(), nl=False)
    elif fmt == "json":
        click.echo(table.model_dump_json(indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        view = Table(*table.columns)
        for row in table.rows:
            view.add_row(*("" if v is None else str(v) for v in row.values()))
        Console().print(view)


@cli.command("sparql")
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    help="json, xml, csv or tsv for SELECT and ASK; ttl, nt, jsonld or rdf for graphs.",
)
def sparql_command(query: str, fmt: str | None) -> None:
    """Run a read-only SPARQL query, given as QUERY or @FILE, and print the answer.

    The same checks as the HTTP endpoint: updates, LOAD and SERVICE are refused, and the
    answer stops at KB_ROW_CAP rows (said on stderr).
    """
    from kb.api.protocol import respond
    from kb.errors import QueryError, ReadOnlyError
    from kb.settings import get_settings

    if query.startswith("@"):
        try:
            query = Path(query[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"cannot read {query[1:]}: {exc}", param_hint="QUERY") from exc
    settings = get_settings()
    with _open_store() as store:
        try:
            body, _, answer = respond(store, query, fmt=fmt, row_cap=settings.row_cap)
        except (QueryError, ReadOnlyError) as exc:
            raise click.UsageError(str(exc)) from exc
    click.echo(body.decode("utf-8"), nl=not body.endswith(b"\n"))
    if answer.truncated:
        click.echo(f"kb: the answer stops at {settings.row_cap} rows (KB_ROW_CAP)", err=True)


@cli.command("graph")
@click.option(
    "--format", "fmt", type=click.Choice(["graphml", "json"]), default="graphml", show_default=True
)
@click.option(
    "--polarity",
    type=click.Choice(["present", "absent"]),
    default="present",
    show_default=True,
    help="Pair assertions with this polarity.",
)
@click.option(
    "--min-articles",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Leave out pairs fewer articles assert together.",
)
@click.option("--include-retracted", is_flag=True, help="Count retracted and withdrawn articles.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
def graph_command(
    fmt: str, polarity: str, min_articles: int, include_retracted: bool, output: Path | None
) -> None:
    """Write the concept co-occurrence network, with centrality and communities."""
    from kb.analytics import read_network, to_graphml, to_node_link
    from kb.queries import Registry, read_queries

    params: dict[str, str | int | bool] = {
        "polarity": polarity,
        "min_articles": min_articles,
        "include_retracted": include_retracted,
    }
    with _open_store() as store:
        graph = read_network(Registry(store, read_queries()), params)
    if fmt == "graphml":
        data = to_graphml(graph)
    else:
        data = (json.dumps(to_node_link(graph), indent=2, ensure_ascii=False) + "\n").encode()
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        output.write_bytes(data)
        click.echo(f"{graph.number_of_nodes()} concepts, {graph.number_of_edges()} pairs", err=True)


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
    except LockedError as exc:
        click.echo(f"kb: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except InputError as exc:
        click.echo(f"kb: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    except KBError as exc:
        click.echo(f"kb: {exc}", err=True)
        sys.exit(EXIT_PARTIAL)
