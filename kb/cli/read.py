"""The commands that read the knowledge base: query, sparql, stats, export, validate, runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kb.cli.base import cli, pass_settings, print_table
from kb.errors import EXIT_PARTIAL
from kb.settings import Settings
from kb.store import opened_store

if TYPE_CHECKING:
    from pyoxigraph import NamedNode


@cli.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "trig", "nq", "jsonld", "phenopackets"]),
    default="trig",
    show_default=True,
    help="trig, nq and jsonld keep the named graphs; ttl writes their union; phenopackets "
    "writes one GA4GH phenopacket per case into the folder -o names.",
)
@click.option("--pmid", help="Export only this article's graph.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="File (else stdout); a folder for phenopackets.",
)
@pass_settings
def export_command(settings: Settings, fmt: str, pmid: str | None, output: Path | None) -> None:
    """Write the store (or one article's graph) as RDF, or its cases as phenopackets."""
    from kb.graph.rdfio import export

    if fmt == "phenopackets":
        if output is None:
            raise click.UsageError("phenopackets go into a folder: give -o DIR")
        from kb.cli.cases import export_phenopackets

        export_phenopackets(settings, output, pmid)
        return
    graph = _article_graph_option(pmid)
    with opened_store(settings, reading=True) as store:
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


@cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_settings
def stats_command(settings: Settings, as_json: bool) -> None:
    """Count articles, assertions, quads and graphs, and show the runs.

    The counts are the named queries ``counts`` and ``sizes``, as the API answers them.
    """
    from kb.jobs.stats import get_stats
    from kb.query.named import read_queries
    from kb.query.registry import Registry

    with opened_store(settings, reading=True) as store:
        stats = get_stats(Registry(store, read_queries()))
    if as_json:
        click.echo(stats.model_dump_json())
        return
    click.echo(
        f"articles: {stats.articles} ({stats.deleted} deleted, {stats.retracted} retracted)\n"
        f"assertions: {stats.assertions} ({stats.claims} distinct claims)\n"
        f"verdicts by curators: {stats.verdicts}\n"
        f"quads: {stats.quads} in {stats.graphs} graphs"
    )
    if stats.last_completed is not None:
        click.echo(f"last completed run ended {stats.last_completed:%Y-%m-%d %H:%M:%S}Z")
    run = stats.last_run
    if run is not None:
        ended = f", ended {run.ended:%Y-%m-%d %H:%M:%S}Z" if run.ended else ""
        click.echo(
            f"latest run: {run.run_id} ({run.status}), started {run.started:%Y-%m-%d %H:%M:%S}Z"
            f"{ended}: {run.written} written, {run.unchanged} unchanged, {run.rejected} rejected"
        )


@cli.command("validate")
@click.option("--pmid", help="Validate only this article's graph (with the ontology).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@pass_settings
def validate_command(settings: Settings, pmid: str | None, as_json: bool) -> None:
    """Check the store against the SHACL shapes; exit 1 when something is wrong."""
    from kb.graph.validate import validate_store

    graph = _article_graph_option(pmid)
    with opened_store(settings, reading=True) as store:
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


@cli.command("runs")
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_settings
def runs_command(settings: Settings, limit: int, as_json: bool) -> None:
    """List the latest ingest, refresh and re-extraction runs, with their status and counts."""
    from kb.jobs.handoff import read_runs
    from kb.jobs.runs import runs_table

    runs = read_runs(settings, limit)
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json") for r in runs]))
    else:
        click.echo("\n".join(runs_table(runs)))


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
    help="A table for people, or CSV or JSON for programs.",
)
@pass_settings
def query_command(settings: Settings, name: str | None, params: tuple[str, ...], fmt: str) -> None:
    """Answer a named query (queries/NAME.rq) from the store; without NAME, list them."""
    from kb.errors import QueryError
    from kb.query.named import read_queries
    from kb.query.registry import Registry

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
    with opened_store(settings, reading=True, readers=1) as store:
        try:
            table = Registry(store, queries).run(
                name, {k: v if len(v) > 1 else v[0] for k, v in values.items()}
            )
        except QueryError as exc:
            raise click.UsageError(str(exc)) from exc
    print_table(table, fmt)


@cli.command("sparql")
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    help="json, xml, csv or tsv for SELECT and ASK; ttl, nt, jsonld or rdf for graphs.",
)
@pass_settings
def sparql_command(settings: Settings, query: str, fmt: str | None) -> None:
    """Run a read-only SPARQL query, given as QUERY or @FILE, and print the answer.

    The same checks as the HTTP endpoint: updates, LOAD and SERVICE are refused, and the
    answer stops at KB_ROW_CAP rows (said on stderr).
    """
    from kb.errors import QueryError, ReadOnlyError
    from kb.query.protocol import Asked, respond

    if query.startswith("@"):
        try:
            query = Path(query[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"cannot read {query[1:]}: {exc}", param_hint="QUERY") from exc
    with opened_store(settings, reading=True, readers=1) as store:
        try:
            asked = Asked(query, row_cap=settings.row_cap, byte_cap=settings.answer_bytes, fmt=fmt)
            answer, _ = respond(store, asked)
        except (QueryError, ReadOnlyError) as exc:
            raise click.UsageError(str(exc)) from exc
    click.echo(answer.data.decode("utf-8"), nl=not answer.data.endswith(b"\n"))
    if answer.truncated:
        click.echo(
            f"kb: the answer was cut at {settings.row_cap} rows (KB_ROW_CAP) or "
            f"{settings.answer_bytes:,} bytes (KB_ANSWER_BYTES)",
            err=True,
        )


@cli.command("graph")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["graphml", "json"]),
    default="graphml",
    show_default=True,
    help="GraphML (Gephi, Cytoscape) or node-link JSON.",
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
@pass_settings
def graph_command(
    settings: Settings,
    fmt: str,
    polarity: str,
    min_articles: int,
    include_retracted: bool,
    output: Path | None,
) -> None:
    """Write the concept co-occurrence network, with centrality and communities."""
    from kb.query.analytics import read_network, to_graphml, to_node_link
    from kb.query.named import read_queries
    from kb.query.registry import Registry

    params: dict[str, str | int | bool] = {
        "polarity": polarity,
        "min_articles": min_articles,
        "include_retracted": include_retracted,
    }
    with opened_store(settings, reading=True) as store:
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
