"""Agencies deliver batches over the API: agreement, own agency, division scope, report, quarantine, audit."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from padis.collect.sample import MAPPING, person_frame
from padis.collect.service import collect_file
from padis.exchange.agreements import add_agreement
from padis.exchange.members import add_member

PURPOSE = "population_register"


@pytest.fixture
def deliverer(engine: Engine, world) -> str:  # type: ignore[no-untyped-def]
    """A public-security member whose agreement names ``collect`` for Beijing only; returns its client id."""
    _, secret = add_member(engine, "ps_bj", "public_security", rate_limit=None)
    world.secrets["ps_bj"] = secret
    add_agreement(
        engine,
        "ps_bj",
        services=["collect"],
        fields=["id_number", "name"],
        purposes=[PURPOSE],
        divisions=["110000"],
        legal_basis="test agreement",
    )
    return "ps_bj"


def _extract(n: int = 300, seed: int = 11) -> tuple[pl.DataFrame, bytes, bytes]:
    frame = person_frame(n, seed=seed, bad_fraction=0.05)
    buf = io.BytesIO()
    frame.write_csv(buf)
    return frame, buf.getvalue(), yaml.safe_dump(MAPPING, allow_unicode=True).encode()


def _post(client: TestClient, headers: dict[str, str], data: bytes, mapping: bytes | None, **form: str):  # type: ignore[no-untyped-def]
    files = {"file": ("户籍人口 2024.csv", data, "text/csv")}
    if mapping is not None:
        files["mapping"] = ("mapping.yaml", mapping, "application/yaml")
    return client.post("/api/v1/batches", headers=headers, files=files, data=form)


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("batch", "source_record", "quarantine")
        )


def test_member_delivers_a_batch_in_scope(client, auth, engine, deliverer) -> None:  # type: ignore[no-untyped-def]
    frame, data, mapping = _extract()
    h = auth.client(deliverer, PURPOSE)
    r = _post(client, h, data, mapping)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["agency"] == "public_security" and body["file"] == "户籍人口_2024.csv"
    assert body["rows_read"] == 300 and body["rows_stored"] + body["rows_quarantined"] == 300
    # Rows neither registered nor living in Beijing are quarantined as out of scope.
    beijing = pl.col("HJDQ").str.starts_with("11") | pl.col("XZDQ").str.starts_with("11")
    outside = frame.filter(~beijing).height
    assert 0 < outside < 300 and body["by_reason"]["division:out_of_scope"] == outside
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT registered_division, residence_division FROM source_record WHERE batch_id = :b"),
            {"b": body["batch_id"]},
        ).all()
        name = conn.execute(
            text("SELECT file_name FROM batch WHERE batch_id = :b"), {"b": body["batch_id"]}
        ).scalar_one()
    assert len(stored) == body["rows_stored"] and all(
        r[0].startswith("11") or r[1].startswith("11") for r in stored
    )
    assert name == "ps_bj:户籍人口_2024.csv"
    assert body["register_changes"]  # applied to the register

    after = _counts(engine)
    again = _post(client, h, data, mapping)
    assert again.status_code == 200 and again.json()["already_loaded"] is True
    assert again.json()["batch_id"] == body["batch_id"]
    assert _counts(engine) == after

    listed = client.get("/api/v1/batches", headers=h).json()["batches"]
    assert listed[0]["batch_id"] == body["batch_id"]  # newest first
    assert {b["agency"] for b in listed} == {"public_security"}  # only this agency's batches
    assert all("/" not in b["file"] for b in listed)  # no server folders
    assert listed[0]["file"] == "户籍人口_2024.csv" and listed[0]["rows_read"] == 300
    staff = client.get(
        "/api/v1/batches", headers=auth.staff("steward", "casework"), params={"agency": "hrss"}
    )
    assert staff.status_code == 200 and staff.json()["batches"] == []
    report = client.get(f"/api/v1/batches/{body['batch_id']}", headers=h)
    assert report.status_code == 200 and report.json()["by_reason"] == body["by_reason"]

    xlsx = client.get(f"/api/v1/batches/{body['batch_id']}/quarantine.xlsx", headers=h)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    sheet = book.worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) - 1 == body["rows_quarantined"]
    assert any("不在报送单位授权的行政区划范围内" in str(cell) for row in rows[1:] for cell in row)

    with engine.connect() as conn:
        actions = [
            tuple(r)
            for r in conn.execute(
                text("SELECT action, result, client FROM audit_log WHERE action LIKE 'collect%' ORDER BY seq")
            )
        ]
        logged = " ".join(str(v) for v in conn.execute(text("SELECT request FROM audit_log")).scalars())
    assert actions == [
        ("collect_submit", "ok", "ps_bj"),
        ("collect_submit", "already_loaded", "ps_bj"),
        ("collect_list", "ok", "ps_bj"),
        ("collect_list", "ok", None),  # the steward
        ("collect_report", "ok", "ps_bj"),
        ("collect_quarantine", "ok", "ps_bj"),
    ]
    assert frame["GMSFHM"][0] not in logged and frame["XM"][0] not in logged  # no personal data in the log


def test_refusals_store_nothing(client, auth, engine, deliverer) -> None:  # type: ignore[no-untyped-def]
    _, data, mapping = _extract(50)
    before = _counts(engine)
    # No collect in the agreement.
    r = _post(client, auth.client("civil_affairs_bj", "social_assistance"), data, mapping)
    assert r.status_code == 403 and r.json()["reason"] == "service_not_allowed"
    # A member delivers as its own agency only.
    r = _post(client, auth.client(deliverer, PURPOSE), data, mapping, agency="health")
    assert r.status_code == 403 and r.json()["reason"] == "agency_not_allowed"
    # Purpose outside the agreement.
    r = _post(client, auth.client(deliverer, "marketing"), data, mapping)
    assert r.status_code == 403 and r.json()["reason"] == "purpose_not_allowed"
    # Staff without collect in their role.
    r = _post(client, auth.staff("county", "casework"), data, mapping, agency="public_security")
    assert r.status_code == 403 and r.json()["reason"] == "service_not_allowed"
    # Neither mapping nor record; a mapping for another agency; an unreadable file; too large.
    h = auth.client(deliverer, PURPOSE)
    r = _post(client, h, data, None)
    assert r.status_code == 400 and "mapping" in r.json()["detail"]
    other = yaml.safe_dump({**MAPPING, "agency": "health"}, allow_unicode=True).encode()
    r = _post(client, h, data, other)
    assert r.status_code == 400 and "health" in r.json()["detail"]
    r = _post(client, h, data[: len(data) // 2] + b"\xff\xfe\x81", mapping)
    assert r.status_code == 400
    assert "padis-batch-" not in r.json()["detail"]  # the server's temporary paths stay private
    r = _post(client, h, b"RYBH,GMSFHM\n" + b"P1,1\n" * 50_000, mapping)
    assert r.status_code == 413
    assert _counts(engine) == before


def test_staff_deliver_for_an_agency_and_others_cannot_see_it(client, auth, engine, deliverer) -> None:  # type: ignore[no-untyped-def]
    _, data, mapping = _extract(80, seed=12)
    steward = auth.staff("steward", "casework")
    r = _post(client, steward, data, mapping)
    assert r.status_code == 400 and "agency" in r.json()["detail"]
    r = _post(client, steward, data, mapping, agency="public_security")
    assert r.status_code == 201, r.text
    body = r.json()
    assert "division:out_of_scope" not in body["by_reason"]  # a steward has no division scope
    assert body["rows_stored"] + body["rows_quarantined"] == 80
    batch = body["batch_id"]
    # The public-security member sees its agency's batch; another agency's member does not.
    assert client.get(f"/api/v1/batches/{batch}", headers=auth.client(deliverer, PURPOSE)).status_code == 200
    other = auth.client("civil_affairs_bj", "social_assistance")
    assert client.get(f"/api/v1/batches/{batch}", headers=other).status_code == 403
    assert client.get("/api/v1/batches/999", headers=steward).status_code == 404


def test_record_columns_without_mapping(client, auth, engine, deliverer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame = person_frame(40, seed=13, bad_fraction=0.0).select(
        pl.col("GMSFHM").alias("id_number"),
        pl.col("XM").alias("name"),
        pl.col("XB").replace({"男": "1", "女": "2"}).alias("sex"),
        pl.col("CSRQ").alias("birth_date"),
        pl.col("MZ").alias("ethnicity"),
        pl.col("HYZK").alias("marital_status"),
        pl.col("HKLB").alias("hukou_type"),
        pl.lit("110101").alias("registered_division"),
        pl.lit("active").alias("status"),
    )
    buf = io.BytesIO()
    frame.write_csv(buf)
    r = _post(client, auth.client(deliverer, PURPOSE), buf.getvalue(), None, record="person")
    assert r.status_code == 201, r.text
    assert r.json()["rows_stored"] == 40 and r.json()["record_type"] == "person"


def test_returned_discrepancies_are_pulled_by_the_agency(client, auth, engine, world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """HR & social security delivers other names; staff return them; HRSS pulls the register's answers."""
    from padis.register.conflicts import list_conflicts, resolve_conflicts

    _, secret = add_member(engine, "hrss_bj", "hrss", rate_limit=None)
    world.secrets["hrss_bj"] = secret
    add_agreement(
        engine,
        "hrss_bj",
        services=["collect"],
        fields=["id_number", "name"],
        purposes=[PURPOSE],
        divisions=["110105"],
        legal_basis="test agreement",
    )
    cols = ["id_number", "name", "sex", "birth_date", "ethnicity", "marital_status", "hukou_type"]
    cols += ["registered_division", "status"]
    picked = pl.concat(
        [
            world.persons.filter(pl.col("registered_division") == "110105").head(2),
            world.persons.filter(pl.col("registered_division") == "110108").head(1),
        ]
    )
    sent = picked.select(cols).with_columns(
        pl.col("name") + "某", pl.col("birth_date").cast(pl.String), pl.col("registered_division")
    )
    h = auth.client("hrss_bj", PURPOSE)
    files = {"file": ("hrss.csv", sent.write_csv().encode(), "text/csv")}
    r = client.post("/api/v1/batches", headers=h, files=files, data={"record": "person"})
    assert r.status_code == 201, r.text
    # The 110108 row is outside HRSS's agreement: quarantined, so only the two 110105 names conflict.
    assert r.json()["by_reason"] == {"division:out_of_scope": 1}
    open_ = [c for c in list_conflicts(engine, field="name") if c["other_agency"] == "hrss"]
    assert len(open_) == 2
    resolve_conflicts(engine, [c["conflict_id"] for c in open_], "return", note="请核实姓名", by="steward")
    pulled = client.get("/api/v1/discrepancies", headers=h)
    assert pulled.status_code == 200
    body = pulled.json()
    items = body["discrepancies"]
    assert len(items) == 2 and {i["field"] for i in items} == {"name"}
    truth = dict(zip(picked["id_number"].to_list(), picked["name"].to_list(), strict=True))
    assert sorted(i["register_value"] for i in items) == sorted(truth[k] for k in picked["id_number"][:2])
    assert all(i["your_value"] == i["register_value"] + "某" and i["note"] == "请核实姓名" for i in items)
    assert all(i["batch_id"] == r.json()["batch_id"] for i in items)
    again = client.get("/api/v1/discrepancies", headers=h, params={"cursor": body["next_cursor"]}).json()
    assert again == {"discrepancies": [], "next_cursor": body["next_cursor"]}
    # A returned discrepancy about a person outside HRSS's divisions (collected by staff) is not shown.
    zj = world.persons.filter(pl.col("registered_division") == "330102").head(1).select(cols)
    zj_file = tmp_path / "zj.csv"
    zj.with_columns(pl.col("name") + "某", pl.col("birth_date").cast(pl.String)).write_csv(zj_file)
    collect_file(engine, zj_file, "hrss", record="person")
    late = [c["conflict_id"] for c in list_conflicts(engine, field="name") if c["other_agency"] == "hrss"]
    assert len(late) == 1
    resolve_conflicts(engine, late, "return", by="steward")
    beyond = client.get("/api/v1/discrepancies", headers=h, params={"cursor": body["next_cursor"]}).json()
    assert beyond == {"discrepancies": [], "next_cursor": late[0]}
    # Other members cannot pull them; staff are told that agencies pull their own.
    other = client.get("/api/v1/discrepancies", headers=auth.client("civil_affairs_bj", "social_assistance"))
    assert other.status_code == 403
    staff = client.get("/api/v1/discrepancies", headers=auth.staff("steward", "casework"))
    assert staff.status_code == 400
