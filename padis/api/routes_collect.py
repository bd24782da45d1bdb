"""``/api/v1/batches``: an agency delivers a batch file over the exchange and gets its import report.

The same all-or-nothing collection as ``padis collect``: the agreement must name the ``collect``
service; a member delivers as its own agency only; rows outside the agreement's divisions are
quarantined (``division:out_of_scope``). The agreement's fields govern what goes out to a member,
not what comes in: incoming values are weighed by the dictionary's authority rules in the register.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi import Path as FPath
from fastapi.responses import FileResponse
from sqlalchemy import text

from padis.api.common import ERRORS, XLSX, temporary_download
from padis.api.routes_verify import SUFFIXES, UploadTooLarge, save_upload
from padis.api.schemas import BatchBody, BatchListBody, BatchSummary
from padis.collect.quarantine_xlsx import export_batch_workbook
from padis.collect.service import collect_file
from padis.errors import InputError, PadisError
from padis.security.deps import audit, caller, grant_for
from padis.security.policy import PolicyDenied, Principal

router = APIRouter(prefix="/batches", tags=["collect"], responses=ERRORS)
MAPPING_LIMIT = 64 * 1024
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def _agency(principal: Principal, asked: str | None) -> str:
    """The agency the batch is delivered as: a member's own; staff name one."""
    if principal.kind == "client":
        if asked and asked != principal.agency:
            raise PolicyDenied("agency_not_allowed", asked[:32])
        return str(principal.agency)
    if not asked:
        raise InputError(
            "name the agency the batch comes from", where="agency", why="staff deliver for an agency"
        )
    return asked


def _display_name(upload: UploadFile) -> str:
    """The uploaded file's own name, made safe to keep in the batch row and in messages."""
    name = Path(upload.filename or "batch").name
    stem = _UNSAFE.sub("_", Path(name).stem)[:80] or "batch"
    return stem + Path(name).suffix.lower()[:10]


def _save_mapping(upload: UploadFile, work: Path) -> Path:
    data = upload.file.read(MAPPING_LIMIT + 1)
    if len(data) > MAPPING_LIMIT:
        raise UploadTooLarge("mapping too large", where="mapping", why=f"limit {MAPPING_LIMIT} bytes")
    path = work / "mapping.yaml"
    path.write_bytes(data)
    return path


