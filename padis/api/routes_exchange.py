"""``/api/v1``: mutual verification, supplementation, updates and subscriptions."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as FPath
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from padis.api.common import ERRORS, XLSX
from padis.api.schemas import (
    ChangeOut,
    ChangesBody,
    ChangesIn,
    DiscrepanciesBody,
    EventsBody,
    MutualBody,
    RecordsIn,
    SubscriptionBody,
    SubscriptionIn,
    SupplementBody,
)
from padis.errors import InputError
from padis.exchange.mutual import mutual_verify
from padis.exchange.signing import webhook_secret
from padis.exchange.sources import write_xlsx
from padis.exchange.subscriptions import get_subscription, pull, subscribe
from padis.exchange.supplement import supplement
from padis.exchange.update import UPDATABLE, apply_changes, changes_from_json, summary
from padis.register.conflicts import returned_to
from padis.security.deps import audit, caller, grant_for
from padis.security.policy import Principal

router = APIRouter(tags=["exchange"], responses=ERRORS)


def _frame(body: RecordsIn) -> pl.DataFrame:
    columns = list(dict.fromkeys(k for r in body.records for k in r))
    return pl.DataFrame(
        [{c: r.get(c) for c in columns} for r in body.records], schema=dict.fromkeys(columns, pl.String)
    )


def _requested(frame: pl.DataFrame) -> list[str]:
    from padis.exchange.records import record_fields

    return record_fields(frame)


@router.post("/mutual-verify", response_model=MutualBody)
def mutual(request: Request, body: RecordsIn, principal: Principal = Depends(caller)) -> MutualBody:
    """Per record and field: each discrepancy with the register and the field's authoritative source."""
    frame = _frame(body)
    grant = grant_for(request, principal, "mutual_verify", fields=_requested(frame) or None)
    result = mutual_verify(request.app.state.engine, grant, frame)
    audit(
        request,
        "mutual_verify",
        {"records": result.records, "discrepancies": result.discrepancies.height},
        result.person_ids,
        "ok",
    )
    return MutualBody(
        records=result.records, matched=result.matched, discrepancies=result.discrepancies.to_dicts()
    )  # type: ignore[arg-type]


