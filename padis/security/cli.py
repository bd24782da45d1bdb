"""``padis users`` and ``padis audit``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

console = Console()
users_app = typer.Typer(
    help="工作人员 — staff users, roles, division scope, clearance.", no_args_is_help=True
)
audit_app = typer.Typer(help="审计 — the tamper-evident audit log.", no_args_is_help=True)


def _engine():  # type: ignore[no-untyped-def]
    from padis.security.schema_check import require_current_schema
    from padis.store import get_engine

    return require_current_schema(get_engine())


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(
        ..., "--role", help="administrator, data_steward, county_staff, township_staff, analyst or auditor."
    ),
    division: str | None = typer.Option(None, "--division", help="Division scope (a county user: its code)."),
    clearance: str | None = typer.Option(
        None, "--clearance", help="public/internal/sensitive/secret (default by role)."
    ),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Password (prompted when not given).",
    ),
) -> None:
    """Create a staff user."""
    from padis.security.users import add_user

    u = add_user(_engine(), username, password, role, division=division, clearance=clearance)
    console.print(
        f"[green]user[/] {u.username}: {u.role}, scope {u.division or 'all'}, clearance {u.clearance}"
    )


@users_app.command("list")
def users_list() -> None:
    """List staff users."""
    from padis.security.users import list_users

    table = Table("user", "role", "division", "clearance", "disabled")
    for u in list_users(_engine()):
        table.add_row(u.username, u.role, u.division or "all", u.clearance, "yes" if u.disabled else "")
    console.print(table)


@users_app.command("passwd")
def users_passwd(
    username: str = typer.Argument(..., help="Login name."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="New password (prompted when not given).",
    ),
) -> None:
    """Change a staff user's password."""
    from padis.security.users import set_password

    set_password(_engine(), username, password)
    console.print(f"password of {username} changed")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; report the first edited, inserted or deleted entry (exit 1 if broken)."""
    from padis.security.audit import verify_chain

    report = verify_chain(_engine())
    if report.ok:
        console.print(f"[green]audit chain intact[/]: {report.entries} entries")
        return
    console.print(
        f"[bold red]audit chain broken[/] at seq {report.first_bad_seq}: {report.problem} "
        f"({report.entries} entries verified before it)"
    )
    raise typer.Exit(1)


@audit_app.command("person")
def audit_person(id_number: str = typer.Argument(..., help="公民身份号码 of the person.")) -> None:
    """Who has looked at this person's data, when and why."""
    from sqlalchemy import text

    from padis.errors import InputError
    from padis.security.audit import person_accesses
    from padis.standards.idnumber import check_id, mask_id

    check = check_id(id_number)
    if not check.valid:
        raise InputError("ID number is not valid", where="audit person", why=str(check.error))
    engine = _engine()
    with engine.connect() as conn:
        pid = conn.execute(
            text("SELECT person_id FROM person WHERE id_number = :i"), {"i": check.normalized}
        ).scalar()
    if pid is None:
        console.print(f"{mask_id(check.normalized)}: not in the register")
        return
    rows = person_accesses(engine, int(pid))
    table = Table(
        "seq",
        "time (UTC)",
        "who",
        "user",
        "purpose",
        "action",
        "result",
        title=f"accesses to {mask_id(check.normalized)}",
    )
    for r in rows:
        table.add_row(
            str(r["seq"]),
            str(r["ts"])[:19],
            r["client"] or r["actor"],
            r["user_name"] or "",
            r["purpose"] or "",
            r["action"],
            r["result"],
        )
    console.print(table)
    console.print(f"{len(rows)} access(es)")


@audit_app.command("tail")
def audit_tail(n: int = typer.Option(20, "-n", help="How many entries.")) -> None:
    """The latest audit entries."""
    from padis.security.audit import tail

    table = Table("seq", "time (UTC)", "actor", "client", "user", "purpose", "action", "persons", "result")
    for r in tail(_engine(), n):
        table.add_row(
            str(r["seq"]),
            str(r["ts"])[:19],
            r["actor"],
            r["client"] or "",
            r["user_name"] or "",
            r["purpose"] or "",
            r["action"],
            str(r["person_count"]),
            r["result"],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``users`` and ``audit`` to the main app."""
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
