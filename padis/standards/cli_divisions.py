"""``padis standards divisions``: look up GB/T 2260 codes and load newer official lists."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from padis.errors import InputError, PadisError

KIND_LABELS = {
    "renamed": "更名或改设",
    "same_stem": "并入同名单位",
    "new_in_parent": "并入新设单位",
    "children": "所辖单位去向",
    "parent": "并入上级",
}
LEVEL_LABELS = {"province": "省级", "prefecture": "地级", "county": "县级"}

def _one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a ``PadisError`` as one line and exit with its code, whatever the root group does."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PadisError as exc:
            Console(stderr=True).print(f"[bold red]error:[/] {exc.line()}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return run


divisions_app = typer.Typer(help="GB/T 2260 administrative division codes with their history.",
                            no_args_is_help=True)


def _years(start: int | None, end: int | None) -> str:
    return f"{start or '…'}–{end or '今'}"


def _label(code: str) -> str:
    from padis.standards.divisions import get_divisions

    division = get_divisions().get(code)
    return f"{code} {division.name}" if division else code


@divisions_app.command("show")
@_one_line_errors
def show(code: str = typer.Argument(..., help="Six-digit division code, e.g. 110224.")) -> None:
    """Show a code's names over time, level, parent chain, validity and successors."""
    from padis.standards.divisions import get_divisions

    registry = get_divisions()
    division = registry.require(code)
    out = Console()
    state = "现行" if division.is_current else "已撤销"
    out.print(f"[bold]{division.code} {division.name}[/]  {LEVEL_LABELS[division.level]}  {state}",
              highlight=False)
    out.print(f"有效期: {_years(division.start_year, division.end_year)}", highlight=False)
    for span in division.names:
        out.print(f"  名称 {_years(span.start_year, span.end_year)}: {span.name}", highlight=False)
    chain = registry.ancestors(division.code)
    out.print("上级: " + (" → ".join(_label(c) for c in chain) if chain else "无"), highlight=False)
    if division.successors:
        kind = KIND_LABELS.get(division.successors[0].kind, division.successors[0].kind)
        out.print(f"继承代码 ({kind}, {division.successors[0].kind}): "
                  + ", ".join(_label(s.code) for s in division.successors), highlight=False)
        out.print("现行代码: " + (", ".join(_label(c) for c in registry.current(division.code)) or "无"),
                  highlight=False)


@divisions_app.command("list")
@_one_line_errors
def list_(
    province: str | None = typer.Option(None, "--province", "-p", help="Province code (11 or 110000)."),
    level: str = typer.Option("county", "--level", "-l", help="province, prefecture or county."),
    year: int | None = typer.Option(None, "--year", "-y", help="Codes valid in this year (default: now)."),
    plain: bool = typer.Option(False, "--plain", help="Print 'code<TAB>name' lines instead of a table."),
) -> None:
    """List the divisions of one level, now or in a given year."""
    from padis.standards.divisions import get_divisions

    registry = get_divisions()
    if level == "province":
        rows = registry.provinces(year)
        if province is not None:
            rows = [d for d in rows if d.code == registry.require(province).code]
    elif level == "prefecture":
        provinces = [registry.require(province)] if province else registry.provinces(year)
        rows = [d for p in provinces for d in registry.prefectures(p.code, year)]
    elif level == "county":
        rows = registry.counties(province, year)
    else:
        raise InputError(f"unknown level {level!r}", where="--level",
                         why="use province, prefecture or county")
    if plain:
        for d in rows:
            typer.echo(f"{d.code}\t{d.name if year is None else d.name_in(year)}")
        return
    table = Table(title=f"{LEVEL_LABELS[level]}区划 {year or '现行'} ({len(rows)})")
    for column in ("代码", "名称", "上级", "有效期"):
        table.add_column(column)
    for d in rows:
        table.add_row(d.code, d.name if year is None else d.name_in(year) or "",
                      _label(d.parent) if d.parent else "", _years(d.start_year, d.end_year))
    Console().print(table)


@divisions_app.command("search")
@_one_line_errors
def search(name: str = typer.Argument(..., help="Part of a name, e.g. 大兴.")) -> None:
    """Find codes any of whose names (past or present) contain the text."""
    from padis.standards.divisions import get_divisions

    hits = get_divisions().search(name)
    if not hits:
        raise InputError(f"no division name contains {name!r}", where="divisions search")
    table = Table(title=f"含“{name}”的区划 ({len(hits)})")
    for column in ("代码", "级别", "名称沿革", "状态"):
        table.add_column(column)
    for d in sorted(hits, key=lambda d: d.code):
        history = ", ".join(f"{s.name} {_years(s.start_year, s.end_year)}" for s in d.names)
        table.add_row(d.code, LEVEL_LABELS[d.level], history, "现行" if d.is_current else "已撤销")
    Console().print(table)


@divisions_app.command("update")
@_one_line_errors
def update(
    file: Path = typer.Argument(..., help="Official list: 'code name' lines, CSV with code,name, or JSON."),
    year: int | None = typer.Option(None, "--year", "-y",
                                    help="Year the list is valid from (default: this year)."),
    partial: bool = typer.Option(False, "--partial",
                                 help="The list is not complete: add and rename, but end no code."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change without saving it."),
) -> None:
    """Load a newer official list over the installed history and save it for this node."""
    from padis.standards.divisions_update import update_from_file

    summary = update_from_file(file, year=year, complete=not partial, dry_run=dry_run)
    out = Console()
    out.print(f"{summary.path}: {summary.listed} codes, valid from {summary.year}"
              f"{' (partial)' if not summary.complete else ''}"
              f"{f', {summary.skipped_lines} lines without a code skipped' if summary.skipped_lines else ''}",
              highlight=False)
    out.print(f"新增 added: {len(summary.added)}  更名 renamed: {len(summary.renamed)}  "
              f"撤销 ended: {len(summary.ended)}", highlight=False)
    for code, name in list(summary.added.items())[:20]:
        out.print(f"  + {code} {name}", highlight=False)
    for code, (old, new) in list(summary.renamed.items())[:20]:
        out.print(f"  ~ {code} {old} → {new}", highlight=False)
    for code, name in list(summary.ended.items())[:20]:
        heirs = ", ".join(summary.successors.get(code, []))
        out.print(f"  - {code} {name}" + (f" → {heirs}" if heirs else ""), highlight=False)
    if not summary.changed:
        out.print("nothing to change: the installed data already match this list", highlight=False)
    elif dry_run:
        out.print("dry run: nothing saved", highlight=False)
    else:
        from padis.standards.divisions_store import overlay_path

        out.print(f"saved to {overlay_path()}", highlight=False)


@divisions_app.command("info")
@_one_line_errors
def info() -> None:
    """Show where the division data come from and how many codes it holds."""
    from padis.standards.divisions import get_divisions

    registry = get_divisions()
    current = sum(1 for d in registry if d.is_current)
    typer.echo(f"source: {registry.source}")
    typer.echo(f"codes ever used: {len(registry)}; in use now: {current}; "
               f"counties now: {len(registry.counties())}")


def register(standards_app: typer.Typer) -> None:
    """Add ``divisions`` to ``padis standards``."""
    standards_app.add_typer(divisions_app, name="divisions")