@router.post("/mutual-verify.xlsx", response_class=FileResponse, responses={200: {"content": {XLSX: {}}}})
def mutual_xlsx(request: Request, body: RecordsIn, principal: Principal = Depends(caller)) -> FileResponse:
    """The same as ``/mutual-verify``, as an XLSX download."""
    frame = _frame(body)
    grant = grant_for(request, principal, "mutual_verify", fields=_requested(frame) or None)
    result = mutual_verify(request.app.state.engine, grant, frame)
    audit(request, "mutual_verify", {"records": result.records, "format": "xlsx"}, result.person_ids, "ok")
    path = Path(tempfile.mkstemp(suffix=".xlsx", prefix="padis-mutual-")[1])
    write_xlsx(result.discrepancies, path, sheet="差异")
    return FileResponse(
        path,
        media_type=XLSX,
        filename="mutual-verify.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.post("/supplement", response_model=SupplementBody)
def supplement_records(
    request: Request, body: RecordsIn, principal: Principal = Depends(caller)
) -> SupplementBody:
    """Fill the empty fields of the records from the register, within the agreement."""
    frame = _frame(body)
    grant = grant_for(request, principal, "supplement", fields=_requested(frame) or None)
    result = supplement(request.app.state.engine, grant, frame)
    audit(
        request,
        "supplement",
        {"records": result.records.height, "filled": result.filled},
        result.person_ids,
        "ok",
    )
    return SupplementBody(filled=result.filled, records=result.records.to_dicts())


@router.post("/updates", response_model=ChangesBody)
def push_updates(request: Request, body: ChangesIn, principal: Principal = Depends(caller)) -> ChangesBody:
    """An agency pushes field changes: applied when it is the field's authority, else a conflict."""
    fields = sorted({c.field for c in body.changes if c.field in UPDATABLE}) or None
    grant = grant_for(request, principal, "update", fields=fields)
    agency = principal.agency or "staff"
    outcomes = apply_changes(
        request.app.state.engine,
        agency,
        grant,
        changes_from_json([c.model_dump() for c in body.changes]),
        client=f"{principal.kind}:{principal.name}",
    )
    ids = [o.person_id for o in outcomes if o.person_id is not None]
    audit(request, "update", {"changes": len(outcomes), "summary": summary(outcomes)}, ids, "ok")
    return ChangesBody(
        outcomes=[
            ChangeOut(index=o.index, outcome=o.outcome, event_id=o.event_id, detail=o.detail)
            for o in outcomes
        ],
        summary=summary(outcomes),
    )


@router.post("/subscriptions", response_model=SubscriptionBody, status_code=201)
def create_subscription(
    request: Request, body: SubscriptionIn, principal: Principal = Depends(caller)
) -> SubscriptionBody:
    """Subscribe to change types (death, move, marriage, birth) in divisions; optional webhook URL.

    A webhook subscription's answer carries its ``webhook_secret`` (this once): every delivery is signed
    with it in ``X-Padis-Signature`` (``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``);
    reject a delivery whose signature does not match or whose ``t`` is more than 5 minutes off.
    """
    grant = grant_for(request, principal, "subscribe")
    sub = subscribe(
        request.app.state.engine, principal.name, grant, body.event_types, body.divisions, body.webhook_url
    )
    audit(
        request, "subscribe", {"subscription_id": sub.subscription_id, "types": body.event_types}, None, "ok"
    )
    return SubscriptionBody(
        subscription_id=sub.subscription_id,
        event_types=list(sub.event_types),
        divisions=list(sub.divisions),
        webhook_url=sub.webhook_url,
        webhook_secret=webhook_secret(sub.subscription_id) if sub.webhook_url else None,
    )


@router.get("/subscriptions/{subscription_id}/events", response_model=EventsBody)
def pull_events(
    request: Request,
    subscription_id: int = FPath(..., ge=1, le=2**53),
    cursor: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
    principal: Principal = Depends(caller),
) -> EventsBody:
    """Events after ``cursor`` (each with an ``event_id`` for de-duplication) and the next cursor."""
    grant_for(request, principal, "subscribe")
    sub = get_subscription(request.app.state.engine, subscription_id, principal.name)
    events, nxt = pull(request.app.state.engine, sub, cursor, limit)
    audit(
        request,
        "pull_events",
        {"subscription_id": subscription_id, "cursor": cursor, "events": len(events)},
        None,
        "ok",
    )
    return EventsBody(events=events, next_cursor=nxt)


@router.get("/discrepancies", response_model=DiscrepanciesBody)
def pull_discrepancies(
    request: Request,
    cursor: int = Query(0, ge=0, le=2**62),
    limit: int = Query(500, ge=1, le=5000),
    principal: Principal = Depends(caller),
) -> DiscrepanciesBody:
    """The register's answers to this agency's disagreeing values that staff returned for checking.

    Each names the agency's own record (key, batch, row), its value and the register's value and source;
    the register's value only for fields the agreement covers, and only for persons in its divisions.
    """
    grant = grant_for(request, principal, "collect")
    if principal.kind != "client":
        raise InputError("discrepancies are pulled by the agency they were returned to", where="caller")
    rows = returned_to(request.app.state.engine, str(principal.agency), after=cursor, limit=limit)
    nxt = rows[-1]["conflict_id"] if rows else cursor
    shown = [r for r in rows if grant.covers(r["registered_division"])]
    items = [
        {
            "discrepancy_id": r["conflict_id"],
            "source_key": r["source_key"],
            "batch_id": r["batch_id"],
            "row_number": r["row_number"],
            "field": r["field"],
            "your_value": r["your_value"],
            "register_value": r["register_value"] if r["field"] in grant.fields else None,
            "register_source": r["register_source"],
            "note": r["note"],
            "returned_at": str(r["resolved_at"])[:19],
        }
        for r in shown
    ]
    persons = [int(r["person_id"]) for r in shown if r["field"] in grant.fields]
    audit(request, "pull_discrepancies", {"cursor": cursor, "items": len(items)}, persons, "ok")
    return DiscrepanciesBody(discrepancies=items, next_cursor=nxt)
