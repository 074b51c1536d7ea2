"""The commands about cases: the case table, one case, cases like a patient's, phenopackets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from kb.cli.base import cli, pass_settings, print_table
from kb.settings import Settings
from kb.store import opened_store

FORMATS = click.Choice(["table", "csv", "json"])
# What a terminal has room for; CSV and JSON have every column.
TABLE_COLUMNS = (
    "case", "year", "age", "sex", "levels", "findings_present", "findings_absent",
    "misdiagnoses", "diagnosis_method", "final_diagnosis", "treatments",
)  # fmt: skip


@cli.command("cases")
@click.option("--region", help="A region concept, e.g. region/cervical.")
@click.option("--level", help="A vertebra, e.g. C2.")
@click.option("--site", help="A site concept, e.g. site/facet-joint.")
@click.option("--present", multiple=True, help="A finding the case has (repeat for several).")
@click.option("--absent", multiple=True, help="A finding reported absent (repeat).")
@click.option("--misdiagnosis", help="A diagnosis the case was first taken for.")
@click.option("--associated", help="An associated condition.")
@click.option("--treatment", help="A treatment.")
@click.option("--year-from", type=int, help="Published this year or later.")
@click.option("--year-to", type=int, help="Published this year or earlier.")
@click.option("--confirmed", is_flag=True, help="Only cases proven by histology.")
@click.option("--no-duplicates", is_flag=True, help="Keep only the first report of a patient.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Rows.")
@click.option(
    "--offset", type=click.IntRange(0), default=0, show_default=True, help="Rows skipped."
)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
              help="A table for people, or CSV or JSON for programs.")  # fmt: skip
@pass_settings
def cases_command(settings: Settings, /, no_duplicates: bool, limit: int, offset: int, fmt: str,
                  **filters: Any) -> None:  # fmt: skip
    """The case table: one row per published patient, newest first (the ``cases`` query)."""
    from kb.query.named import read_queries
    from kb.query.registry import Page, Registry

    params = {k: v for k, v in filters.items() if v not in (None, (), False)}
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    params["no_duplicates"] = no_duplicates
    with opened_store(settings, reading=True, readers=1) as store:
        table = Registry(store, read_queries()).run("cases", params, Page(limit, offset))
    print_table(table, fmt, TABLE_COLUMNS)


@cli.command("case")
@click.argument("case")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "phenopacket"]), default="json",
    show_default=True, help="The record with its evidence, or its GA4GH phenopacket.",
)  # fmt: skip
@pass_settings
def case_command(settings: Settings, case: str, fmt: str) -> None:
    """One case (PMID-number, e.g. 11474353-2) with the sentence of every fact."""
    from kb.cases import get_case
    from kb.cases.phenopacket import to_json, to_phenopacket
    from kb.query.named import read_queries
    from kb.query.registry import Registry

    with opened_store(settings, reading=True, readers=1) as store:
        try:
            record = get_case(Registry(store, read_queries()), case)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="CASE") from exc
    if record is None:
        raise click.BadParameter(f"no case {case} in the store", param_hint="CASE")
    if fmt == "phenopacket":
        extractor = str(record.get("extractor") or "tc-spine-kb")
        click.echo(to_json(to_phenopacket(record, extractor, datetime.now(UTC))))
    else:
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))


@cli.command("cases-like")
@click.option("--present", multiple=True, help="A finding the patient has (repeat).")
@click.option("--absent", multiple=True, help="A finding the patient does not have (repeat).")
@click.option("--level", multiple=True, help="A vertebra of the lesion (repeat).")
@click.option("--region", help="A region concept.")
@click.option("--age", type=click.IntRange(0, 130), help="Age in years.")
@click.option("--sex", type=click.Choice(["female", "male"]), help="The patient's sex.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Cases.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
              help="A table for people, or CSV or JSON for programs.")  # fmt: skip
@pass_settings
def cases_like_command(settings: Settings, present: tuple[str, ...], absent: tuple[str, ...],
                       level: tuple[str, ...], region: str | None, age: int | None,
                       sex: str | None, limit: int, fmt: str) -> None:  # fmt: skip
    """The published cases closest to a patient, with what they were mistaken for."""
    from kb.cases.similar import Patient, build_index, ranked_rows
    from kb.query.named import read_queries
    from kb.query.registry import Registry, Table
    from kb.vocabulary import get_concepts

    known = get_concepts()
    for concept in (*present, *absent, *([region] if region else [])):
        if concept not in known:
            raise click.BadParameter(f"{concept!r} is not a concept id of the vocabulary")
    patient = Patient(frozenset(present), frozenset(absent), frozenset(level), region, age, sex)
    with opened_store(settings, reading=True, readers=1) as store:
        index = build_index(Registry(store, read_queries()))
    rows = ranked_rows(index.like(patient, limit))
    columns = tuple(rows[0]) if rows else ("case",)
    print_table(Table(columns=columns, rows=tuple(rows), total=len(rows)), fmt)


def export_phenopackets(settings: Settings, folder: Path, pmid: str | None) -> None:
    """Write one phenopacket per case (of one article, with a PMID) into a folder."""
    from kb.cases import get_case
    from kb.cases.phenopacket import to_json, to_phenopacket
    from kb.cases.similar import build_index
    from kb.query.named import read_queries
    from kb.query.registry import Registry

    folder.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    written = 0
    with opened_store(settings, reading=True, readers=1) as store:
        registry = Registry(store, read_queries())
        for features in build_index(registry).cases:
            if pmid is not None and features.pmid != pmid:
                continue
            record = get_case(registry, features.case)
            if record is None:
                continue
            extractor = str(record.get("extractor") or "tc-spine-kb")
            target = folder / f"{features.case}.json"
            partial = target.with_name(target.name + ".partial")
            partial.write_text(to_json(to_phenopacket(record, extractor, created)) + "\n")
            partial.replace(target)
            written += 1
    click.echo(f"wrote {written} phenopackets to {folder}", err=True)
