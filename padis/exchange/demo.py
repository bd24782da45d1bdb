"""Demo step: a member with an agreement, a staff user, query, batch verification, update, audit."""

from __future__ import annotations

import io
import time
import warnings

import polars as pl
from sqlalchemy import text

from padis.demo import DemoContext


def _ensure_persons(ctx: DemoContext, engine) -> int:  # type: ignore[no-untyped-def]
    from padis.exchange.seed import seed_persons

    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT COUNT(*) FROM person")).scalar_one())
    if n:
        return n
    # The register step has not filled the golden records: load the synthetic truth (or make persons).
    truth = ctx.synth_dir / "truth" / "persons.parquet"
    if truth.exists():
        frame = pl.read_parquet(truth).filter(pl.col("id_number").is_not_null())
        frame = frame.with_columns(
            status=pl.when(pl.col("alive")).then(pl.lit("active")).otherwise(pl.lit("deceased"))
        )
    else:
        from padis.exchange.fixtures import make_persons

        frame = make_persons(ctx.persons)
    return seed_persons(engine, frame.unique("id_number"))


def _deliver_batch(c, secret: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Public security delivers a small extract over ``POST /api/v1/batches`` (agreement: Beijing only)."""
    import yaml

    from padis.collect.sample import MAPPING, person_frame

    tok = c.post("/api/v1/auth/token", data={"client_id": "public_security_demo", "client_secret": secret})
    h = {"Authorization": f"Bearer {tok.json()['access_token']}", "X-Purpose": "population_register"}
    buf = io.BytesIO()
    person_frame(200, seed=2026, bad_fraction=0.02).write_csv(buf)
    files = {
        "file": ("户籍人口_演示.csv", buf.getvalue(), "text/csv"),
        "mapping": ("mapping.yaml", yaml.safe_dump(MAPPING, allow_unicode=True).encode(), "application/yaml"),
    }
    r = c.post("/api/v1/batches", headers=h, files=files)
    body = r.json()
    return {
        "status": r.status_code,
        "rows_read": body.get("rows_read", 0),
        "rows_stored": body.get("rows_stored", 0),
        "rows_quarantined": body.get("rows_quarantined", 0),
        "out_of_scope": body.get("by_reason", {}).get("division:out_of_scope", 0),
    }


def demo_step(ctx: DemoContext) -> None:
    """Run the exchange flow through the HTTP API in process and report what happened."""
    with warnings.catch_warnings():
        # Starlette asks for 'httpx2' instead of httpx; the demo's in-process calls work either way,
        # and a user running the demo should not see a library's packaging notice.
        warnings.filterwarnings("ignore", message=".*httpx.*", category=UserWarning)
        from fastapi.testclient import TestClient

    from padis.api.app import create_app
    from padis.exchange.agreements import add_agreement
    from padis.exchange.members import add_member
    from padis.security.audit import verify_chain
    from padis.security.users import add_user
    from padis.store.engine import make_engine
    from padis.store.migrate import upgrade

    engine = make_engine(ctx.database_url)
    upgrade(engine)
    persons = _ensure_persons(ctx, engine)
    with engine.connect() as conn:
        sample = pl.DataFrame(
            conn.execute(
                text(
                    "SELECT id_number, name, birth_date, registered_division FROM person"
                    " WHERE status = 'active' AND id_number IS NOT NULL LIMIT 2000"
                )
            ).all(),
            schema=["id_number", "name", "birth_date", "registered_division"],
            orient="row",
        ).with_columns(pl.col("birth_date").cast(pl.String).str.slice(0, 10))
    provinces = sorted({d[:2] + "0000" for d in sample["registered_division"].drop_nulls()})
    _, secret = add_member(engine, "civil_affairs_demo", "civil_affairs", "民政厅（演示）")
    add_agreement(
        engine,
        "civil_affairs_demo",
        services=["query", "verify", "update", "subscribe"],
        fields=["id_number", "name", "sex", "birth_date", "marital_status", "death_date"],
        purposes=["social_assistance"],
        divisions=provinces,
        legal_basis="社会救助暂行办法",
    )
    add_user(
        engine,
        "demo_county",
        "demo-password-1",
        "county_staff",
        division=str(sample["registered_division"][0]),
    )
    add_user(engine, "demo_steward", "demo-password-2", "data_steward")
    _, ps_secret = add_member(engine, "public_security_demo", "public_security", "公安厅（演示）")
    add_agreement(
        engine,
        "public_security_demo",
        services=["collect"],
        fields=["id_number", "name"],
        purposes=["population_register"],
        divisions=["110000"],
        legal_basis="人口信息采集（演示）",
    )
    app = create_app(ctx.database_url, audit_sync=True)
    with TestClient(app) as c:
        tok = c.post("/api/v1/auth/token", data={"client_id": "civil_affairs_demo", "client_secret": secret})
        h = {"Authorization": f"Bearer {tok.json()['access_token']}", "X-Purpose": "social_assistance"}
        first = sample.row(0, named=True)
        q = c.get("/api/v1/persons", params={"id_number": first["id_number"]}, headers=h)
        denied = c.get(
            "/api/v1/persons",
            params={"id_number": first["id_number"]},
            headers=h | {"X-Purpose": "marketing"},
        )
        staff = c.post("/api/v1/auth/login", json={"username": "demo_county", "password": "demo-password-1"})
        sh = {"Authorization": f"Bearer {staff.json()['access_token']}", "X-Purpose": "household_check"}
        masked = c.get("/api/v1/persons", params={"id_number": first["id_number"]}, headers=sh).json()
        sub = c.post(
            "/api/v1/subscriptions", headers=h, json={"event_types": ["death"], "divisions": provinces}
        )
        batch = sample.select("id_number", "name", "birth_date").with_columns(
            name=pl.when(pl.int_range(pl.len()) % 40 == 1).then(pl.lit("某某")).otherwise(pl.col("name"))
        )
        buf = io.BytesIO()
        batch.write_csv(buf)
        t = time.perf_counter()
        job = c.post(
            "/api/v1/verify/jobs", headers=h, files={"file": ("sample.csv", buf.getvalue(), "text/csv")}
        )
        status = c.get(f"/api/v1/verify/jobs/{job.json()['job_id']}", headers=h).json()
        took = time.perf_counter() - t
        upd = c.post(
            "/api/v1/updates",
            headers=h,
            json={
                "changes": [
                    {"id_number": sample["id_number"][1], "field": "death_date", "value": "2026-11-30"}
                ]
            },
        )
        events = c.get(f"/api/v1/subscriptions/{sub.json()['subscription_id']}/events", headers=h).json()
        delivered = _deliver_batch(c, ps_secret)
    report = verify_chain(engine)
    ctx.report("exchange: register persons", f"{persons:,}")
    ctx.report(
        "exchange: query (agreement)", f"HTTP {q.status_code}, fields {sorted(q.json()['persons'][0])}"
    )
    ctx.report("exchange: wrong purpose", f"HTTP {denied.status_code} {denied.json().get('reason')}")
    shown = masked["persons"][0] if masked.get("persons") else {}
    ctx.report("exchange: county staff sees", f"{shown.get('id_number')} {shown.get('name')}")
    ctx.report(
        "exchange: batch verification", f"{status['total']:,} rows in {took:.2f} s → {status['counts']}"
    )
    ctx.report(
        "exchange: death reported",
        f"{upd.json()['summary']}, subscriber pulled {len(events['events'])} event(s)",
    )
    ctx.report(
        "exchange: batch delivered (API)",
        f"HTTP {delivered['status']}, {delivered['rows_read']} rows: stored {delivered['rows_stored']},"
        f" quarantined {delivered['rows_quarantined']} (outside Beijing {delivered['out_of_scope']})",
    )
    with engine.connect() as conn:
        open_conflicts = conn.execute(
            text("SELECT COUNT(*) FROM conflict WHERE status = 'open'")
        ).scalar_one()
    ctx.report(
        "workbench (padis serve)",
        f"/register/conflicts: {open_conflicts:,} open conflicts; /register/batches — user demo_steward,"
        " password demo-password-2",
    )
    ctx.report("security: audit chain", f"{'intact' if report.ok else 'BROKEN'}, {report.entries} entries")
    ctx.state["exchange_client"] = "civil_affairs_demo"
    engine.dispose()
