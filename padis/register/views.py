"""The data steward's workbench in the browser: the conflict queue (accept / reject / return with htmx)
and the collected batches with their quarantined rows as a workbook to correct in Excel."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as FPath
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import text

import padis
from padis.api.common import temporary_download
from padis.api.routes_verify import save_upload
from padis.collect.quarantine import batch_mapping, resubmit
from padis.collect.quarantine_xlsx import explain, export_batch_workbook, import_workbook
from padis.collect.service import collect_file
from padis.errors import InputError
from padis.exchange.members import AGENCIES
from padis.exchange.sources import mask_value, scope_prefix
from padis.register.conflicts import ACTIONS, resolve_conflict
from padis.register.service import person_history, show_person
from padis.security.deps import audit as audit_request
from padis.security.deps import require_staff
from padis.security.policy import Principal
from padis.standards import codes
from padis.standards.dictionary import get_dictionary

TEMPLATES = Jinja2Templates(directory=str(Path(padis.__file__).parent / "web" / "templates"))
router = APIRouter(prefix="/register", include_in_schema=False)
steward = require_staff("data_steward")
PAGE_ROWS = 100
# Why a steward opens these pages: recorded as the purpose of every workbench audit entry.
PURPOSE = "register_stewardship"
DECISIONS = {"accepted": "已采纳", "rejected": "已驳回", "returned": "已退回"}


def audit(
    request: Request, action: str, summary: dict[str, Any], person_ids: list[int] | None, result: str
) -> None:
    """Audit a workbench action with the stewardship purpose (the "who looked, when, why" trail)."""
    audit_request(request, action, summary, person_ids, result, purpose=PURPOSE)


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


def _from_the_page(request: Request) -> None:
    """403 unless htmx sent the request: a cross-site form cannot set the header (a guard beside SameSite)."""
    if request.headers.get("HX-Request") != "true":
        raise HTTPException(status_code=403, detail="send this from the workbench page")


def _all_divisions(principal: Principal) -> None:
    """403 for staff with a division scope: a batch's rows span divisions beyond it."""
    if principal.division:
        raise HTTPException(status_code=403, detail="a batch's rows span divisions beyond your scope")


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


def _count_open(request: Request, principal: Principal) -> int:
    scope, params = _scope_sql(principal)
    sql = (
        "SELECT COUNT(*) FROM conflict c JOIN person p ON p.person_id = c.person_id"
        f" WHERE c.status = 'open'{scope}"
    )
    with request.app.state.engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


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
    audit(request, "conflict_list", {"field": field, "agency": agency, "rows": len(rows)}, None, "ok")
    return TEMPLATES.TemplateResponse(
        request,
        "register/conflicts.html",
        {
            "rows": rows,
            "total": _count_open(request, principal),
            "field": field,
            "agency": agency,
            "fields": labels,
            "agencies": AGENCIES,
            "user": principal,
        },
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
    _from_the_page(request)
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


@router.get("/batches", response_class=HTMLResponse)
def batches_page(request: Request, principal: Principal = Depends(steward)) -> HTMLResponse:
    """The latest collected batches: rows read, stored and quarantined, and what is still to correct."""
    with request.app.state.engine.connect() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT b.batch_id, b.agency, b.dataset, b.record_type, b.file_name, b.rows_read,"
                    " b.rows_stored, b.rows_quarantined, b.received_at, b.applied_at, b.parent_batch_id,"
                    " (SELECT COUNT(*) FROM quarantine q WHERE q.batch_id = b.batch_id AND q.status = 'open')"
                    " AS open_rows FROM batch b ORDER BY b.batch_id DESC LIMIT :n"
                ),
                {"n": PAGE_ROWS},
            ).mappings()
        ]
        layouts = _layouts(conn)
    records = {name: rec.label for name, rec in get_dictionary().records.items()}
    for r in rows:
        r["agency_label"] = AGENCIES.get(r["agency"], r["agency"])
        r["record_label"] = records.get(r["record_type"], r["record_type"])
        r["file"] = Path(str(r["file_name"]).rpartition(":")[2] or str(r["file_name"])).name
    audit(request, "batch_list", {"rows": len(rows)}, None, "ok")
    return TEMPLATES.TemplateResponse(
        request,
        "register/batches.html",
        {"rows": rows, "user": principal, "can_download": not principal.division, "layouts": layouts},
    )


