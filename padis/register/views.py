"""The data steward's workbench in the browser, register pages: the conflict queue (accept / reject /
return with htmx) and one person's golden record with every agency's claims."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi import Path as FPath
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import text

import padis
from padis.errors import InputError
from padis.exchange.members import AGENCIES
from padis.exchange.sources import mask_value, scope_prefix
from padis.register.conflicts import ACTIONS, resolve_conflict, resolve_conflicts
from padis.register.service import person_history, show_person
from padis.security.deps import STEWARDSHIP, audit, require_htmx, require_staff
from padis.security.policy import Principal
from padis.standards import codes
from padis.standards.dictionary import get_dictionary

TEMPLATES = Jinja2Templates(directory=str(Path(padis.__file__).parent / "web" / "templates"))
router = APIRouter(prefix="/register", include_in_schema=False)
steward = require_staff("data_steward")
_audit = partial(audit, purpose=STEWARDSHIP)
PAGE_ROWS = 100
DECISIONS = {"accepted": "已采纳", "rejected": "已驳回", "returned": "已退回"}


def _field_labels() -> dict[str, str]:
    return {f.name: f.label for f in get_dictionary().record("person").fields}


def _shown(field: str, value: str | None, clearance: str) -> str:
    """A value as this user may see it, with its code-table label (``20 已婚``)."""
    if value is None:
        return "—"
    masked = str(mask_value(field, value, clearance))
    definition = next((f for f in get_dictionary().record("person").fields if f.name == field), None)
    if masked == value and definition is not None and definition.code_table:
        label = codes.get_table(str(definition.code_table)).label_of(value)
        return f"{value} {label}" if label else value
    return masked


def _scope_sql(principal: Principal) -> tuple[str, dict[str, Any]]:
    """SQL condition on ``p.registered_division`` for the user's division scope (none: everything)."""
    if not principal.division:
        return "", {}
    return " AND p.registered_division LIKE :scope", {"scope": scope_prefix(principal.division) + "%"}


def _conflicts(
    request: Request,
    principal: Principal,
    *,
    field: str | None = None,
    agency: str | None = None,
    conflict_id: int | None = None,
    person_id: int | None = None,
) -> list[dict[str, Any]]:
    """Conflicts in the user's divisions (open ones, or the one asked for), ready to show."""
    scope, params = _scope_sql(principal)
    where = "c.status = 'open'" if conflict_id is None else "c.conflict_id = :cid"
    params = {
        **params,
        "limit": PAGE_ROWS,
        "cid": conflict_id,
        "field": field,
        "agency": agency,
        "pid": person_id,
    }
    where += " AND c.field = :field" if field else ""
    where += " AND c.other_agency = :agency" if agency else ""
    where += " AND c.person_id = :pid" if person_id is not None else ""
    sql = (
        "SELECT c.conflict_id, c.person_id, c.field, c.golden_value, c.golden_agency, c.other_value,"
        " c.other_agency, c.status, c.resolution, c.resolved_by, c.created_at, p.id_number, p.name,"
        " p.registered_division FROM conflict c JOIN person p ON p.person_id = c.person_id"
        f" WHERE {where}{scope} ORDER BY c.conflict_id LIMIT :limit"
    )
    with request.app.state.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(text(sql), params).mappings()]
    labels, clearance = _field_labels(), principal.clearance
    for r in rows:
        shown_id = mask_value("id_number", r["id_number"], clearance) or "—"
        r["person"] = f"{shown_id} {mask_value('name', r['name'], clearance) or ''}"
        r["field_label"] = labels.get(r["field"], r["field"])
        r["golden_shown"] = _shown(r["field"], r["golden_value"], clearance)
        r["other_shown"] = _shown(r["field"], r["other_value"], clearance)
        r["golden_agency_label"] = AGENCIES.get(r["golden_agency"] or "", r["golden_agency"] or "—")
        r["other_agency_label"] = AGENCIES.get(r["other_agency"], r["other_agency"])
        r["decision"] = DECISIONS.get(r["resolution"] or "", "")
    return rows


def _open_ids(
    request: Request, principal: Principal, *, field: str | None = None, agency: str | None = None
) -> list[int]:
    """Every open conflict in the user's divisions (and filters), oldest first."""
    scope, params = _scope_sql(principal)
    where = "c.status = 'open'" + (" AND c.field = :field" if field else "")
    where += " AND c.other_agency = :agency" if agency else ""
    sql = (
        "SELECT c.conflict_id FROM conflict c JOIN person p ON p.person_id = c.person_id"
        f" WHERE {where}{scope} ORDER BY c.conflict_id"
    )
    with request.app.state.engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(text(sql), {**params, "field": field, "agency": agency})]


@router.get("/conflicts", response_class=HTMLResponse)
def conflicts_page(
    request: Request,
    field: str | None = Query(None, max_length=40),
    agency: str | None = Query(None, max_length=32),
    principal: Principal = Depends(steward),
) -> HTMLResponse:
    """The open conflicts in the user's divisions, oldest first, with a decision per row."""
    labels = _field_labels()
    field = field if field in labels else None
    agency = agency if agency in AGENCIES else None
    rows = _conflicts(request, principal, field=field, agency=agency)
    _audit(request, "conflict_list", {"field": field, "agency": agency, "rows": len(rows)}, None, "ok")
    return TEMPLATES.TemplateResponse(
        request,
        "register/conflicts.html",
        {
            "rows": rows,
            "total": len(_open_ids(request, principal)),
            "matching": len(_open_ids(request, principal, field=field, agency=agency))
            if field or agency
            else 0,
            "field": field,
            "agency": agency,
            "fields": labels,
            "agencies": AGENCIES,
            "user": principal,
        },
    )


