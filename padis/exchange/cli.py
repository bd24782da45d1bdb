"""``padis members``, ``agreements``, ``query`` and ``exchange``: thin shells over the services."""

from __future__ import annotations

import getpass
import json

import typer
from rich.console import Console
from rich.table import Table

console = Console()
members_app = typer.Typer(
    help="成员单位 — member agencies (API clients) and their credentials.", no_args_is_help=True
)
agreements_app = typer.Typer(
    help="共享协议 — sharing agreements: services, fields, purposes, divisions.", no_args_is_help=True
)
exchange_app = typer.Typer(help="数据交换 — webhook delivery and subscriptions.", no_args_is_help=True)


def _engine():  # type: ignore[no-untyped-def]
    from padis.security.schema_check import require_current_schema
    from padis.store import get_engine

    return require_current_schema(get_engine())


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@members_app.command("add")
def members_add(
    client_id: str = typer.Argument(..., help="Client id, e.g. civil_affairs_330000."),
    agency: str = typer.Option(
        ..., "--agency", help="Agency code: public_security, health, civil_affairs, ..."
    ),
    name: str = typer.Option("", "--name", help="Display name (default: the agency's label)."),
    rate_limit: int | None = typer.Option(None, "--rate-limit", help="Requests per second (default 5000)."),
) -> None:
    """Register a member agency; prints its client secret once."""
    from padis.exchange.members import add_member

    info, secret = add_member(_engine(), client_id, agency, name, rate_limit=rate_limit)
    console.print(f"[green]member[/] {info.client_id} ({info.name}) added")
    console.print(f"client secret (shown once, store it safely): [bold]{secret}[/]")


@members_app.command("list")
def members_list() -> None:
    """List member agencies."""
    from padis.exchange.members import list_members

    table = Table("client_id", "agency", "name", "rate/s", "disabled", "created")
    for m in list_members(_engine()):
        table.add_row(
            m.client_id,
            m.agency,
            m.name,
            str(m.rate_limit or "-"),
            "yes" if m.disabled else "",
            m.created_at[:19],
        )
    console.print(table)


@members_app.command("disable")
def members_disable(
    client_id: str = typer.Argument(..., help="The member to disable."),
    enable: bool = typer.Option(False, "--enable", help="Re-enable instead."),
) -> None:
    """Disable (or re-enable) a member: its tokens stop working."""
    from padis.exchange.members import set_disabled

    set_disabled(_engine(), client_id, not enable)
    console.print(f"{client_id} {'enabled' if enable else 'disabled'}")


@members_app.command("rotate-secret")
def members_rotate(client_id: str = typer.Argument(..., help="The member whose secret to replace.")) -> None:
    """Give a member a new client secret; the old one stops working."""
    from padis.exchange.members import rotate_secret

    secret = rotate_secret(_engine(), client_id)
    console.print(f"new client secret for {client_id} (shown once): [bold]{secret}[/]")