@router.get("/batches/{batch_id}/quarantine.xlsx")
def quarantine_workbook(
    request: Request, batch_id: int = FPath(..., ge=1, le=2**31 - 1), principal: Principal = Depends(steward)
) -> FileResponse:
    """A batch's open quarantined rows as the workbook ``padis quarantine import`` reads back."""
    _all_divisions(principal)
    try:
        path, rows = export_batch_workbook(request.app.state.engine, batch_id)
    except InputError as exc:
        raise HTTPException(status_code=404, detail=exc.line()) from None
    audit(request, "quarantine_download", {"batch_id": batch_id, "rows": rows}, None, "ok")
    return temporary_download(path)


@router.post("/quarantine/import", response_class=HTMLResponse)
def import_corrections(
    request: Request, workbook: UploadFile = File(...), principal: Principal = Depends(steward)
) -> HTMLResponse:
    """Take a corrected quarantine workbook, record its changed cells and resubmit the fixed rows."""
    _from_the_page(request)
    _all_divisions(principal)
    work = Path(tempfile.mkdtemp(prefix="padis-corrections-"))
    context: dict[str, Any] = {"error": None, "result": None, "reports": []}
    try:
        path = save_upload(workbook, request.app.state.max_upload_bytes, work / "corrections.xlsx")
        result = import_workbook(request.app.state.engine, path)
        context["result"] = result
        for batch in result.by_batch:
            context["reports"] += resubmit(request.app.state.engine, batch_id=int(batch))
    except InputError as exc:
        context["error"] = exc.line().replace(str(work / "corrections.xlsx"), workbook.filename or "workbook")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {
        "rows_fixed": context["result"].rows_fixed if context["result"] else 0,
        "batches": [r.batch_id for r in context["reports"]],
    }
    audit(request, "quarantine_import", summary, None, "ok" if context["error"] is None else "bad_request")
    return TEMPLATES.TemplateResponse(request, "register/_import_result.html", context)


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
            "agency": AGENCIES.get(f["agency"], f["agency"]),
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
    audit(request, "person_view", {"person_id": person_id}, [person_id], "ok")
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


def _delivery_quality(conn: Any) -> list[dict[str, Any]]:
    """Per agency: batches, rows read / stored / quarantined at delivery, still open, top reasons."""
    open_rows = dict(
        conn.execute(
            text("SELECT agency, COUNT(*) FROM quarantine WHERE status = 'open' GROUP BY agency")
        ).all()
    )
    out: dict[str, dict[str, Any]] = {}
    for agency, read, stored, quarantined, report, received in conn.execute(
        text(
            "SELECT agency, rows_read, rows_stored, rows_quarantined, report, received_at FROM batch"
            " WHERE parent_batch_id IS NULL ORDER BY batch_id"
        )
    ):
        row = out.setdefault(
            agency,
            {
                "agency": AGENCIES.get(agency, agency),
                "batches": 0,
                "read": 0,
                "stored": 0,
                "quarantined": 0,
                "reasons": Counter(),
                "last": None,
            },
        )
        row["batches"] += 1
        row["read"] += read
        row["stored"] += stored
        row["quarantined"] += quarantined
        row["reasons"].update(json.loads(report or "{}").get("by_reason", {}))
        row["last"] = str(received)[:16]
    for code, row in out.items():
        row["open"] = int(open_rows.get(code, 0))
        row["rate"] = row["quarantined"] / row["read"] * 100 if row["read"] else 0.0
        row["top"] = [(explain(reason), n) for reason, n in row["reasons"].most_common(3)]
    return sorted(out.values(), key=lambda r: -r["rate"])