# Before /conflicts/{conflict_id}: the first matching route wins.
@router.post("/conflicts/bulk", response_class=HTMLResponse)
def decide_many(
    request: Request,
    action: str = Form(..., max_length=10),
    field: str | None = Form(None, max_length=40),
    agency: str | None = Form(None, max_length=32),
    note: str = Form("", max_length=500),
    principal: Principal = Depends(steward),
) -> HTMLResponse:
    """Reject or return every open conflict of a field and/or agency in the user's divisions at once."""
    require_htmx(request)
    if action not in ("reject", "return") or not (field or agency):
        raise HTTPException(status_code=400, detail="reject or return a set filtered by field or agency")
    ids = _open_ids(request, principal, field=field or None, agency=agency or None)
    persons = resolve_conflicts(
        request.app.state.engine, ids, action, note=note.strip() or None, by=principal.name
    )
    summary = {"action": action, "field": field, "agency": agency, "conflicts": len(ids)}
    _audit(request, "conflict_resolve_bulk", summary, persons, "ok")
    return TEMPLATES.TemplateResponse(
        request,
        "register/_bulk_result.html",
        {"decision": DECISIONS[ACTIONS[action][1]], "conflicts": len(ids), "persons": len(persons)},
    )


@router.post("/conflicts/{conflict_id}", response_class=HTMLResponse)
def decide(
    request: Request,
    conflict_id: int = FPath(..., ge=1, le=2**62),
    action: str = Form(..., max_length=10),
    note: str = Form("", max_length=500),
    principal: Principal = Depends(steward),
) -> HTMLResponse:
    """Settle one conflict; answers the row as it now stands (an htmx fragment)."""
    require_htmx(request)
    if action not in ACTIONS:
        raise HTTPException(status_code=400, detail=f"action must be one of {', '.join(ACTIONS)}")
    found = _conflicts(request, principal, conflict_id=conflict_id)
    if not found:
        raise HTTPException(status_code=404, detail="no such conflict in your divisions")
    error = None
    try:
        resolve_conflict(
            request.app.state.engine, conflict_id, action, note=note.strip() or None, by=principal.name
        )
        audit(
            request,
            "conflict_resolve",
            {"conflict_id": conflict_id, "action": action},
            [found[0]["person_id"]],
            "ok",
        )
    except InputError as exc:
        error = exc.line()
    row = _conflicts(request, principal, conflict_id=conflict_id)[0]
    return TEMPLATES.TemplateResponse(request, "register/_conflict_row.html", {"r": row, "error": error})


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request, person_id: int = FPath(..., ge=1, le=2**62), principal: Principal = Depends(steward)
) -> HTMLResponse:
    """One person: the golden record with each field's source, every agency's claims, open conflicts."""
    scope, params = _scope_sql(principal)
    with request.app.state.engine.connect() as conn:
        found = conn.execute(
            text(f"SELECT 1 FROM person p WHERE p.person_id = :pid{scope}"), {**params, "pid": person_id}
        ).first()
    if found is None:
        raise HTTPException(status_code=404, detail="no such person in your divisions")
    shown = show_person(request.app.state.engine, str(person_id))
    history = person_history(request.app.state.engine, str(person_id))
    labels, clearance = _field_labels(), principal.clearance
    person = shown["person"]
    golden = [
        {
            "label": labels.get(f["field"], f["field"]),
            "value": _shown(f["field"], f["value"], clearance),
            "agency": AGENCIES.get(f["agency"], f["agency"])
            + ("（由公民身份号码推算）" if f["derived"] else ""),
            "record_id": f["record_id"],
            "as_of": str(f["as_of"] or "")[:10],
        }
        for f in shown["fields"]
    ]
    claims = [
        {
            "received_at": str(h["received_at"])[:16],
            "agency": AGENCIES.get(h["agency"], h["agency"]),
            "record": f"{h['record_type']} #{h['record_id']}",
            "event": " ".join(str(v) for v in (h["event_type"], h["event_date"]) if v),
            "says": "；".join(
                f"{labels.get(k, k)} {_shown(k, str(v), clearance)}"
                for k, v in h.items()
                if k in labels and v is not None
            )
            if h["role"] == "subject"
            else "（本人为该记录的关联人，所报的值属于记录主体）",
        }
        for h in history
    ]
    _audit(request, "person_view", {"person_id": person_id}, [person_id], "ok")
    return TEMPLATES.TemplateResponse(
        request,
        "register/person.html",
        {
            "user": principal,
            "person_id": person_id,
            "title": f"{mask_value('id_number', person['id_number'], clearance) or '—'} "
            f"{mask_value('name', person['name'], clearance) or ''}",
            "status": _shown("status", person["status"], clearance),
            "golden": golden,
            "claims": claims,
            "rows": _conflicts(request, principal, person_id=person_id),
        },
    )
