"""The steward's workbench on the real app (padis.register.views and padis.collect.views): conflicts, persons,
batches, quarantine round trip, handed-over files, data quality."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from padis.collect.service import collect_file
from padis.register.conflicts import list_conflicts
from padis.register.service import show_person
from padis.security.audit import person_accesses
from padis.security.users import add_user

from .conftest import write_csv

PASSWORD = "workbench-pass-1"


@pytest.fixture
def app_client(db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, people):  # type: ignore[no-untyped-def]
    """The app on a register with two name conflicts and a quarantined row; three staff users."""
    monkeypatch.setenv("PADIS_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("PADIS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    from padis.settings import get_settings

    get_settings.cache_clear()
    collect_file(engine, write_csv(tmp_path, "ps", people), "public_security", record="person")
    others = [{**people[0], "name": "王二"}, {**people[1], "name": "李四"}, {**people[2], "id_number": "123"}]
    collect_file(engine, write_csv(tmp_path, "hrss", others), "hrss", record="person")
    add_user(engine, "steward1", PASSWORD, "data_steward")
    add_user(engine, "steward_sh", PASSWORD, "data_steward", division="310000")
    add_user(engine, "steward_bj", PASSWORD, "data_steward", division="110000")
    add_user(engine, "county1", PASSWORD, "county_staff", division="110101")
    add_user(engine, "steward_low", PASSWORD, "data_steward", clearance="internal")
    from padis.api.app import create_app

    with TestClient(create_app(db_url, audit_sync=True)) as client:
        yield client
    get_settings.cache_clear()


def _login(client: TestClient, user: str) -> None:
    client.cookies.clear()
    r = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "next": "/register/conflicts"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/register/conflicts", r.text


def test_steward_settles_conflicts_in_the_browser(app_client: TestClient, engine: Engine, people) -> None:  # type: ignore[no-untyped-def]
    _login(app_client, "steward1")
    page = app_client.get("/register/conflicts")
    assert page.status_code == 200
    html = page.text
    assert "部门间数据冲突" in html and "待处理 2 条" in html
    assert "王二" in html and "李四" in html and "人力资源和社会保障" in html and "公安" in html
    assert people[0]["id_number"] in html  # a steward's clearance (sensitive) shows them in clear
    ids = {c["other_value"]: c["conflict_id"] for c in list_conflicts(engine)}

    # Without htmx's header (a cross-site form, say) nothing is decided.
    plain = app_client.post(f"/register/conflicts/{ids['王二']}", data={"action": "accept"})
    assert plain.status_code == 403 and len(list_conflicts(engine)) == 2

    hx = {"HX-Request": "true"}
    r = app_client.post(
        f"/register/conflicts/{ids['王二']}", data={"action": "accept", "note": "派出所核实"}, headers=hx
    )
    assert r.status_code == 200 and "已采纳" in r.text and "steward1" in r.text
    assert show_person(engine, people[0]["id_number"])["person"]["name"] == "王二"
    r = app_client.post(f"/register/conflicts/{ids['李四']}", data={"action": "return"}, headers=hx)
    assert "已退回" in r.text
    again = app_client.post(f"/register/conflicts/{ids['李四']}", data={"action": "accept"}, headers=hx)
    assert again.status_code == 200 and "not open" in again.text  # said in the row, nothing changed
    assert show_person(engine, people[1]["id_number"])["person"]["name"] == "李娜"
    with engine.connect() as conn:
        decided = conn.execute(
            text("SELECT resolution, resolved_by, note FROM conflict ORDER BY conflict_id")
        ).all()
        audited = conn.execute(
            text("SELECT COUNT(*) FROM audit_log WHERE action = 'conflict_resolve' AND result = 'ok'")
        ).scalar_one()
    assert [tuple(d) for d in decided] == [
        ("accepted", "steward1", "派出所核实"),
        ("returned", "steward1", None),
    ]
    assert audited == 2
    assert "没有待处理的冲突" in app_client.get("/register/conflicts").text


def test_values_are_masked_below_the_fields_sensitivity(app_client: TestClient, people) -> None:  # type: ignore[no-untyped-def]
    _login(app_client, "steward_low")
    html = app_client.get("/register/conflicts").text
    assert "待处理 2 条" in html
    assert people[0]["id_number"] not in html and people[0]["id_number"][:6] + "********" in html
    assert "王二" not in html and "王*" in html


def test_scope_roles_and_login(app_client: TestClient, engine: Engine) -> None:
    for page in ("/register/conflicts", "/register/review"):
        assert app_client.get(page, follow_redirects=False).status_code == 303  # to /login
    _login(app_client, "county1")
    assert app_client.get("/register/conflicts").status_code == 403
    assert app_client.get("/register/review").status_code == 403
    relink = app_client.post("/register/review/relink", headers={"HX-Request": "true"})
    assert relink.status_code == 403
    _login(app_client, "steward_sh")  # Shanghai's steward: the Beijing conflicts are not theirs
    page = app_client.get("/register/conflicts")
    assert page.status_code == 200 and "待处理 0 条" in page.text
    cid = list_conflicts(engine)[0]["conflict_id"]
    r = app_client.post(
        f"/register/conflicts/{cid}", data={"action": "accept"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 404 and len(list_conflicts(engine)) == 2
    assert app_client.get("/register/batches/2/quarantine.xlsx").status_code == 404  # none in Shanghai


def test_batches_and_quarantine_workbook(app_client: TestClient, engine: Engine) -> None:
    _login(app_client, "steward1")
    page = app_client.get("/register/batches")
    assert page.status_code == 200
    assert "hrss.csv" in page.text and "人力资源和社会保障" in page.text and "下载隔离数据" in page.text
    with engine.connect() as conn:
        batch = conn.execute(text("SELECT batch_id FROM batch WHERE agency = 'hrss'")).scalar_one()
    book = app_client.get(f"/register/batches/{batch}/quarantine.xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content), read_only=True).worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and "公民身份号码" in str(rows[1])  # the bad identity number, explained in Chinese
    assert app_client.get("/register/batches/999/quarantine.xlsx").status_code == 404


def test_the_dashboard_links_stewards_to_the_workbench(app_client: TestClient) -> None:
    _login(app_client, "steward1")
    page = app_client.get("/stats")
    assert page.status_code == 200 and 'href="/register/conflicts"' in page.text


def test_corrected_workbook_is_uploaded_and_resubmitted(
    app_client: TestClient, engine: Engine, people
) -> None:  # type: ignore[no-untyped-def]
    _login(app_client, "steward1")
    with engine.connect() as conn:
        batch = conn.execute(text("SELECT batch_id FROM batch WHERE agency = 'hrss'")).scalar_one()
    book = load_workbook(io.BytesIO(app_client.get(f"/register/batches/{batch}/quarantine.xlsx").content))
    sheet = book.worksheets[1]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("id_number") + 1, value=people[2]["id_number"])
    fixed = io.BytesIO()
    book.save(fixed)
    files = {"workbook": ("修正.xlsx", fixed.getvalue(), "application/octet-stream")}
    assert app_client.post("/register/quarantine/import", files=files).status_code == 403  # not from the page
    r = app_client.post("/register/quarantine/import", files=files, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "修正 1 行" in r.text and "入库 1 行，仍隔离 0 行" in r.text, r.text
    with engine.connect() as conn:
        child = conn.execute(
            text("SELECT batch_id, rows_stored FROM batch WHERE parent_batch_id = :b"), {"b": batch}
        ).one()
        status = conn.execute(
            text("SELECT status FROM quarantine WHERE batch_id = :b"), {"b": batch}
        ).scalar_one()
    assert child[1] == 1 and status == "resubmitted"
    assert show_person(engine, people[2]["id_number"])["person"]["name"] == "张强"
    # The same workbook again: its row was re-submitted already — said in one line, nothing changes.
    again = app_client.post("/register/quarantine/import", files=files, headers={"HX-Request": "true"})
    assert (
        "未能导入" in again.text
        and "already re-submitted" in again.text
        and "padis-corrections" not in again.text
    )
    junk = {"workbook": ("x.xlsx", b"not a workbook", "application/octet-stream")}
    bad = app_client.post("/register/quarantine/import", files=junk, headers={"HX-Request": "true"})
    assert "未能导入" in bad.text and "x.xlsx" in bad.text


def test_the_start_page_sends_each_user_where_they_work(app_client: TestClient) -> None:
    app_client.cookies.clear()
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/login"
    _login(app_client, "steward1")
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/register/conflicts"
    _login(app_client, "county1")
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/stats"


def test_person_page_shows_sources_claims_and_conflicts(
    app_client: TestClient, engine: Engine, people
) -> None:  # type: ignore[no-untyped-def]
    _login(app_client, "steward1")
    conflicts = app_client.get("/register/conflicts").text
    pid = show_person(engine, people[0]["id_number"])["person"]["person_id"]
    assert f'href="/register/persons/{pid}"' in conflicts
    page = app_client.get(f"/register/persons/{pid}")
    assert page.status_code == 200
    html = page.text
    assert "登记库的值" in html and "各部门的记录 <small>2 条" in html
    assert "王伟" in html and "王二" in html and "公安" in html and "人力资源和社会保障" in html
    assert "未婚" in html  # marital status 10 with its code label
    history = html[html.index('id="history"') :]
    assert "姓名 王伟" in history and "姓名 王二" in history and "built-in" not in history
    with engine.connect() as conn:
        viewed = conn.execute(
            text("SELECT person_count, purpose, user_name FROM audit_log WHERE action = 'person_view'")
        ).first()
    assert viewed is not None and tuple(viewed) == (1, "register_stewardship", "steward1")
    accesses = person_accesses(engine, pid)
    assert [(a["action"], a["purpose"]) for a in accesses][-1:] == [("person_view", "register_stewardship")]
    assert app_client.get("/register/persons/99999").status_code == 404
    _login(app_client, "steward_sh")
    assert app_client.get(f"/register/persons/{pid}").status_code == 404  # outside Shanghai's divisions


def test_quality_page_by_agency_and_conflict_grid(app_client: TestClient) -> None:
    _login(app_client, "steward1")
    page = app_client.get("/register/quality")
    assert page.status_code == 200
    html = page.text
    deliveries = html[html.index('id="deliveries"') : html.index('id="conflict-grid"')]
    hrss = deliveries.index("人力资源和社会保障")
    assert hrss < deliveries.index("公安")  # the higher quarantine rate first
    assert "33.33%" in deliveries and "0.00%" in deliveries and "公民身份号码" in deliveries
    grid = html[html.index('id="conflict-grid"') :]
    assert 'href="/register/conflicts?field=name&amp;agency=hrss">2</a>' in grid
    filtered = app_client.get("/register/conflicts", params={"field": "name", "agency": "hrss"})
    assert "待处理 2 条" in filtered.text and filtered.text.count('<tr id="conflict-') == 2


def test_staff_collect_a_handed_over_file_in_a_known_layout(
    app_client: TestClient, engine: Engine, people
) -> None:  # type: ignore[no-untyped-def]
    _login(app_client, "steward1")
    page = app_client.get("/register/batches").text
    with engine.connect() as conn:
        hrss = conn.execute(text("SELECT batch_id FROM batch WHERE agency = 'hrss'")).scalar_one()
    assert f'<option value="{hrss}">人力资源和社会保障 · 全员人口个案（批次 {hrss}）</option>' in page
    rows = [{**people[0], "marital_status": "20"}, {**people[1], "id_number": "bad"}]
    data = pl.DataFrame(rows).write_csv().encode("gb18030")
    files = {"file": ("人社局 12月.csv", data, "text/csv")}
    hx = {"HX-Request": "true"}
    assert app_client.post("/register/batches/upload", files=files, data={"layout": hrss}).status_code == 403
    r = app_client.post("/register/batches/upload", files=files, data={"layout": hrss}, headers=hx)
    assert r.status_code == 200 and "入库 1 行，隔离 1 行" in r.text, r.text
    assert "公民身份号码" in r.text  # the reason, in Chinese
    with engine.connect() as conn:
        batch = conn.execute(
            text("SELECT agency, file_name, rows_read FROM batch ORDER BY batch_id DESC LIMIT 1")
        ).one()
    assert tuple(batch) == ("hrss", "steward1:人社局 12月.csv", 2)
    again = app_client.post("/register/batches/upload", files=files, data={"layout": hrss}, headers=hx)
    assert "已经采集过" in again.text
    empty = {"file": ("empty.csv", b"", "text/csv")}
    bad = app_client.post("/register/batches/upload", files=empty, data={"layout": hrss}, headers=hx)
    assert "未能采集" in bad.text and "empty.csv" in bad.text and "padis-upload" not in bad.text


def test_bulk_return_of_a_filtered_set(app_client: TestClient, engine: Engine) -> None:
    _login(app_client, "steward1")
    unfiltered = app_client.get("/register/conflicts").text
    assert "全部退回" not in unfiltered  # only for a filtered set
    page = app_client.get("/register/conflicts", params={"field": "name", "agency": "hrss"}).text
    assert "筛选出的 2 条" in page and "全部退回" in page
    hx = {"HX-Request": "true"}
    form = {"action": "return", "field": "name", "agency": "hrss", "note": "请核实"}
    assert app_client.post("/register/conflicts/bulk", data=form).status_code == 403
    bad = app_client.post("/register/conflicts/bulk", data={**form, "action": "accept"}, headers=hx)
    assert bad.status_code == 400 and len(list_conflicts(engine)) == 2
    r = app_client.post("/register/conflicts/bulk", data=form, headers=hx)
    assert r.status_code == 200 and "已退回" in r.text and "2 条冲突（2 人）" in r.text
    assert list_conflicts(engine) == []
    returned = list_conflicts(engine, status="returned")
    assert {(c["resolved_by"], c["note"]) for c in returned} == {("steward1", "请核实")}
    with engine.connect() as conn:
        logged = conn.execute(
            text("SELECT person_count, purpose FROM audit_log WHERE action = 'conflict_resolve_bulk'")
        ).one()
    assert tuple(logged) == (2, "register_stewardship")


def test_bulk_stays_in_the_users_divisions(app_client: TestClient, engine: Engine) -> None:
    _login(app_client, "steward_sh")
    hx = {"HX-Request": "true"}
    r = app_client.post("/register/conflicts/bulk", data={"action": "reject", "agency": "hrss"}, headers=hx)
    assert r.status_code == 200 and "0 条冲突" in r.text
    assert len(list_conflicts(engine)) == 2  # Beijing's conflicts untouched by Shanghai's steward


def test_a_county_steward_corrects_only_their_divisions_rows(
    app_client: TestClient, engine: Engine, people
) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        batch = conn.execute(text("SELECT batch_id FROM batch WHERE agency = 'hrss'")).scalar_one()
    _login(app_client, "steward_bj")  # the quarantined row is registered in 110101
    got = app_client.get(f"/register/batches/{batch}/quarantine.xlsx")
    assert got.status_code == 200
    book = load_workbook(io.BytesIO(got.content))
    sheet = book.worksheets[1]
    assert sheet.max_row == 2  # header + the one Beijing row
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("id_number") + 1, value=people[2]["id_number"])
    fixed = io.BytesIO()
    book.save(fixed)
    files = {"workbook": ("fix.xlsx", fixed.getvalue(), "application/octet-stream")}
    hx = {"HX-Request": "true"}
    _login(app_client, "steward_sh")  # Shanghai's steward may not correct Beijing's row
    refused = app_client.post("/register/quarantine/import", files=files, headers=hx)
    assert "row outside your divisions" in refused.text
    with engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM quarantine WHERE batch_id = :b"), {"b": batch}
        ).scalar_one()
    assert status == "open"
    _login(app_client, "steward_bj")
    done = app_client.post("/register/quarantine/import", files=files, headers=hx)
    assert "入库 1 行，仍隔离 0 行" in done.text, done.text


def test_a_county_steward_collects_only_their_divisions_rows(
    app_client: TestClient, engine: Engine, people
) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        hrss = conn.execute(text("SELECT batch_id FROM batch WHERE agency = 'hrss'")).scalar_one()
    _login(app_client, "steward_sh")
    data = pl.DataFrame([{**people[0], "marital_status": "20"}]).write_csv().encode()
    files = {"file": ("bj.csv", data, "text/csv")}
    r = app_client.post(
        "/register/batches/upload", files=files, data={"layout": hrss}, headers={"HX-Request": "true"}
    )
    assert "入库 0 行，隔离 1 行" in r.text and "不在报送单位授权的行政区划范围内" in r.text


def test_linkage_review_in_the_browser(app_client: TestClient, engine: Engine, people) -> None:  # type: ignore[no-untyped-def]
    """Stewards decide uncertain record pairs side by side (masked, scoped, audited) and apply them."""
    with engine.begin() as conn:
        ids = {
            (r[0], r[1]): r[2]
            for r in conn.execute(
                text("SELECT agency, id_number, record_id FROM source_record WHERE id_number IS NOT NULL")
            )
        }
        ps = [ids[("public_security", p["id_number"])] for p in people[:2]]
        conn.execute(
            text(
                "INSERT INTO linkage_review (source_l, record_id_l, source_r, record_id_r, "
                "match_probability, match_weight, detail, status, created_at) VALUES ('source_record', :l, "
                "'source_record', :r, 0.5, 0.0, :d, 'pending', CURRENT_TIMESTAMP)"
            ),
            {
                "l": str(ps[0]),
                "r": str(ps[1]),
                "d": '{"name": {"level": "拼音相同 same pinyin", "weight": 3.2}}',
            },
        )
        rid = conn.execute(text("SELECT MAX(review_id) FROM linkage_review")).scalar_one()
    hx = {"HX-Request": "true"}
    _login(app_client, "steward1")
    page = app_client.get("/register/review")
    assert page.status_code == 200 and f'id="review-{rid}"' in page.text
    assert "王伟" in page.text and "拼音相同" in page.text and "关联复核" in page.text
    _login(app_client, "steward_low")  # internal clearance: names and numbers masked
    low = app_client.get("/register/review").text
    assert "王伟" not in low and people[0]["id_number"] not in low
    _login(app_client, "steward_sh")  # Shanghai: neither record is in its divisions
    assert f'id="review-{rid}"' not in app_client.get("/register/review").text
    assert (
        app_client.post(f"/register/review/{rid}", data={"action": "accept"}, headers=hx).status_code == 404
    )

    _login(app_client, "steward1")
    row = app_client.post(f"/register/review/{rid}", data={"action": "reject"}, headers=hx)
    assert row.status_code == 200 and "不是同一人" in row.text and "steward1" in row.text
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT status FROM linkage_review WHERE review_id = :r"), {"r": rid}
        ).scalar_one() == ("rejected")
        person = conn.execute(
            text("SELECT person_id FROM source_record WHERE record_id = :r"), {"r": ps[0]}
        ).scalar_one()
    assert any(a["action"] == "linkage_review_decide" for a in person_accesses(engine, person))
    # this register was built by identity number: nothing linked by Splink yet, said in one line
    applied = app_client.post("/register/review/relink", headers=hx)
    assert applied.status_code == 200 and "padis link register" in applied.text
