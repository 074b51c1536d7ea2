"""``kb curate``: judge what the extractor read, see the verdicts and orphans, share them.

Writes need KB_CURATOR_TOKEN, a token of KB_CURATORS; when ``kb serve`` owns the store they go
to it (``POST /curations``), else they are written here under the refresh lock. Reads need
nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kb.cli.base import cli, pass_settings
from kb.settings import Settings
from kb.store import opened_store

if TYPE_CHECKING:
    from kb.jobs.curate import CurationRequest, HistoryEntry

REASONS = click.Choice(
    ["wrong-concept", "wrong-polarity", "wrong-scope", "not-about-lesion", "not-in-text", "other"]
)
STATEMENT_OPTIONS = (
    click.option("--role", help="The role (finding, misdiagnosis, associated, ...)."),
    click.option("--concept", help="A concept id, e.g. finding/t2-hypointense."),
    click.option("--polarity", type=click.Choice(["present", "absent"])),
    click.option("--certainty", type=click.Choice(["asserted", "hedged"])),
    click.option("--scope", type=click.Choice(["patient", "background"])),
)


def _statement_options(command: Any) -> Any:
    for option in reversed(STATEMENT_OPTIONS):
        command = option(command)
    return command


@cli.group("curate")
def curate() -> None:
    """Accept, reject, correct or add assertions; list verdicts, orphans; export, import."""


def _submit(settings: Settings, request: CurationRequest) -> None:
    from kb.jobs.curate import submit_verdicts

    for v in submit_verdicts(settings, [request]):
        click.echo(f"{v.action} {v.pmid} {v.target} as {v.curator.name}: verdict {v.id}")


@curate.command("accept")
@click.argument("pmid")
@click.argument("key")
@click.option("--note", help="Why, in a few words.")
@pass_settings
def accept_command(settings: Settings, pmid: str, key: str, note: str | None) -> None:
    """Confirm the assertion KEY of article PMID (keys: kb curate list PMID)."""
    from kb.jobs.curate import CurationRequest

    _submit(settings, CurationRequest(pmid=pmid, action="accept", target=key, note=note))


@curate.command("reject")
@click.argument("pmid")
@click.argument("key")
@click.option("--reason", type=REASONS, required=True, help="Why it is wrong.")
@click.option("--note", help="More, in a few words.")
@pass_settings
def reject_command(settings: Settings, pmid: str, key: str, reason: str, note: str | None) -> None:
    """Strike out the assertion KEY of article PMID: counted nowhere from now on."""
    from kb.jobs.curate import CurationRequest

    request = CurationRequest(pmid=pmid, action="reject", target=key, reason=reason, note=note)
    _submit(settings, request)


@curate.command("correct")
@click.argument("pmid")
@click.argument("key")
@_statement_options
@click.option("--note", help="Why, in a few words.")
@pass_settings
def correct_command(
    settings: Settings, /, pmid: str, key: str, note: str | None, **statement: str | None
) -> None:
    """Say what the assertion KEY of article PMID should have said (same words)."""
    from kb.curation import Statement
    from kb.jobs.curate import CurationRequest

    changes = {k: v for k, v in statement.items() if v is not None}
    if not changes:
        raise click.UsageError("say what changes: --role, --concept, --polarity, ...")
    correction = Statement.model_validate(changes)
    request = CurationRequest(
        pmid=pmid, action="correct", target=key, correction=correction, note=note
    )
    _submit(settings, request)


@curate.command("add")
@click.argument("pmid")
@click.option("--mention", required=True, help="The words that name the concept, as written.")
@click.option("--near", default="", help="More words of the same sentence, to pick one.")
@_statement_options
@click.option("--patient", type=click.IntRange(1), help="The case it is about (a series).")
@click.option("--note", help="Why, in a few words.")
@pass_settings
def add_command(
    settings: Settings,
    /,
    pmid: str,
    mention: str,
    near: str,
    patient: int | None,
    note: str | None,
    **statement: str | None,
) -> None:
    """Add an assertion the extractor missed, read from MENTION in the article's text."""
    from kb.curation import locate
    from kb.jobs.curate import CurationRequest, Reader
    from kb.models import Assertion

    if not statement.get("role") or not statement.get("concept"):
        raise click.UsageError("an added assertion needs --role and --concept")
    article = Reader.at(settings.records_dir).article(pmid)
    try:
        section, sentence, start, end = locate(article, mention, near)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mention") from None
    fields = {k: v for k, v in statement.items() if v is not None}
    assertion = Assertion.model_validate(
        {**fields, "section": section, "sentence": sentence, "start": start, "end": end,
         "patient": patient}
    )  # fmt: skip
    _submit(settings, CurationRequest(pmid=pmid, action="add", assertion=assertion, note=note))


