"""``padis collect`` and ``padis quarantine``: thin commands over the collection services."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()
quarantine_app = typer.Typer(
    help="隔离区 Quarantined rows: list, correct (one by one or in Excel), re-submit.", no_args_is_help=True
)

_STAGES = {"read": "读取 reading", "validate": "校验 validating", "store": "入库 storing"}


def collect_cmd(
    file: Path = typer.Argument(
        ..., help="Agency file: CSV (UTF-8/BOM/GB18030), XLSX, JSON Lines or Parquet."
    ),
    agency: str = typer.Option(..., "--agency", help="Sending agency (code from the agency table)."),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="Mapping YAML (default: DIR/mappings/<name>.yaml)."
    ),
    record: str | None = typer.Option(
        None, "--record", help="Dictionary record, when columns are field names."
    ),
    report_json: Path | None = typer.Option(
        None, "--report-json", help="Also write the import report as JSON."
    ),
    apply: bool = typer.Option(True, "--apply/--no-apply", help="Update the register from the batch."),
) -> None:
    """采集 Collect one agency file as one all-or-nothing batch; bad rows go to quarantine."""
    from padis.collect.service import collect_file
    from padis.store import get_engine

    engine = get_engine()
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
            engine, file, agency, mapping_path=mapping, record=record, apply=apply, progress=step
        )
    report.render(console)
    if report_json is not None:
        report.write_json(report_json)


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

    rows = list_quarantine(
        get_engine(), batch_id=batch, reason=reason, status=None if status == "all" else status, limit=limit
    )
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

    counts = export_workbook(
        get_engine(), out, batch_id=batch, reason=reason, status=None if status == "all" else status
    )
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