def _without_paths(exc: PadisError, replace: dict[str, str]) -> PadisError:
    """``exc`` with the server's temporary paths replaced by the names the caller sent."""
    for attr in ("what", "where", "why"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            for old, new in replace.items():
                value = value.replace(old, new)
            setattr(exc, attr, value)
    return exc


@router.post("", response_model=BatchBody, status_code=201)
def submit_batch(
    request: Request,
    response: Response,
    file: UploadFile = File(..., description="CSV (UTF-8 or GB18030/GBK), XLSX, JSON Lines or Parquet"),
    mapping: UploadFile | None = File(None, description="Mapping YAML: the agency's columns and codes"),
    record: str | None = Form(
        None, max_length=64, description="Dictionary record, when columns are field names"
    ),
    agency: str | None = Form(None, max_length=32, description="Staff only: the agency delivering"),
    principal: Principal = Depends(caller),
) -> BatchBody:
    """Deliver one batch: stored or quarantined all-or-nothing, then applied (200: delivered before)."""
    grant = grant_for(request, principal, "collect")
    who = _agency(principal, agency)
    if mapping is None and not record:
        raise InputError("send a mapping file or name a record", where="batch", why="mapping or record")
    name = _display_name(file)
    if Path(name).suffix not in SUFFIXES:
        raise InputError(
            f"unsupported file type {Path(name).suffix!r}", where=name, why=", ".join(sorted(SUFFIXES))
        )
    work = Path(tempfile.mkdtemp(prefix="padis-batch-"))
    try:
        path = save_upload(file, request.app.state.max_upload_bytes, work / name)
        mapping_path = _save_mapping(mapping, work) if mapping is not None else None
        report = collect_file(
            request.app.state.engine,
            path,
            who,
            mapping_path=mapping_path,
            record=record,
            scopes=grant.divisions,
            file_name=f"{principal.name}:{name}",
        )
    except PadisError as exc:
        raise _without_paths(
            exc, {str(work / name): name, str(work / "mapping.yaml"): "mapping", str(work): "upload"}
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {
        "batch_id": report.batch_id,
        "agency": who,
        "rows_read": report.rows_read,
        "rows_stored": report.rows_stored,
        "rows_quarantined": report.rows_quarantined,
    }
    audit(request, "collect_submit", summary, None, "already_loaded" if report.already_loaded else "ok")
    if report.already_loaded:
        response.status_code = 200
    return BatchBody(
        batch_id=int(report.batch_id or 0),
        agency=who,
        file=name,
        record_type=report.record_type,
        already_loaded=report.already_loaded,
        rows_read=report.rows_read,
        rows_stored=report.rows_stored,
        rows_quarantined=report.rows_quarantined,
        by_reason=report.by_reason,
        register_changes=report.register,
        notes=report.notes,
    )


def _shown_file(file_name: str) -> str:
    """The file's own name as a member sees it: no server folders (``client:name`` or a path)."""
    return Path(str(file_name).rpartition(":")[2]).name or "batch"


@router.get("", response_model=BatchListBody)
def list_batches(
    request: Request,
    agency: str | None = Query(None, max_length=32, description="Staff only: one agency's batches"),
    limit: int = Query(50, ge=1, le=200),
    principal: Principal = Depends(caller),
) -> BatchListBody:
    """The latest batches of the caller's agency (staff: of every agency, or of ``agency``), newest first."""
    grant_for(request, principal, "collect")
    who = principal.agency if principal.kind == "client" else agency
    sql = (
        "SELECT batch_id, agency, record_type, file_name, rows_read, rows_stored, rows_quarantined,"
        " received_at, parent_batch_id FROM batch"
        + (" WHERE agency = :a" if who else "")
        + " ORDER BY batch_id DESC LIMIT :n"
    )
    with request.app.state.engine.connect() as conn:
        rows = conn.execute(text(sql), {"a": who, "n": limit}).mappings().all()
    audit(request, "collect_list", {"agency": who, "rows": len(rows)}, None, "ok")
    return BatchListBody(
        batches=[
            BatchSummary(
                batch_id=r["batch_id"],
                agency=r["agency"],
                file=_shown_file(r["file_name"]),
                record_type=r["record_type"],
                rows_read=r["rows_read"],
                rows_stored=r["rows_stored"],
                rows_quarantined=r["rows_quarantined"],
                received_at=str(r["received_at"])[:19],
                resubmits=r["parent_batch_id"],
            )
            for r in rows
        ]
    )


def _batch_row(request: Request, principal: Principal, batch_id: int) -> dict:  # type: ignore[type-arg]
    """The batch, when the caller may see it (its agency's member, or staff with ``collect``)."""
    with request.app.state.engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT batch_id, agency, record_type, file_name, rows_read, rows_stored,"
                    " rows_quarantined, report FROM batch WHERE batch_id = :b"
                ),
                {"b": batch_id},
            )
            .mappings()
            .first()
        )
    if row is None or (principal.kind == "client" and row["agency"] != principal.agency):
        raise HTTPException(status_code=404, detail="no such batch")
    return dict(row)


@router.get("/{batch_id}", response_model=BatchBody)
def batch_report(
    request: Request, batch_id: int = FPath(..., ge=1, le=2**31 - 1), principal: Principal = Depends(caller)
) -> BatchBody:
    """The import report of a batch this agency delivered."""
    grant_for(request, principal, "collect")
    row = _batch_row(request, principal, batch_id)
    report = json.loads(row["report"] or "{}")
    audit(request, "collect_report", {"batch_id": batch_id}, None, "ok")
    return BatchBody(
        batch_id=row["batch_id"],
        agency=row["agency"],
        file=_shown_file(row["file_name"]),
        record_type=row["record_type"],
        already_loaded=False,
        rows_read=row["rows_read"],
        rows_stored=row["rows_stored"],
        rows_quarantined=row["rows_quarantined"],
        by_reason=report.get("by_reason", {}),
        register_changes={},
    )


@router.get(
    "/{batch_id}/quarantine.xlsx", response_class=FileResponse, responses={200: {"content": {XLSX: {}}}}
)
def batch_quarantine(
    request: Request, batch_id: int = FPath(..., ge=1, le=2**31 - 1), principal: Principal = Depends(caller)
) -> FileResponse:
    """The batch's quarantined rows as a workbook (reasons in Chinese) to correct and deliver again."""
    grant_for(request, principal, "collect")
    _batch_row(request, principal, batch_id)
    path, rows = export_batch_workbook(request.app.state.engine, batch_id)
    audit(request, "collect_quarantine", {"batch_id": batch_id, "rows": rows}, None, "ok")
    return temporary_download(path)