@router.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request, principal: Principal = Depends(steward)) -> HTMLResponse:
    """Data quality by agency: how much of each delivery was quarantined and why; open conflicts by field."""
    with request.app.state.engine.connect() as conn:
        deliveries = _delivery_quality(conn)
        pairs = conn.execute(
            text(
                "SELECT field, other_agency, COUNT(*) FROM conflict WHERE status = 'open'"
                " GROUP BY field, other_agency"
            )
        ).all()
    labels = _field_labels()
    agencies = sorted({a for _, a, _ in pairs})
    grid: dict[str, dict[str, int]] = {}
    for field_, agency, n in pairs:
        grid.setdefault(field_, {})[agency] = int(n)
    audit(request, "quality_view", {"agencies": len(deliveries)}, None, "ok")
    return TEMPLATES.TemplateResponse(
        request,
        "register/quality.html",
        {
            "user": principal,
            "deliveries": deliveries,
            "agencies": [(a, AGENCIES.get(a, a)) for a in agencies],
            "grid": sorted(
                ((labels.get(f, f), f, row) for f, row in grid.items()), key=lambda t: -sum(t[2].values())
            ),
        },
    )


def _layouts(conn: Any) -> list[dict[str, Any]]:
    """The file layouts known from earlier batches: the latest batch per agency and dataset."""
    rows = conn.execute(
        text(
            "SELECT b.batch_id, b.agency, b.dataset, b.record_type FROM batch b JOIN (SELECT agency, dataset,"
            " MAX(batch_id) AS last FROM batch WHERE parent_batch_id IS NULL GROUP BY agency, dataset) m"
            " ON m.last = b.batch_id"
            " ORDER BY b.agency, b.dataset"
        )
    ).all()
    records = {name: rec.label for name, rec in get_dictionary().records.items()}

    def label(agency: str, dataset: str, record: str) -> str:
        kind = records.get(record, record)
        return f"{AGENCIES.get(agency, agency)} · {kind}" + (f" {dataset}" if dataset != record else "")

    return [{"batch_id": b, "label": label(a, d, r), "agency": a} for b, a, d, r in rows]


@router.post("/batches/upload", response_class=HTMLResponse)
def upload_batch(
    request: Request,
    file: UploadFile = File(...),
    layout: int = Form(..., ge=1, le=2**31 - 1),
    principal: Principal = Depends(steward),
) -> HTMLResponse:
    """Collect a file an agency handed over (USB, mail) in the layout of one of its earlier batches."""
    _from_the_page(request)
    _all_divisions(principal)
    engine = request.app.state.engine
    name = Path(file.filename or "batch.csv").name[-120:]
    work = Path(tempfile.mkdtemp(prefix="padis-upload-"))
    context: dict[str, Any] = {"error": None, "report": None, "reasons": []}
    try:
        mapping = batch_mapping(engine, layout)
        path = save_upload(file, request.app.state.max_upload_bytes, work / name)
        report = collect_file(
            engine, path, mapping.agency, mapping=mapping, file_name=f"{principal.name}:{name}"
        )
        context["report"] = report
        context["reasons"] = [(explain(r), n) for r, n in report.by_reason.items()]
    except InputError as exc:
        context["error"] = exc.line().replace(str(work / name), name).replace(str(work), "upload")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = context["report"]
    summary = {"layout": layout, "batch_id": report.batch_id if report else None}
    if report:
        summary |= {"rows_read": report.rows_read, "rows_stored": report.rows_stored}
    audit(request, "collect_upload", summary, None, "ok" if report else "bad_request")
    return TEMPLATES.TemplateResponse(request, "register/_upload_result.html", context)
