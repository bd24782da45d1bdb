"""The data steward's workbench in the browser, collection pages (beside the register's under /register):
the latest batches, a handed-over file collected in a known layout, quarantined rows out to Excel and back,
and data quality by agency."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
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
from padis.security.deps import STEWARDSHIP, audit, require_htmx, require_staff
from padis.security.policy import Principal
from padis.standards.dictionary import get_dictionary

TEMPLATES = Jinja2Templates(directory=str(Path(padis.__file__).parent / "web" / "templates"))
router = APIRouter(prefix="/register", include_in_schema=False)
steward = require_staff("data_steward")
_audit = partial(audit, purpose=STEWARDSHIP)
PAGE_ROWS = 100


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
    _audit(request, "batch_list", {"rows": len(rows)}, None, "ok")
    return TEMPLATES.TemplateResponse(
        request,
        "register/batches.html",
        {"rows": rows, "user": principal, "layouts": layouts},
    )


@router.get("/batches/{batch_id}/quarantine.xlsx")
def quarantine_workbook(
    request: Request, batch_id: int = FPath(..., ge=1, le=2**31 - 1), principal: Principal = Depends(steward)
) -> FileResponse:
    """A batch's open quarantined rows as the workbook ``padis quarantine import`` reads back."""
    try:
        path, rows = export_batch_workbook(request.app.state.engine, batch_id, scope=principal.division)
    except InputError as exc:
        raise HTTPException(status_code=404, detail=exc.line()) from None
    _audit(request, "quarantine_download", {"batch_id": batch_id, "rows": rows}, None, "ok")
    return temporary_download(path)


@router.post("/quarantine/import", response_class=HTMLResponse)
def import_corrections(
    request: Request, workbook: UploadFile = File(...), principal: Principal = Depends(steward)
) -> HTMLResponse:
    """Take a corrected quarantine workbook, record its changed cells and resubmit the fixed rows."""
    require_htmx(request)
    work = Path(tempfile.mkdtemp(prefix="padis-corrections-"))
    context: dict[str, Any] = {"error": None, "result": None, "reports": []}
    try:
        path = save_upload(workbook, request.app.state.max_upload_bytes, work / "corrections.xlsx")
        result = import_workbook(request.app.state.engine, path, scope=principal.division)
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
    _audit(request, "quarantine_import", summary, None, "ok" if context["error"] is None else "bad_request")
    return TEMPLATES.TemplateResponse(request, "register/_import_result.html", context)


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
    require_htmx(request)
    engine = request.app.state.engine
    name = Path(file.filename or "batch.csv").name[-120:]
    work = Path(tempfile.mkdtemp(prefix="padis-upload-"))
    context: dict[str, Any] = {"error": None, "report": None, "reasons": []}
    try:
        mapping = batch_mapping(engine, layout)
        path = save_upload(file, request.app.state.max_upload_bytes, work / name)
        # A county steward collects their divisions' rows; the rest is quarantined as out of scope.
        scopes = (principal.division,) if principal.division else None
        report = collect_file(
            engine, path, mapping.agency, mapping=mapping, file_name=f"{principal.name}:{name}", scopes=scopes
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
    _audit(request, "collect_upload", summary, None, "ok" if report else "bad_request")
    return TEMPLATES.TemplateResponse(request, "register/_upload_result.html", context)


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
    labels = {f.name: f.label for f in get_dictionary().record("person").fields}
    agencies = sorted({a for _, a, _ in pairs})
    grid: dict[str, dict[str, int]] = {}
    for field_, agency, n in pairs:
        grid.setdefault(field_, {})[agency] = int(n)
    _audit(request, "quality_view", {"agencies": len(deliveries)}, None, "ok")
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