@curate.command("duplicate")
@click.argument("first")
@click.argument("second")
@click.option("--same/--two-patients", required=True,
              help="One patient published twice, or two patients.")  # fmt: skip
@click.option("--note", help="Why, in a few words.")
@pass_settings
def duplicate_command(
    settings: Settings, first: str, second: str, same: bool, note: str | None
) -> None:
    """Say whether cases FIRST and SECOND (ids like 77000002-1) are one patient."""
    from kb.jobs.curate import submit_pair

    v = submit_pair(settings, (first, second), same, note)
    said = "one patient" if v.same else "two patients"
    click.echo(f"{' and '.join(v.cases)}: {said}, as {v.curator.name}: verdict {v.id}")


@curate.command("list")
@click.argument("pmid")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_settings
def list_command(settings: Settings, pmid: str, as_json: bool) -> None:
    """The assertions of article PMID with their keys and curation status."""
    from kb.curation import row_key
    from kb.query.named import read_queries
    from kb.query.registry import Registry

    with opened_store(settings, reading=True, readers=1) as store:
        rows = Registry(store, read_queries()).run("article-evidence", {"pmid": pmid}).rows
    if not rows:
        raise click.BadParameter(f"no assertions of PMID {pmid} in the store", param_hint="PMID")
    for row in rows:
        key = row_key(pmid, row)
        if as_json:
            click.echo(json.dumps({"key": key, **row}, default=str))
            continue
        mention = row.get("mention") or ""
        click.echo(
            f"{key}  {row.get('status'):<9} {row.get('role')} {row.get('concept')} "
            f"{row.get('polarity')} {row.get('scope')}  “{mention}”"
        )


def _print_history(entries: list[HistoryEntry], as_json: bool) -> None:
    from kb.curation import PairVerdict

    for e in entries:
        if as_json:
            click.echo(e.model_dump_json())
            continue
        v = e.verdict
        if isinstance(v, PairVerdict):
            said = f"{'same patient' if v.same else 'two patients'}: {' and '.join(v.cases)}"
        else:
            a, why = v.assertion, v.reason or (v.correction.changes() if v.correction else "")
            said = f"{v.action} {v.pmid} {a.role} {a.concept} “{a.mention}” {why or ''}"
        click.echo(f"{v.created:%Y-%m-%d %H:%M} {e.state:<10} {e.target} {said} — {v.curator.name}")


@curate.command("history")
@click.option("--pmid", help="Only the verdicts on this article.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_settings
def history_command(settings: Settings, pmid: str | None, as_json: bool) -> None:
    """Every verdict, oldest first: current, superseded (by which) or orphaned."""
    from kb.jobs.curate import history

    with opened_store(settings, reading=True, readers=1) as store:
        _print_history(history(store, pmid), as_json)


@curate.command("orphans")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_settings
def orphans_command(settings: Settings, as_json: bool) -> None:
    """Verdicts whose assertion has gone (the text changed, or the extractor no longer reads it).

    Exit status 1 when there are any, so a refresh job can say so.
    """
    from kb.jobs.curate import orphans

    with opened_store(settings, reading=True, readers=1) as store:
        found = orphans(store)
    _print_history(found, as_json)
    if found:
        click.echo(f"{len(found)} orphaned verdict(s)", err=True)
        sys.exit(1)


@curate.command("export")
@click.option("--format", "fmt", type=click.Choice(["trig", "jsonld"]), default="trig",
              show_default=True, help="TriG, or JSON-LD.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File (else stdout).")
@pass_settings
def export_command(settings: Settings, fmt: str, output: Path | None) -> None:
    """Write every verdict, to keep under version control or import elsewhere."""
    from kb.jobs.curate import export_verdicts

    with opened_store(settings, reading=True, readers=1) as store:
        data = export_verdicts(store, fmt)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    partial = output.with_name(output.name + ".partial")
    partial.write_bytes(data)
    partial.replace(output)


@curate.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["trig", "jsonld"]),
              help="By the file's extension when not given (.trig, .jsonld, .json).")  # fmt: skip
@pass_settings
def import_command(settings: Settings, file: Path, fmt: str | None) -> None:
    """Add the verdicts of FILE this store lacks, and apply them; twice changes nothing."""
    from kb.jobs.curate import ImportRequest, submit_import

    fmt = fmt or ("trig" if file.suffix == ".trig" else "jsonld")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"not UTF-8 text: {exc}", param_hint="FILE") from None
    done = submit_import(settings, ImportRequest(format=fmt, data=text))
    click.echo(f"{done.new} new verdict(s), {done.known} already held")
