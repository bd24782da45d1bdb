"""``/api/v1/verify/jobs``: batch identity verification as a job with progress and downloadable results."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, Depends, File, Request, UploadFile
from fastapi import Path as FPath
from fastapi.responses import FileResponse

from padis.api.common import ERRORS, XLSX
from padis.api.schemas import JobBody
from padis.errors import InputError
from padis.exchange.sources import read_table
from padis.security.deps import audit, caller, grant_for
from padis.security.policy import Principal
from padis.verify.core import normalize_batch
from padis.verify.jobs import create_job, get_job, result_file, run_job

router = APIRouter(prefix="/verify", tags=["verify"], responses=ERRORS)
SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".json", ".jsonl", ".ndjson", ".parquet"}
CHUNK = 1024 * 1024


class UploadTooLarge(InputError):
    """The upload is over the size limit."""


def _save_upload(upload: UploadFile, limit: int) -> Path:
    suffix = Path(upload.filename or "batch.csv").suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"unsupported file type {suffix[:10]!r}",
            where="file",
            why="CSV, TSV, XLSX, JSON Lines or Parquet",
        )
    tmp = Path(tempfile.mkdtemp(prefix="padis-upload-"))
    try:
        return save_upload(upload, limit, tmp / f"batch{suffix}")
    except UploadTooLarge:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def save_upload(upload: UploadFile, limit: int, path: Path) -> Path:
    """Stream ``upload`` to ``path``; UploadTooLarge (and no file) past ``limit`` bytes."""
    size = 0
    with path.open("wb") as out:
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise UploadTooLarge("upload too large", where="file", why=f"limit {limit} bytes")
            out.write(chunk)
    return path


def _job_body(job: dict) -> JobBody:  # type: ignore[type-arg]
    return JobBody(
        job_id=job["job_id"],
        status=job["status"],
        total=job["total"],
        done=job["done"],
        counts=job["counts"],
        error=job["error"],
    )


@router.post("/jobs", response_model=JobBody, status_code=202)
def submit_job(
    request: Request,
    background: BackgroundTasks,
    file: UploadFile = File(...),
    principal: Principal = Depends(caller),
) -> JobBody:
    """Upload a batch (CSV/XLSX/JSON: id_number, name[, birth_date, sex]) → a job id; poll its status."""
    grant = grant_for(request, principal, "verify")
    engine = request.app.state.engine
    path = _save_upload(file, request.app.state.max_upload_bytes)
    try:
        batch = normalize_batch(read_table(path))
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    if batch.height == 0:
        raise InputError("the batch has no rows", where="file")
    job_id = create_job(engine, principal)
    audit(request, "verify_submit", {"job_id": job_id, "rows": batch.height}, None, "accepted")
    background.add_task(_run, request, job_id, batch, grant, principal)
    job = get_job(engine, job_id)
    assert job is not None
    return _job_body(job)


def _run(request: Request, job_id: str, batch, grant, principal) -> None:  # type: ignore[no-untyped-def]
    # The job row records any failure for the poller.
    with contextlib.suppress(Exception):
        run_job(request.app.state.engine, job_id, batch, grant, principal, request.app.state.audit)


def _owned(request: Request, principal: Principal, job_id: str) -> dict:  # type: ignore[type-arg]
    job = get_job(request.app.state.engine, job_id[:64])
    mine = job is not None and (
        (principal.kind == "client" and job["client_id"] == principal.name)
        or (
            principal.kind == "staff"
            and (job["user_name"] == principal.name or principal.role == "administrator")
        )
    )
    if not mine:
        from fastapi import HTTPException

        raise HTTPException(status_code=404, detail="no such job")
    return job  # type: ignore[return-value]


@router.get("/jobs/{job_id}", response_model=JobBody)
def job_status(
    request: Request, job_id: str = FPath(..., max_length=64), principal: Principal = Depends(caller)
) -> JobBody:
    """Status and progress of a job."""
    request.state.action = "verify_status"
    return _job_body(_owned(request, principal, job_id))


@router.get(
    "/jobs/{job_id}/result.csv", response_class=FileResponse, responses={200: {"content": {"text/csv": {}}}}
)
def job_result_csv(
    request: Request, job_id: str = FPath(..., max_length=64), principal: Principal = Depends(caller)
) -> FileResponse:
    """The per-row results as CSV."""
    _owned(request, principal, job_id)
    audit(request, "verify_download", {"job_id": job_id, "format": "csv"}, None, "ok")
    return FileResponse(
        result_file(request.app.state.engine, job_id, "csv"),
        media_type="text/csv",
        filename=f"verify-{job_id}.csv",
    )


@router.get(
    "/jobs/{job_id}/result.xlsx", response_class=FileResponse, responses={200: {"content": {XLSX: {}}}}
)
def job_result_xlsx(
    request: Request, job_id: str = FPath(..., max_length=64), principal: Principal = Depends(caller)
) -> FileResponse:
    """The per-row results as XLSX."""
    _owned(request, principal, job_id)
    audit(request, "verify_download", {"job_id": job_id, "format": "xlsx"}, None, "ok")
    return FileResponse(
        result_file(request.app.state.engine, job_id, "xlsx"),
        media_type=XLSX,
        filename=f"verify-{job_id}.xlsx",
    )
