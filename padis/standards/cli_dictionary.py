"""``padis standards dictionary`` and ``padis standards codes``: print the data dictionary and code tables."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.table import Table

from padis.standards import codes, dictionary


class DictFormat(StrEnum):
    """Output formats of the dictionary."""

    markdown = "markdown"
    json = "json"
    yaml = "yaml"


class CodesFormat(StrEnum):
    """Output formats of the code tables."""

    table = "table"
    json = "json"
    yaml = "yaml"


def _dump(data: object, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


def dictionary_command(
    fmt: DictFormat = typer.Option(DictFormat.markdown, "--format", "-f", help="Output format."),
    record: str | None = typer.Option(None, "--record", "-r", help="Print only this record (e.g. person)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the data dictionary: records, fields, code tables, authorities and sensitivities."""
    dic = dictionary.get_dictionary()
    if fmt is DictFormat.markdown:
        text = dictionary.to_markdown(dic, record)
    else:
        data = dic.record(record).to_dict() if record else dic.to_dict()
        text = _dump(data, fmt.value)
    _write(text, output)


def codes_command(
    table: str | None = typer.Argument(None, help="Code table to show; omit to list all tables."),
    fmt: CodesFormat = typer.Option(CodesFormat.table, "--format", "-f", help="Output format."),
) -> None:
    """List the classification code tables, or show the codes, aliases and standard of one."""
    if table is None:
        tables = codes.all_tables()
        if fmt is not CodesFormat.table:
            data = {
                n: {"label": t.label, "standard": t.standard, "edition": t.edition, "codes": len(t)}
                for n, t in tables.items()
            }
            typer.echo(_dump(data, fmt.value), nl=False)
            return
        grid = Table("Table", "名称", "Standard", "Edition", "Codes", title="Code tables")
        for name, t in tables.items():
            grid.add_row(name, t.label, t.standard, t.edition, str(len(t)))
        Console().print(grid)
        return
    code_table = codes.get_table(table)
    if fmt is not CodesFormat.table:
        typer.echo(_dump(code_table.to_dict(), fmt.value), nl=False)
        return
    grid = Table("Code", "名称", "Aliases", "Note", title=f"{code_table.name} — {code_table.label}")
    aliases: dict[str, list[str]] = {}
    for alias, code in code_table.aliases.items():
        aliases.setdefault(code, []).append(alias)
    for code, label in code_table.codes.items():
        note = "deprecated" if code_table.is_deprecated(code) else ""
        grid.add_row(code, label, ", ".join(aliases.get(code, [])), note)
    console = Console()
    console.print(grid)
    console.print(f"Standard: {code_table.standard} (edition {code_table.edition})", highlight=False)
    if code_table.source:
        console.print(code_table.source, highlight=False)


def register(standards_app: typer.Typer) -> None:
    """Add ``dictionary`` and ``codes`` to the ``padis standards`` group."""
    standards_app.command("dictionary")(dictionary_command)
    standards_app.command("codes")(codes_command)
