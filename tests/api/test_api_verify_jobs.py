"""Batch verification through the API: upload, poll, download CSV and XLSX; the audit records the persons."""

from __future__ import annotations

import io

import polars as pl
from openpyxl import load_workbook
from sqlalchemy import text


def test_verify_job_round_trip(client, world, auth, engine):  # type: ignore[no-untyped-def]
    h = auth.client("civil_affairs_bj", "social_assistance")
    sample = world.persons.head(30).select("id_number", "name", pl.col("birth_date").cast(pl.String))
    sample = sample.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("错名")).otherwise(pl.col("name")).alias("name")
    )
    buf = io.BytesIO()
    sample.write_csv(buf)
    r = client.post(
        "/api/v1/verify/jobs", headers=h, files={"file": ("batch.csv", buf.getvalue(), "text/csv")}
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    st = client.get(f"/api/v1/verify/jobs/{job_id}", headers=h).json()
    assert st["status"] == "done" and st["total"] == 30 and st["done"] == 30
    in_scope = world.persons.head(30)["registered_division"].is_in(["110105", "110108"])
    assert sum(st["counts"].values()) == 30
    assert st["counts"].get("out_of_scope", 0) == int((~in_scope).sum())
    csv = client.get(f"/api/v1/verify/jobs/{job_id}/result.csv", headers=h)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    result = pl.read_csv(io.BytesIO(csv.content), infer_schema=False)
    assert result.height == 30 and "person_id" not in result.columns
    first = "name_differs" if in_scope[0] else "out_of_scope"
    assert result["result"][0] == first
    xlsx = client.get(f"/api/v1/verify/jobs/{job_id}/result.xlsx", headers=h)
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 31 and rows[0][0] == "row"
    # Someone else cannot read the job.
    other = auth.client("health_cy", "medical_insurance")
    assert client.get(f"/api/v1/verify/jobs/{job_id}", headers=other).status_code == 404
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT person_count FROM audit_log WHERE action = 'verify' AND result = 'ok'")
        ).scalar()
    assert n == int(in_scope.sum())


def test_mutual_verify_xlsx(client, world, auth):  # type: ignore[no-untyped-def]
    p = world.persons.filter(world.persons["registered_division"] == "110105").row(0, named=True)
    r = client.post(
        "/api/v1/mutual-verify.xlsx",
        headers=auth.client("civil_affairs_bj", "social_assistance"),
        json={"records": [{"id_number": p["id_number"], "name": "别名", "sex": p["sex"]}]},
    )
    assert r.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert rows[1][1] == "name" and rows[1][3] == p["name"] and rows[1][4] == "public_security"
    assert len(rows) == 2
