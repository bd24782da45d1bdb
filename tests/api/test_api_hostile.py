"""Hostile input: forged/expired tokens, injection strings, oversized and malformed uploads, rate limits."""

from __future__ import annotations

import time
import urllib.parse

import jwt
import pytest
from sqlalchemy import text

from padis.exchange.agreements import add_agreement
from padis.exchange.members import add_member
from padis.security.tokens import issue_token

INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE person;--",
    '" OR 1=1 --',
    "%' UNION SELECT password_hash FROM staff_user--",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\x00",
    "110105' --",
]


def _count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def _person(world, division="110105"):  # type: ignore[no-untyped-def]
    return world.persons.filter(world.persons["registered_division"] == division).row(0, named=True)


def test_missing_expired_and_forged_tokens(client, world):  # type: ignore[no-untyped-def]
    params = {"id_number": _person(world)["id_number"]}
    h = {"X-Purpose": "medical_insurance"}
    r = client.get("/api/v1/persons", params=params, headers=h)
    assert r.status_code == 401 and r.json()["reason"] == "token_missing"
    expired, _ = issue_token("client", "health_cy", ttl_s=-10)
    r = client.get("/api/v1/persons", params=params, headers=h | {"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json()["reason"] == "token_expired"
    forged = jwt.encode(
        {"kind": "client", "sub": "health_cy", "exp": int(time.time()) + 600},
        "not-the-key",
        algorithm="HS256",
    )
    r = client.get("/api/v1/persons", params=params, headers=h | {"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["reason"] == "token_invalid"
    none_alg = jwt.encode(
        {"kind": "client", "sub": "health_cy", "exp": int(time.time()) + 600}, None, algorithm="none"
    )
    r = client.get("/api/v1/persons", params=params, headers=h | {"Authorization": f"Bearer {none_alg}"})
    assert r.status_code == 401
    r = client.get(
        "/api/v1/persons", params=params, headers=h | {"Authorization": "Bearer garbage.garbage.x"}
    )
    assert r.status_code == 401
    r = client.post("/api/v1/auth/token", data={"client_id": "health_cy", "client_secret": "wrong"})
    assert r.status_code == 401 and r.json()["reason"] == "bad_credentials"
    r = client.post("/api/v1/auth/login", json={"username": "admin", "password": "wrong password"})
    assert r.status_code == 401


def test_disabled_member_token_stops_working(client, world, auth, engine):  # type: ignore[no-untyped-def]
    from padis.exchange.agreements import PRINCIPALS
    from padis.exchange.members import set_disabled

    h = auth.client("health_cy", "medical_insurance")
    params = {"id_number": _person(world)["id_number"]}
    assert client.get("/api/v1/persons", params=params, headers=h).status_code == 200
    set_disabled(engine, "health_cy")
    PRINCIPALS.clear()
    r = client.get("/api/v1/persons", params=params, headers=h)
    assert r.status_code == 401 and r.json()["reason"] == "account_disabled"


def test_injection_strings_in_every_parameter(client, world, auth, engine):  # type: ignore[no-untyped-def]
    h = auth.staff("admin", "casework")
    persons_before = _count(engine, "person")
    for s in INJECTIONS:
        for params in ({"id_number": s}, {"id_number": _person(world)["id_number"], "fields": s}):
            r = client.get("/api/v1/persons", params=params, headers=h)
            assert 400 <= r.status_code < 500, (params, r.status_code)
        r = client.get(
            "/api/v1/persons/search", params={"name": s, "birth_date": "1990-01-01", "division": s}, headers=h
        )
        assert 400 <= r.status_code < 500
        r = client.get(
            "/api/v1/persons/search",
            params={"name": s, "birth_date": "1990-01-01", "division": "110105"},
            headers=h,
        )
        assert r.status_code in (200, 400, 422) and (r.status_code != 200 or r.json()["count"] == 0)
        purpose = s.replace("\x00", "")
        r = client.get(
            "/api/v1/persons",
            params={"id_number": _person(world)["id_number"]},
            headers=h | {"X-Purpose": purpose},
        )
        assert r.status_code == (200 if purpose else 403)
        r = client.post(
            "/api/v1/updates",
            headers=h,
            json={"changes": [{"id_number": _person(world)["id_number"], "field": s, "value": s}]},
        )
        assert 400 <= r.status_code < 500
        r = client.post("/api/v1/mutual-verify", headers=h, json={"records": [{"id_number": s, s: s}]})
        assert r.status_code in (200, 400, 403)
        quoted = urllib.parse.quote(s, safe="")
        r = client.get(f"/api/v1/audit/persons/{quoted}", headers=auth.staff("auditor"))
        assert r.status_code in (200, 404, 422)
        r = client.post("/api/v1/auth/token", data={"client_id": s, "client_secret": s})
        assert r.status_code in (401, 422)
    assert _count(engine, "person") == persons_before
    assert _count(engine, "conflict") == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM staff_user")).scalar_one() == 6


def test_oversized_upload_is_413_and_stores_nothing(client, auth, engine, tmp_path):  # type: ignore[no-untyped-def]
    h = auth.client("health_cy", "medical_insurance")
    big = b"id_number,name\n" + b"110105199001021238,\xe5\xbc\xa0\xe4\xb8\x89\n" * 20_000
    r = client.post("/api/v1/verify/jobs", headers=h, files={"file": ("big.csv", big, "text/csv")})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    assert _count(engine, "verify_job") == 0


@pytest.mark.parametrize(
    "name,content",
    [
        ("bad.xlsx", b"PK\x03\x04 this is not a workbook"),
        ("empty.csv", b""),
        ("nocols.csv", b"foo,bar\n1,2\n"),
        ("bad.exe", b"MZ\x90\x00"),
        ("ragged.json", b'[{"id_number": 1,'),
    ],
)
def test_malformed_uploads_are_400_and_store_nothing(client, auth, engine, name, content):  # type: ignore[no-untyped-def]
    h = auth.client("health_cy", "medical_insurance")
    r = client.post(
        "/api/v1/verify/jobs", headers=h, files={"file": (name, content, "application/octet-stream")}
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "bad_request"
    assert _count(engine, "verify_job") == 0


def test_rate_limit_per_client(client, world, engine):  # type: ignore[no-untyped-def]
    _, secret = add_member(engine, "stats_slow", "statistics", rate_limit=2)
    add_agreement(
        engine, "stats_slow", services=["query"], fields=["sex"], purposes=["census"], divisions=["110000"]
    )
    token = client.post(
        "/api/v1/auth/token", data={"client_id": "stats_slow", "client_secret": secret}
    ).json()
    h = {"Authorization": f"Bearer {token['access_token']}", "X-Purpose": "census"}
    params = {"id_number": _person(world)["id_number"]}
    codes = [client.get("/api/v1/persons", params=params, headers=h).status_code for _ in range(8)]
    assert codes[:4] == [200] * 4 and 429 in codes
    limited = client.get("/api/v1/persons", params=params, headers=h)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    other = client.post(
        "/api/v1/auth/token", data={"client_id": "health_cy", "client_secret": world.secrets["health_cy"]}
    ).json()
    r = client.get(
        "/api/v1/persons",
        params=params,
        headers={"Authorization": f"Bearer {other['access_token']}", "X-Purpose": "medical_insurance"},
    )
    assert r.status_code == 200


def test_refusals_are_audited(client, world, auth, engine):  # type: ignore[no-untyped-def]
    client.get(
        "/api/v1/persons",
        params={"id_number": _person(world, "330102")["id_number"]},
        headers=auth.client("health_cy", "medical_insurance"),
    )
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT client, purpose, result FROM audit_log ORDER BY seq DESC LIMIT 1")
        ).first()
    assert tuple(row) == ("health_cy", "medical_insurance", "denied:division_not_allowed")


def test_rate_limit_is_shared_by_workers_through_redis(db_url, world, engine, redis_url, monkeypatch):  # type: ignore[no-untyped-def]
    """Two app instances (two server workers) with PADIS_RATE_LIMIT_URL share each client's bucket."""
    import uuid

    from fastapi.testclient import TestClient

    from padis.api.app import create_app
    from padis.settings import get_settings

    monkeypatch.setenv("PADIS_RATE_LIMIT_URL", redis_url)
    get_settings.cache_clear()
    name = f"stats_{uuid.uuid4().hex[:8]}"  # a bucket of its own in the shared Redis
    _, secret = add_member(engine, name, "statistics", rate_limit=2)
    add_agreement(engine, name, services=["query"], fields=["sex"], purposes=["census"], divisions=["110000"])
    params = {"id_number": _person(world)["id_number"]}
    with (
        TestClient(create_app(db_url, audit_sync=True)) as a,
        TestClient(create_app(db_url, audit_sync=True)) as b,
    ):
        token = a.post("/api/v1/auth/token", data={"client_id": name, "client_secret": secret}).json()
        h = {"Authorization": f"Bearer {token['access_token']}", "X-Purpose": "census"}
        # Alternating workers: each alone would allow its own burst of 4, so all 8 would pass.
        codes = [(a, b)[i % 2].get("/api/v1/persons", params=params, headers=h).status_code for i in range(8)]
    assert codes[:4] == [200] * 4 and codes.count(429) >= 2, codes
