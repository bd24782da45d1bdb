"""``padis collect`` and ``padis quarantine``: thin commands over the collection services."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from padis.collect.report import ImportReport

console = Console()
quarantine_app = typer.Typer(
    help="隔离区 Quarantined rows: list, correct (one by one or in Excel), re-submit.", no_args_is_help=True
)

_STAGES = {"read": "读取 reading", "validate": "校验 validating", "store": "入库 storing"}


# The data files a delivery folder may hold (mappings, reports and other files beside them are skipped).
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".jsonl", ".ndjson", ".parquet")


QUARANTINE_STATUSES = ("open", "fixed", "resubmitted", "all")


def _status(value: str, allowed: tuple[str, ...] = QUARANTINE_STATUSES) -> str | None:
    """The ``--status`` filter (None for all); InputError naming the choices for anything else."""
    from padis.errors import InputError

    if value not in allowed:
        raise InputError(f"unknown status {value!r}", where="--status", why="one of " + ", ".join(allowed))
    return None if value == "all" else value


def delivery_files(paths: list[Path]) -> list[Path]:
    """The files to collect: each file as given, each folder's data files in name order."""
    from padis.errors import InputError

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)
            if not found:
                raise InputError("no data files in folder", where=str(path), why=", ".join(DATA_SUFFIXES))
            files += found
        else:
            files.append(path)
    return files


def collect_cmd(
    files: list[Path] = typer.Argument(
        ...,
        help="Agency files (CSV UTF-8/BOM/GB18030, XLSX, JSON Lines, Parquet) or folders of them; "
        "each file is its own batch.",
    ),
    agency: str = typer.Option(..., "--agency", help="Sending agency (code from the agency table)."),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="Mapping YAML (default: DIR/mappings/<name>.yaml)."
    ),
    record: str | None = typer.Option(
        None, "--record", help="Dictionary record, when columns are field names."
    ),
    report_json: Path | None = typer.Option(
        None, "--report-json", help="Also write the import report as JSON (a list for several files)."
    ),
    apply: bool = typer.Option(True, "--apply/--no-apply", help="Update the register from the batch."),
) -> None:
    """采集 Collect agency files, each as one all-or-nothing batch; bad rows go to quarantine.

    With several files, a file that cannot be collected is reported and the others still are; the exit
    code is then 2.
    """
    from padis.errors import PadisError
    from padis.store import get_engine

    engine = get_engine()
    targets = delivery_files(files)
    if len(targets) == 1:
        report = _collect_one(engine, targets[0], agency, mapping, record, apply)
        if report_json is not None:
            report.write_json(report_json)
        return
    reports, failed = [], []
    for path in targets:
        console.rule(str(path))
        try:
            reports.append(_collect_one(engine, path, agency, mapping, record, apply))
        except PadisError as exc:
            console.print(f"[bold red]error:[/] {exc.line()}", highlight=False, soft_wrap=True)
            failed.append((path, exc.line()))
    _render_totals(reports, failed)
    if report_json is not None:
        report_json.parent.mkdir(parents=True, exist_ok=True)
        data = [r.to_dict() for r in reports] + [{"file": str(p), "error": e} for p, e in failed]
        report_json.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    if failed:
        raise typer.Exit(2)