@agreements_app.command("add")
def agreements_add(
    client_id: str = typer.Argument(..., help="The member the agreement is for."),
    services: str = typer.Option(
        ..., "--services", help="Comma list: query,verify,mutual_verify,supplement,update,subscribe."
    ),
    fields: str = typer.Option(..., "--fields", help="Comma list of dictionary person fields."),
    purposes: str = typer.Option(..., "--purposes", help="Comma list of purposes (legal basis codes)."),
    divisions: str = typer.Option(..., "--divisions", help="Comma list of division codes."),
    legal_basis: str = typer.Option("", "--legal-basis", help="The law or document the agreement rests on."),
    valid_from: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD, default today)."),
    valid_to: str | None = typer.Option(None, "--to", help="Last day (YYYY-MM-DD, default open)."),
) -> None:
    """Record a sharing agreement (fields checked against the data dictionary)."""
    from padis.exchange.agreements import add_agreement

    aid = add_agreement(
        _engine(),
        client_id,
        services=_split(services),
        fields=_split(fields),
        purposes=_split(purposes),
        divisions=_split(divisions),
        legal_basis=legal_basis,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    console.print(f"[green]agreement {aid}[/] for {client_id}")


@agreements_app.command("list")
def agreements_list(
    client_id: str | None = typer.Option(None, "--client", help="Only this member's."),
) -> None:
    """List agreements."""
    from padis.exchange.agreements import list_agreements

    table = Table("id", "client", "services", "purposes", "divisions", "valid", "state")
    for a in list_agreements(_engine(), client_id):
        t = a.terms
        table.add_row(
            str(a.agreement_id),
            a.client_id,
            ",".join(sorted(t.services)),
            ",".join(sorted(t.purposes)),
            ",".join(t.divisions),
            f"{t.valid_from}..{t.valid_to or ''}",
            "revoked" if t.revoked else "active",
        )
    console.print(table)


@agreements_app.command("show")
def agreements_show(agreement_id: int = typer.Argument(..., help="Agreement id.")) -> None:
    """Show one agreement in full."""
    from padis.exchange.agreements import get_agreement

    a = get_agreement(_engine(), agreement_id)
    t = a.terms
    console.print_json(
        json.dumps(
            {
                "agreement_id": a.agreement_id,
                "client_id": a.client_id,
                "services": sorted(t.services),
                "fields": sorted(t.fields),
                "purposes": sorted(t.purposes),
                "divisions": list(t.divisions),
                "legal_basis": a.legal_basis,
                "valid_from": t.valid_from,
                "valid_to": t.valid_to,
                "revoked_at": a.revoked_at,
                "created_at": a.created_at,
            },
            ensure_ascii=False,
        )
    )


@agreements_app.command("revoke")
def agreements_revoke(agreement_id: int = typer.Argument(..., help="Agreement id.")) -> None:
    """Revoke an agreement now."""
    from padis.exchange.agreements import revoke_agreement

    revoke_agreement(_engine(), agreement_id)
    console.print(f"agreement {agreement_id} revoked")


def query_cmd(
    id_number: str | None = typer.Option(None, "--id", help="公民身份号码."),
    name: str | None = typer.Option(None, "--name", help="Name (with --birth-date and --division)."),
    birth_date: str | None = typer.Option(None, "--birth-date", help="YYYY-MM-DD."),
    division: str | None = typer.Option(None, "--division", help="Division code."),
    purpose: str = typer.Option(..., "--purpose", help="Why you look (recorded in the audit log)."),
    as_client: str | None = typer.Option(None, "--as-client", help="Apply this member's agreement instead."),
    fields: str | None = typer.Option(None, "--fields", help="Comma list of fields."),
) -> None:
    """Query a person (the same policy, masking and audit as the API)."""
    from padis.errors import InputError
    from padis.exchange.agreements import load_client
    from padis.exchange.query import query_by_id, query_by_name
    from padis.security.audit import AuditLog, make_entry
    from padis.security.policy import CLI_PRINCIPAL, PolicyDenied, authorize

    engine = _engine()
    principal = CLI_PRINCIPAL
    if as_client:
        loaded = load_client(engine, as_client)
        if loaded is None:
            raise InputError(f"no enabled member {as_client!r}", where="query --as-client")
        principal = loaded
    audit = AuditLog(engine, sync=True)
    user = getpass.getuser()
    try:
        grant = authorize(
            principal, "query", purpose=purpose, fields=_split(fields) if fields else None, division=division
        )
        if id_number:
            result = query_by_id(engine, grant, id_number)
        elif name and birth_date and division:
            result = query_by_name(engine, grant, name, birth_date, division)
        else:
            raise InputError("give --id, or --name with --birth-date and --division", where="query")
    except PolicyDenied as exc:
        audit.record(
            make_entry(
                actor="cli",
                client=principal.client,
                user=user,
                purpose=purpose,
                action="query",
                request={"via": "cli"},
                person_ids=None,
                result=f"denied:{exc.reason}",
            )
        )
        raise
    audit.record(
        make_entry(
            actor="cli",
            client=principal.client,
            user=user,
            purpose=purpose,
            action="query",
            request={**result.summary, "via": "cli"},
            person_ids=result.person_ids,
            result="ok",
        )
    )
    if not result.persons:
        console.print("no person found")
    for p in result.persons:
        console.print_json(json.dumps(p, ensure_ascii=False))


@exchange_app.command("deliver")
def deliver_cmd() -> None:
    """Copy new change-feed events to webhook outboxes and try every due delivery once."""
    from padis.exchange.subscriptions import deliver, fan_out, pending

    engine = _engine()
    added = fan_out(engine)
    stats = deliver(engine)
    console.print(
        f"enqueued {added}, delivered {stats['delivered']}, failed {stats['failed']}, "
        f"pending {pending(engine)}"
    )


def register(app: typer.Typer) -> None:
    """Add ``members``, ``agreements``, ``query`` and ``exchange`` to the main app."""
    app.add_typer(members_app, name="members")
    app.add_typer(agreements_app, name="agreements")
    app.add_typer(exchange_app, name="exchange")
    app.command("query")(query_cmd)
