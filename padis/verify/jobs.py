"""Verification jobs: stored status and progress, results as CSV (XLSX on request)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, text

from padis.errors import InputError, PadisError
from padis.exchange.sources import now_iso, read_table, write_xlsx
from padis.security.audit import AuditLog, make_entry
from padis.security.policy import Grant, Principal
from padis.settings import get_settings
from padis.verify.core import result_counts, verify_batch
from padis.verify.register_cache import REGISTER

XLSX_MAX_ROWS = 1_048_575


def jobs_dir() -> Path:
    """Folder that holds each job's upload and results."""
    return get_settings().home / "verify_jobs"


def create_job(engine: Engine, principal: Principal) -> str:
    """A new queued job owned by ``principal``; returns its id."""
    job_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO verify_job (job_id, client_id, user_name, status, total, done, counts,"
                " created_at)"
                " VALUES (:j, :c, :u, 'queued', 0, 0, '{}', :at)"
            ),
            {"j": job_id, "c": principal.client, "u": principal.user, "at": now_iso()},
        )
    return job_id


def _update(engine: Engine, job_id: str, **values: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE verify_job SET {sets} WHERE job_id = :job_id"), {**values, "job_id": job_id}
        )


def get_job(engine: Engine, job_id: str) -> dict[str, Any] | None:
    """A job's status row (``counts`` decoded), or None."""
    with engine.connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM verify_job WHERE job_id = :j"), {"j": job_id}).mappings().first()
        )
    if row is None:
        return None
    out = dict(row)
    out["counts"] = json.loads(out["counts"] or "{}")
    return out


def load_register(engine: Engine) -> pl.DataFrame:
    """The register's persons, the columns verification needs."""
    return REGISTER.get(engine)


def run_job(
    engine: Engine,
    job_id: str,
    source: Path | pl.DataFrame,
    grant: Grant,
    principal: Principal,
    audit: AuditLog | None = None,
    register: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """Run one job to the end (status ``done`` or ``failed``); returns timings and counts."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    _update(engine, job_id, status="running")
    try:
        batch = read_table(source) if isinstance(source, Path) else source
        timings["read_s"] = time.perf_counter() - t0
        _update(engine, job_id, total=batch.height)
        t1 = time.perf_counter()
        reg = register if register is not None else load_register(engine)
        timings["register_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 0.5 or done == total:
                last[0] = time.perf_counter()
                _update(engine, job_id, done=done)

        scopes = list(grant.divisions) if grant.divisions is not None else None
        result = verify_batch(batch, reg, scopes, progress)
        timings["verify_s"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        out_dir = jobs_dir() / job_id
        out_dir.mkdir(parents=True, exist_ok=True)
        result.drop("person_id").write_csv(out_dir / "result.csv")
        timings["write_s"] = time.perf_counter() - t3
        counts = result_counts(result)
        person_ids = result["person_id"].drop_nulls().to_numpy()
    except PadisError as exc:
        _update(engine, job_id, status="failed", error=exc.line()[:1000], finished_at=now_iso())
        _audit(audit, principal, grant, job_id, [], f"failed:{type(exc).__name__}")
        raise
    except Exception as exc:
        _update(
            engine,
            job_id,
            status="failed",
            error=f"internal error: {type(exc).__name__}",
            finished_at=now_iso(),
        )
        _audit(audit, principal, grant, job_id, [], "error")
        raise
    t4 = time.perf_counter()
    _audit(audit, principal, grant, job_id, person_ids, "ok", counts)
    timings["audit_s"] = time.perf_counter() - t4
    _update(
        engine,
        job_id,
        status="done",
        done=result.height,
        counts=json.dumps(counts),
        result_path=str(out_dir / "result.csv"),
        finished_at=now_iso(),
    )
    timings["total_s"] = time.perf_counter() - t0
    return {"rows": result.height, "counts": counts, **timings}


def _audit(
    audit: AuditLog | None,
    principal: Principal,
    grant: Grant,
    job_id: str,
    person_ids: Any,
    result: str,
    counts: dict[str, int] | None = None,
) -> None:
    if audit is None:
        return
    audit.record(
        make_entry(
            actor=principal.kind,
            client=principal.client,
            user=principal.user,
            purpose=grant.purpose,
            action="verify",
            request={"job_id": job_id, "counts": counts or {}},
            person_ids=person_ids,
            result=result,
        )
    )
    audit.flush()


def result_file(engine: Engine, job_id: str, fmt: str) -> Path:
    """The path of a finished job's result as ``csv`` or ``xlsx`` (XLSX written on first request)."""
    job = get_job(engine, job_id)
    if job is None:
        raise InputError(f"no job {job_id}", where="verify job")
    if job["status"] != "done" or not job["result_path"]:
        raise InputError("job has no result yet", where="verify job", why=f"status {job['status']}")
    csv_path = Path(job["result_path"])
    if fmt == "csv":
        return csv_path
    xlsx = csv_path.with_suffix(".xlsx")
    if not xlsx.exists():
        frame = pl.read_csv(csv_path, infer_schema=False)
        if frame.height > XLSX_MAX_ROWS:
            raise InputError("result too large for one XLSX sheet", where="verify job", why="download CSV")
        write_xlsx(frame, xlsx)
    return xlsx