def _collect_one(
    engine: Engine, path: Path, agency: str, mapping: Path | None, record: str | None, apply: bool
) -> ImportReport:
    """Collect one file with progress bars and print its import report."""
    from padis.collect.service import collect_file

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        tasks: dict[str, int] = {}

        def step(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(_STAGES.get(stage, stage), total=max(total, 1))
            progress.update(tasks[stage], completed=done, total=max(total, 1))

        report = collect_file(
            engine, path, agency, mapping_path=mapping, record=record, apply=apply, progress=step
        )
    report.render(console)
    return report


def _render_totals(reports: list[ImportReport], failed: list[tuple[Path, str]]) -> None:
    """One line per file and the totals of a multi-file collection."""
    table = Table(title=f"采集汇总 collected {len(reports)} of {len(reports) + len(failed)} files")
    for col in ("file", "batch", "read", "stored", "quarantined", "note"):
        table.add_column(
            col, justify="right" if col in ("batch", "read", "stored", "quarantined") else "left"
        )
    for r in reports:
        note = "already loaded" if r.already_loaded else ""
        table.add_row(
            Path(r.file).name,
            str(r.batch_id),
            f"{r.rows_read:,}",
            f"{r.rows_stored:,}",
            f"{r.rows_quarantined:,}",
            note,
        )
    for path, error in failed:
        table.add_row(path.name, "—", "—", "—", "—", f"[red]{error}[/]")
    table.add_row(
        "total",
        "",
        f"{sum(r.rows_read for r in reports):,}",
        f"{sum(r.rows_stored for r in reports):,}",
        f"{sum(r.rows_quarantined for r in reports):,}",
        f"{len(failed)} failed" if failed else "",
    )
    console.print(table)


@quarantine_app.command("list")
def list_cmd(
    batch: int | None = typer.Option(None, "--batch", help="Only rows of this batch."),
    reason: str | None = typer.Option(
        None, "--reason", help="Only rows with this reason (or reason prefix)."
    ),
    status: str = typer.Option("open", "--status", help="open, fixed, resubmitted, or all."),
    limit: int = typer.Option(50, "--limit", help="At most this many rows."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """列出 List quarantined rows with their reasons."""
    from padis.collect.quarantine import list_quarantine
    from padis.store import get_engine

    rows = list_quarantine(get_engine(), batch_id=batch, reason=reason, status=_status(status), limit=limit)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table(title=f"隔离区 quarantine ({len(rows)} rows)")
    for col in ("id", "batch", "row", "key", "reasons", "status"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["quarantine_id"]),
            str(r["batch_id"]),
            str(r["row_number"]),
            str(r["source_key"] or ""),
            r["reasons"].replace(";", "\n"),
            r["status"],
        )
    console.print(table)


@quarantine_app.command("fix")
def fix_cmd(
    quarantine_id: int = typer.Argument(..., help="Quarantined row id (from `padis quarantine list`)."),
    set_: list[str] = typer.Option(..., "--set", help="COLUMN_OR_FIELD=VALUE; repeat for several."),
) -> None:
    """修正 Correct values of one quarantined row (then `padis quarantine resubmit`)."""
    from padis.collect.quarantine import fix_row
    from padis.errors import InputError
    from padis.store import get_engine

    changes = {}
    for item in set_:
        if "=" not in item:
            raise InputError(f"--set {item!r} needs NAME=VALUE")
        key, value = item.split("=", 1)
        changes[key.strip()] = value
    result = fix_row(get_engine(), quarantine_id, changes)
    console.print(f"[green]fixed[/] row {quarantine_id}: {', '.join(result['fixes'])} (ready to resubmit)")


@quarantine_app.command("export")
def export_cmd(
    out: Path = typer.Argument(..., help="Workbook to write (.xlsx)."),
    batch: int | None = typer.Option(None, "--batch", help="Only rows of this batch."),
    reason: str | None = typer.Option(
        None, "--reason", help="Only rows with this reason (or reason prefix)."
    ),
    status: str = typer.Option("open", "--status", help="open, fixed, or all."),
) -> None:
    """导出 Write quarantined rows to an Excel workbook to correct there (then `padis quarantine import`)."""
    from padis.collect.quarantine_xlsx import export_workbook
    from padis.store import get_engine

    counts = export_workbook(get_engine(), out, batch_id=batch, reason=reason, status=_status(status))
    rows = sum(counts.values())
    console.print(f"[green]exported[/] {rows:,} rows of {len(counts)} batch(es) to {out}")


@quarantine_app.command("import")
def import_cmd(
    workbook: Path = typer.Argument(..., help="A workbook from `padis quarantine export`, corrected."),
) -> None:
    """导入 Record the cells changed in a corrected workbook as fixes (then `padis quarantine resubmit`)."""
    from padis.collect.quarantine_xlsx import import_workbook
    from padis.store import get_engine

    result = import_workbook(get_engine(), workbook)
    console.print(
        f"[green]imported[/] {result.rows_read:,} rows: {result.rows_fixed:,} corrected "
        f"({result.cells_changed:,} cells), {result.unchanged:,} unchanged"
        + ("; next: padis quarantine resubmit" if result.rows_fixed else "")
    )


@quarantine_app.command("resubmit")
def resubmit_cmd(
    batch: int | None = typer.Option(None, "--batch", help="Only fixed rows of this batch."),
    apply: bool = typer.Option(True, "--apply/--no-apply", help="Update the register from the new batch."),
) -> None:
    """重新提交 Re-validate fixed rows and store the passing ones as a new linked batch."""
    from padis.collect.quarantine import resubmit
    from padis.store import get_engine

    reports = resubmit(get_engine(), batch_id=batch, apply=apply)
    if not reports:
        console.print("nothing to resubmit (fix rows first: `padis quarantine fix ID --set FIELD=VALUE`)")
    for report in reports:
        report.render(console)


def register(app: typer.Typer) -> None:
    """Add ``padis collect`` and ``padis quarantine`` to the main app."""
    app.command("collect")(collect_cmd)
    app.add_typer(quarantine_app, name="quarantine")
