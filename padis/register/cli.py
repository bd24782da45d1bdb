"""``padis register``: golden records, history, conflicts, rebuild and the change feed."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from padis.errors import InputError

console = Console()
register_app = typer.Typer(
    help="人口登记 The person register: golden records, conflicts, change feed.", no_args_is_help=True
)


@register_app.command("show")
def show_cmd(
    ident: str = typer.Argument(..., help="Identity number or person id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """查看 Show a person's golden record with the source of every field."""
    from padis.register.service import show_person
    from padis.store import get_engine

    data = show_person(get_engine(), ident)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
        return
    p = data["person"]
    table = Table(title=f"人员 person {p['person_id']} — {p['status']}")
    for col in ("field", "value", "agency", "record", "as of"):
        table.add_column(col)
    for f in data["fields"]:
        source = f"{f['agency']} (from the identity number)" if f.get("derived") else f["agency"]
        table.add_row(f["field"], str(f["value"]), source, str(f["record_id"]), str(f["as_of"] or ""))
    console.print(table)
    if data["conflicts"]:
        console.print(
            f"[yellow]{len(data['conflicts'])} open conflict(s)[/]: `padis register conflicts --person ...`"
        )


@register_app.command("history")
def history_cmd(
    ident: str = typer.Argument(..., help="Identity number or person id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """历史 Who said what about a person, and when (every source record)."""
    from padis.register.service import person_history
    from padis.store import get_engine

    rows = person_history(get_engine(), ident)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table(title=f"历史 history ({len(rows)} records)")
    for col in ("received", "agency", "record", "batch/row", "event", "says"):
        table.add_column(col)
    skip = {
        "record_id",
        "agency",
        "record_type",
        "batch_id",
        "file_name",
        "row_number",
        "received_at",
        "role",
        "event_date",
        "event_type",
        "id_number",
        "name",
    }
    for r in rows:
        says = ", ".join(f"{k}={v}" for k, v in r.items() if k not in skip and v is not None)
        table.add_row(
            str(r["received_at"])[:19],
            r["agency"],
            r["record_type"] + (" (second party)" if r["role"] != "subject" else ""),
            f"{r['batch_id']}/{r['row_number']}",
            f"{r['event_type'] or ''} {r['event_date'] or ''}".strip(),
            says,
        )
    console.print(table)


def _operator() -> str:
    """Who runs this command, as kept with a decision (``cli:<login>``)."""
    import getpass

    try:
        return "cli:" + getpass.getuser()[:60]
    except (KeyError, OSError):  # no login name in this environment (a container without passwd)
        return "cli"


@register_app.command("conflicts")
def conflicts_cmd(
    resolve: int | None = typer.Option(None, "--resolve", help="Conflict id to settle."),
    accept: bool = typer.Option(False, "--accept", help="Take the other agency's value."),
    reject: bool = typer.Option(False, "--reject", help="Keep the golden value."),
    return_: bool = typer.Option(False, "--return", help="Send back to the other agency as a discrepancy."),
    note: str | None = typer.Option(None, "--note", help="Why (kept with the decision)."),
    status: str = typer.Option("open", "--status", help="open, resolved, returned or all."),
    field: str | None = typer.Option(None, "--field", help="Only this field."),
    agency: str | None = typer.Option(None, "--agency", help="Only values from this agency."),
    all_: bool = typer.Option(
        False,
        "--all",
        help="Settle every open conflict matching --field/--agency (with --reject or --return).",
    ),
    limit: int = typer.Option(50, "--limit", help="At most this many."),
) -> None:
    """冲突 List conflicts between agencies, or settle one (--resolve ID) or many (--all)."""
    from padis.register.conflicts import list_conflicts, resolve_conflict, resolve_conflicts
    from padis.store import get_engine

    engine = get_engine()
    chosen = [a for a, flag in (("accept", accept), ("reject", reject), ("return", return_)) if flag]
    if resolve is not None or all_:
        where = f"--resolve {resolve}" if resolve is not None else "--all"
        if len(chosen) != 1:
            raise InputError("give exactly one of --accept, --reject, --return", where=where)
    if resolve is not None:
        result = resolve_conflict(engine, resolve, chosen[0], note=note, by=_operator())
        console.print(f"conflict {resolve}: [green]{result['resolution']}[/]")
        return
    if all_:
        if not (field or agency) or chosen[0] == "accept":
            raise InputError(
                "--all settles a filtered set by --reject or --return",
                where="--all",
                why="name --field and/or --agency; accept values one by one (--resolve ID --accept)",
            )
        ids = [c["conflict_id"] for c in list_conflicts(engine, field=field, agency=agency, limit=10**9)]
        persons = resolve_conflicts(engine, ids, chosen[0], note=note, by=_operator())
        console.print(f"{len(ids):,} conflicts ({len(persons):,} persons): [green]{chosen[0]}[/]")
        return
    if status not in ("open", "resolved", "returned", "all"):
        raise InputError(
            f"unknown status {status!r}", where="--status", why="open, resolved, returned or all"
        )
    rows = list_conflicts(
        engine, status=None if status == "all" else status, field=field, agency=agency, limit=limit
    )
    table = Table(title=f"冲突 conflicts ({len(rows)})")
    for col in ("id", "person", "field", "golden (agency)", "other (agency)", "status"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["conflict_id"]),
            str(r["person_id"]),
            r["field"],
            f"{r['golden_value']} ({r['golden_agency']})",
            f"{r['other_value']} ({r['other_agency']})",
            r["status"],
        )
    console.print(table)


@register_app.command("discrepancies")
def discrepancies_cmd(
    agency: str = typer.Option(..., "--agency", help="Agency the discrepancies go back to."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """差异 Export the conflicts returned to one agency as CSV."""
    from padis.register.conflicts import export_discrepancies
    from padis.store import get_engine

    n = export_discrepancies(get_engine(), agency, out)
    console.print(f"{n} discrepancies for {agency} → {out}")


@register_app.command("rebuild")
def rebuild_cmd() -> None:
    """重建 Resolve identities and rebuild every golden record."""
    from padis.register.service import rebuild_all
    from padis.store import get_engine

    with console.status("rebuilding golden records…"):
        stats = rebuild_all(get_engine())
    console.print(", ".join(f"{k}: {v:,}" for k, v in stats.items()))


@register_app.command("feed")
def feed_cmd(
    after: int = typer.Option(0, "--after", help="Cursor: show events after this seq."),
    limit: int = typer.Option(20, "--limit", help="At most this many."),
    event_type: list[str] = typer.Option([], "--type", help="Only these event types (repeat)."),
    division: list[str] = typer.Option(
        [], "--division", help="Only these divisions (province/prefecture covers)."
    ),
) -> None:
    """变更 Read the change feed from a cursor."""
    from padis.register.feed import read_feed
    from padis.store import get_engine

    events = read_feed(get_engine(), after, limit, event_type or None, division or None)
    table = Table(title=f"变更 change feed after {after}")
    for col in ("seq", "event", "person", "division", "date"):
        table.add_column(col)
    for e in events:
        table.add_row(
            str(e.seq), e.event_type, str(e.person_id), str(e.division or ""), str(e.event_date or "")
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``padis register`` to the main app."""
    app.add_typer(register_app, name="register")
