"""Staff login page, session cookie and the ``require_staff`` guard used by the HTML views."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from padis.api.app import create_app
from padis.exchange.fixtures import PASSWORD
from padis.security.deps import SESSION_COOKIE, require_staff
from padis.security.policy import Principal


def test_login_cookie_and_guard(db_url, world):  # type: ignore[no-untyped-def]
    app = create_app(db_url, audit_sync=True)
    page = APIRouter()

    @page.get("/steward-only")
    def steward_only(user: Principal = Depends(require_staff("data_steward"))) -> dict[str, str]:
        return {"user": user.name}

    app.include_router(page)
    with TestClient(app, follow_redirects=False) as c:
        r = c.get("/steward-only")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        form = c.get("/login?next=/steward-only")
        assert form.status_code == 200 and "登录" in form.text and 'value="/steward-only"' in form.text
        bad = c.post("/login", data={"username": "steward", "password": "nope", "next": "/steward-only"})
        assert bad.status_code == 401 and SESSION_COOKIE not in bad.cookies
        ok = c.post(
            "/login", data={"username": "steward", "password": PASSWORD, "next": "https://evil.example/"}
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        assert c.get("/steward-only").json() == {"user": "steward"}
        c.cookies.clear()
        c.post("/login", data={"username": "county", "password": PASSWORD, "next": "/"})
        assert c.get("/steward-only").status_code == 403


def test_xlsx_batch_upload(client, world, auth):  # type: ignore[no-untyped-def]
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["身份证号", "姓名", "出生日期"])
    rows = world.persons.filter(world.persons["registered_division"] == "110105").head(5)
    for p in rows.iter_rows(named=True):
        ws.append([p["id_number"], p["name"], p["birth_date"].strftime("%Y%m%d")])
    buf = io.BytesIO()
    wb.save(buf)
    h = auth.client("health_cy", "medical_insurance")
    r = client.post(
        "/api/v1/verify/jobs",
        headers=h,
        files={"file": ("batch.xlsx", buf.getvalue(), "application/octet-stream")},
    )
    assert r.status_code == 202, r.text
    st = client.get(f"/api/v1/verify/jobs/{r.json()['job_id']}", headers=h).json()
    assert st["status"] == "done" and st["counts"] == {"match": 5}
