"""The commands that build the knowledge base: ingest, extract, load, refresh, reextract."""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from kb.cli.base import cli, pass_settings
from kb.errors import EXIT_PARTIAL, InputError, KBError, LockedError
from kb.settings import Settings
from kb.store import opened_store

if TYPE_CHECKING:
    from datetime import datetime

    from ingest.files import BatchTally
    from kb.models import Record

T = TypeVar("T")


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
@pass_settings
def ingest_command(
    settings: Settings,
    files: tuple[Path, ...],
    sample: bool,
    as_json: bool,
    query: str | None,
    mindate: str | None,
    maxdate: str | None,
    offline: bool,
) -> None:
    """Read PubMed XML (plain or .gz) or MEDLINE text FILES into the store, and report.

    FILES are regular files, or - for standard input (which fails if nothing comes for
    KB_INPUT_STALL_SECONDS).

    Each article is extracted and replaces its graph in the store (KB_STORE, else
    KB_HOME/store); a DeleteCitation marks the article deleted; the run is recorded.

    With --pubmed, also search PubMed through E-utilities and read what it finds; every
    answer is cached under KB_HOME/cache, and --offline replays the cache without network.

    Exit status 1 when some records were rejected (the others were read) or E-utilities
    failed, 2 when a file cannot be used at all (missing, not PubMed, hostile XML);
    nothing is read then.
    """
    from ingest.files import BatchTally, check_files, iter_batch, source_name
    from ingest.streams import Source, Stalling
    from kb.jobs.archive import RecordArchive
    from kb.jobs.ingest import ingest_records
    from kb.resources import sample_path

    if files.count(Path("-")) > 1:
        raise click.UsageError("standard input (-) can be read once")
    paths: list[Source] = [
        Stalling(sys.stdin.buffer, settings.input_stall_seconds) if f == Path("-") else f
        for f in [*files, *([sample_path()] if sample else [])]
    ]
    if not paths and query is None:
        raise click.UsageError("give FILE..., --sample or --pubmed")
    if query is None and (mindate or maxdate or offline):
        raise click.UsageError("--mindate, --maxdate and --offline go with --pubmed")
    check_files(paths)  # before the store is touched: unusable input writes nothing
    tally = BatchTally()
    records: Iterable[Record] = iter_batch(paths, tally)
    if query is not None:
        pubmed = _pubmed_records(settings, tally, query, mindate, maxdate, offline)
        records = itertools.chain(records, pubmed)
    sources = [source_name(p) for p in paths]
    sources += ["PubMed search"] if query is not None else []
    # Every article written is archived first, for kb reextract.
    archive = RecordArchive(settings.records_dir)
    with opened_store(settings) as store:
        run = ingest_records(
            store, _with_progress(records, "ingesting"), files=sources, archive=archive
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
            f"{run.superseded} superseded, {len(run.deleted)} deleted (run {run.run_id})"
        )
        for message in run.errors[len(result.rejected) :]:
            click.echo(f"not stored: {message}")
    if result.rejected or run.rejected:
        raise click.exceptions.Exit(EXIT_PARTIAL)


def _pubmed_records(
    settings: Settings,
    tally: BatchTally,
    query: str,
    mindate: str | None,
    maxdate: str | None,
    offline: bool,
) -> Iterator[Record]:
    """Search PubMed and yield what it finds, counting it in ``tally``."""
    from ingest.eutils import fetch_pubmed

    tally.files.append("PubMed search")
    found = fetch_pubmed(settings, query or None, mindate=mindate, maxdate=maxdate, offline=offline)
    for record in found:
        tally.add(record)
        yield record


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
    from kb.extraction.extract import extract_article, to_json_line
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


