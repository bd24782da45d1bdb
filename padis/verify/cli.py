"""``padis verify FILE``: batch identity verification from the command line."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

console = Console()


def verify_cmd(
    file: Path = typer.Argument(..., help="CSV/XLSX/JSON with id_number, name [, birth_date, sex]."),
    out: Path | None = typer.Option(
        None, "--out", help="Result file (.csv or .xlsx; default FILE.result.csv)."
    ),
    purpose: str = typer.Option(
        "identity_verification", "--purpose", help="Why (recorded in the audit log)."
    ),
    as_client: str | None = typer.Option(None, "--as-client", help="Apply this member's agreement (scope)."),
) -> None:
    """Verify every row against the register: match, name/birth date differs, not found, invalid, deceased."""
    from padis.errors import InputError
    from padis.exchange.agreements import load_client
    from padis.exchange.sources import read_table, write_xlsx
    from padis.security.audit import AuditLog, make_entry
    from padis.security.policy import CLI_PRINCIPAL, authorize
    from padis.security.schema_check import require_current_schema
    from padis.store import get_engine
    from padis.verify.core import RESULTS, result_counts, verify_batch
    from padis.verify.jobs import load_register

    engine = require_current_schema(get_engine())
    principal = CLI_PRINCIPAL
    if as_client:
        principal = load_client(engine, as_client) or CLI_PRINCIPAL
        if principal is CLI_PRINCIPAL:
            raise InputError(f"no enabled member {as_client!r}", where="verify --as-client")
    grant = authorize(principal, "verify", purpose=purpose)
    target = out or file.with_name(file.name + ".result.csv")
    if target.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError("--out must end in .csv or .xlsx", where="verify")
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("reading", total=None)
        batch = read_table(file)
        bar.update(task, description="loading register")
        register = load_register(engine)
        bar.update(task, description="verifying", total=batch.height, completed=0)
        scopes = list(grant.divisions) if grant.divisions is not None else None
        result = verify_batch(batch, register, scopes, lambda d, t: bar.update(task, completed=d))
    shown = result.drop("person_id")
    if target.suffix.lower() == ".xlsx":
        write_xlsx(shown, target)
    else:
        shown.write_csv(target)
    counts = result_counts(result)
    AuditLog(engine, sync=True).record(
        make_entry(
            actor="cli",
            client=principal.client,
            user=getpass.getuser(),
            purpose=purpose,
            action="verify",
            request={"file": file.name, "rows": result.height, "counts": counts},
            person_ids=result["person_id"].drop_nulls().to_list(),
            result="ok",
        )
    )
    table = Table("result", "label", "rows")
    for code, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        table.add_row(code, RESULTS.get(code, code), str(n))
    console.print(table)
    console.print(f"{result.height} rows → {target}")


def register(app: typer.Typer) -> None:
    """Add ``verify`` to the main app."""
    app.command("verify")(verify_cmd)