@cli.command("eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--pred",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Score this extraction (JSON Lines) instead of extracting FILES.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option("--errors", is_flag=True, help="List every false positive and false negative.")
@click.option("--min-f1", type=float, help="Exit 1 when the micro-F1 falls below this.")
def eval_command(
    gold: Path,
    files: tuple[Path, ...],
    pred: Path | None,
    as_json: bool,
    errors: bool,
    min_f1: float | None,
) -> None:
    """Score extraction against GOLD, a hand annotation (JSON Lines, one article a line).

    The articles are extracted from FILES (PubMed XML), or read from --pred. The figures are
    those of shared/eval/score.py: patient-scope (role, concept, polarity) tuples per role and
    micro-averaged, levels, design and patient-count accuracy, background leakage.
    """
    import json

    from ingest.files import check_files
    from ingest.pubmed_xml import iter_records
    from kb.extraction.extract import extract_article, to_json_line
    from kb.extraction.scoring import report, score, score_cases
    from kb.models import Article
    from kb.vocabulary import get_concepts

    if (pred is None) == (not files):
        raise click.UsageError("give the records FILES to extract, or --pred, not both")
    if pred is not None:
        lines = pred.read_text(encoding="utf-8").splitlines()
    else:
        check_files(files)
        lines = [
            to_json_line(extract_article(record))
            for path in files
            for record in iter_records(path)
            if isinstance(record, Article)
        ]
    gold_docs = _by_pmid(gold.read_text(encoding="utf-8").splitlines(), str(gold))
    pred_docs = _by_pmid(lines, str(pred or "the extraction"))
    figures = score(gold_docs, pred_docs, get_concepts())
    if any("cases" in doc for doc in gold_docs.values()):  # an annotation of the cases too
        figures["cases"] = score_cases(gold_docs, pred_docs)
    if as_json:
        click.echo(json.dumps({k: v for k, v in figures.items() if k != "errors"}, indent=2))
    else:
        click.echo(report(figures))
    if errors:
        for pmid, kind, (role, concept, polarity) in figures["errors"]:
            click.echo(f"  {pmid} {kind} {role} {concept} {polarity}")
    if min_f1 is not None and figures["micro"]["f1"] < min_f1:
        raise click.exceptions.Exit(EXIT_PARTIAL)


def _by_pmid(lines: list[str], where: str) -> dict[str, dict[str, object]]:
    """Read JSON Lines of articles, keyed by PMID; a bad line is a usage error naming it."""
    import json

    docs: dict[str, dict[str, object]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.UsageError(f"{where} line {number}: not JSON: {exc}") from exc
        if not isinstance(doc, dict) or not str(doc.get("pmid", "")).strip():
            raise click.UsageError(f"{where} line {number}: no pmid")
        docs[str(doc["pmid"]).strip()] = doc
    return docs


@cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", help="ttl, trig, nq, nt, jsonld (default: by extension).")
@click.option("--graph", "graph_iri", help="The graph IRI for a file without graphs (ttl, nt).")
@pass_settings
def load_command(settings: Settings, file: Path, fmt: str | None, graph_iri: str | None) -> None:
    """Load an RDF dump; each named graph in it replaces the same graph in the store."""
    from pyoxigraph import NamedNode

    from kb.graph.rdfio import load

    try:
        graph = NamedNode(graph_iri) if graph_iri else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--graph") from exc
    with opened_store(settings) as store:
        summary = load(store, file, fmt, graph)
    click.echo(f"loaded {summary.quads} quads in {summary.graphs} graphs from {file}")


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
@pass_settings
def refresh_command(
    settings: Settings,
    query: str | None,
    since: datetime | None,
    dry_run: bool,
    sweep: bool | None,
    as_json: bool,
) -> None:
    """Bring the knowledge base up to date with PubMed (run it from cron or a systemd timer).

    The first run fetches everything the query finds; later runs ask only for what entered
    or changed since the last completed run (less KB_REFRESH_OVERLAP_DAYS), mark withdrawn
    and retracted articles, and record the run (kb runs). When kb serve is running, the
    server does the refresh (POST /admin/refresh with KB_ADMIN_TOKEN) and this waits for it.

    Exit status: 0 done; 1 the run failed (the watermark did not move: the next run asks
    again); 2 a usage or input error; 3 another refresh is running.
    """
    from kb.jobs.handoff import submit_refresh
    from kb.jobs.refresh import RefreshRequest
    from kb.jobs.runs import describe_run

    request = RefreshRequest(
        query=query, since=since.date() if since else None, dry_run=dry_run, sweep=sweep
    )
    try:
        run = submit_refresh(settings, request)
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
@pass_settings
def reextract_command(
    settings: Settings, pmids: tuple[str, ...], force: bool, as_json: bool
) -> None:
    """Run the current extractor over stored articles again, from KB_HOME/records (no network).

    Each article read by an older extractor has its graph re-mapped whole, so the old
    assertions go. Exit status 1 when some articles could not be re-read (no archived
    record), 3 when a refresh is running.
    """
    from kb.jobs.handoff import submit_reextract
    from kb.jobs.reextract import ReextractRequest
    from kb.jobs.runs import describe_run
    from kb.models import PMID_PATTERN

    bad = [p for p in pmids if not re.fullmatch(PMID_PATTERN, p)]
    if bad:
        raise click.BadParameter(f"not a PMID: {bad[0]!r}", param_hint="--pmid")
    run = submit_reextract(settings, ReextractRequest(pmids=pmids, force=force))
    click.echo(run.model_dump_json() if as_json else "\n".join(describe_run(run)))
    if run.rejected:
        raise click.exceptions.Exit(EXIT_PARTIAL)
