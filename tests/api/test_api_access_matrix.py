"""Access matrix: every principal x endpoint x division x purpose returns exactly what it may.

The expectations below are written out independently of padis.security.roles and the agreements'
storage, so a change in policy code that widens access fails here.
"""

from __future__ import annotations

import pytest

from padis.exchange.fixtures import DIVISIONS
from padis.standards.dictionary import get_dictionary

ALL_FIELDS = [
    "id_number",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "marital_status",
    "hukou_type",
    "registered_division",
    "residence_division",
    "death_date",
    "status",
]
CLIENTS = {
    "civil_affairs_bj": {
        "services": {"query", "verify", "mutual_verify", "supplement", "update", "subscribe"},
        "fields": [
            "id_number",
            "name",
            "sex",
            "birth_date",
            "marital_status",
            "death_date",
            "registered_division",
        ],
        "purpose": "social_assistance",
        "divisions": {"110105", "110108"},
    },
    "health_cy": {
        "services": {"query", "verify"},
        "fields": ["id_number", "name", "birth_date"],
        "purpose": "medical_insurance",
        "divisions": {"110105"},
    },
    "education_zj": {
        "services": {"query", "supplement", "update"},
        "fields": ["id_number", "name", "education"],
        "purpose": "school_enrolment",
        "divisions": {"330102"},
    },
}
STAFF = {
    "admin": {
        "services": {
            "query",
            "verify",
            "mutual_verify",
            "supplement",
            "update",
            "subscribe",
            "collect",
            "audit",
        },
        "divisions": set(DIVISIONS),
        "clearance": "secret",
    },
    "steward": {
        "services": {"query", "verify", "mutual_verify", "supplement", "update", "collect"},
        "divisions": set(DIVISIONS),
        "clearance": "sensitive",
    },
    "county": {"services": {"query", "verify"}, "divisions": {"110105"}, "clearance": "internal"},
    "township": {"services": {"query"}, "divisions": {"110108"}, "clearance": "internal"},
    "analyst": {"services": set(), "divisions": set(DIVISIONS), "clearance": "public"},
    "auditor": {"services": {"audit"}, "divisions": set(DIVISIONS), "clearance": "internal"},
}


def _principals():  # type: ignore[no-untyped-def]
    for name, spec in CLIENTS.items():
        yield "client", name, spec
    for name, spec in STAFF.items():
        yield "staff", name, spec


def _headers(auth, kind, name, purpose):  # type: ignore[no-untyped-def]
    return auth.client(name, purpose) if kind == "client" else auth.staff(name, purpose)


def _expected_query(kind, spec, division, purpose_case):  # type: ignore[no-untyped-def]
    """(status, reason) the policy must give for a query."""
    if "query" not in spec["services"]:
        return 403, "service_not_allowed"
    if purpose_case == "missing":
        return 403, "purpose_missing"
    if kind == "client" and purpose_case == "wrong":
        return 403, "purpose_not_allowed"
    if division not in spec["divisions"]:
        return 403, "division_not_allowed"
    return 200, None


def test_query_matrix(client, world, auth):  # type: ignore[no-untyped-def]
    dictionary = get_dictionary()
    persons = {
        d: world.persons.filter(world.persons["registered_division"] == d).row(0, named=True)
        for d in DIVISIONS
    }
    failures = []
    checked = 0
    for kind, name, spec in _principals():
        for division, person in persons.items():
            for case in ("right", "wrong", "missing"):
                purpose = {"right": spec.get("purpose", "casework"), "wrong": "marketing", "missing": None}[
                    case
                ]
                r = client.get(
                    "/api/v1/persons",
                    params={"id_number": person["id_number"]},
                    headers=_headers(auth, kind, name, purpose),
                )
                status, reason = _expected_query(kind, spec, division, case)
                checked += 1
                body = r.json()
                if r.status_code != status:
                    failures.append((name, division, case, r.status_code, body))
                    continue
                if status == 403:
                    if body["reason"] != reason:
                        failures.append((name, division, case, body["reason"], reason))
                    continue
                got = body["persons"][0]
                fields = spec["fields"] if kind == "client" else ALL_FIELDS
                if list(got) != [f for f in ALL_FIELDS if f in fields]:
                    failures.append((name, division, case, "fields", sorted(got)))
                    continue
                for f in fields:
                    raw = person.get(f)
                    raw = raw.isoformat() if hasattr(raw, "isoformat") else raw
                    want = raw if kind == "client" else dictionary.mask_value(f, raw, spec["clearance"])
                    if got[f] != want:
                        failures.append((name, division, f, got[f], want))
    assert checked == len(list(_principals())) * 3 * 3
    assert not failures, failures[:10]


@pytest.mark.parametrize("field", ["education", "hukou_type"])
def test_fields_beyond_agreement_are_refused(client, world, auth, field):  # type: ignore[no-untyped-def]
    person = world.persons.filter(world.persons["registered_division"] == "110105").row(0, named=True)
    r = client.get(
        "/api/v1/persons",
        params={"id_number": person["id_number"], "fields": f"name,{field}"},
        headers=auth.client("civil_affairs_bj", "social_assistance"),
    )
    assert r.status_code == 403 and r.json()["reason"] == "field_not_allowed"
    r = client.get(
        "/api/v1/persons",
        params={"id_number": person["id_number"], "fields": "name"},
        headers=auth.client("civil_affairs_bj", "social_assistance"),
    )
    assert r.status_code == 200 and list(r.json()["persons"][0]) == ["name"]


def test_search_matrix(client, world, auth):  # type: ignore[no-untyped-def]
    failures = []
    for kind, name, spec in _principals():
        for division in DIVISIONS:
            person = world.persons.filter(world.persons["registered_division"] == division).row(0, named=True)
            params = {
                "name": person["name"],
                "birth_date": person["birth_date"].isoformat(),
                "division": division,
            }
            r = client.get(
                "/api/v1/persons/search",
                params=params,
                headers=_headers(auth, kind, name, spec.get("purpose", "casework")),
            )
            status, reason = _expected_query(kind, spec, division, "right")
            if r.status_code != status or (status == 403 and r.json()["reason"] != reason):
                failures.append((name, division, r.status_code, r.text[:200]))
            elif status == 200:
                found = r.json()["persons"]
                if not found or any(
                    len(p) != len(spec["fields"] if kind == "client" else ALL_FIELDS) for p in found
                ):
                    failures.append((name, division, "result", found))
    assert not failures, failures[:10]


SERVICE_CALLS = {
    "mutual_verify": (
        "post",
        "/api/v1/mutual-verify",
        lambda p: {"json": {"records": [{"id_number": p["id_number"], "name": p["name"]}]}},
    ),
    "supplement": (
        "post",
        "/api/v1/supplement",
        lambda p: {"json": {"records": [{"id_number": p["id_number"], "name": None}]}},
    ),
    "update": (
        "post",
        "/api/v1/updates",
        lambda p: {"json": {"changes": [{"id_number": p["id_number"], "field": "name", "value": p["name"]}]}},
    ),
    "subscribe": (
        "post",
        "/api/v1/subscriptions",
        lambda p: {"json": {"event_types": ["death"], "divisions": [p["registered_division"]]}},
    ),
    "collect": ("post", "/api/v1/batches", lambda p: _delivery(p)),
    "audit": ("get", "/api/v1/audit/verify", lambda p: {}),
}


def _delivery(person: dict) -> dict:  # type: ignore[type-arg]
    """A one-row batch about ``person`` with dictionary field names as columns (record ``person``)."""
    row = {f: person[f] for f in ALL_FIELDS if person.get(f) is not None}
    header = ",".join(row)
    values = ",".join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in row.values())
    data = f"{header}\n{values}\n".encode()
    return {
        "files": {"file": ("one.csv", data, "text/csv")},
        "data": {"record": "person", "agency": "public_security"},
    }


def test_service_matrix(client, world, auth):  # type: ignore[no-untyped-def]
    """Each service endpoint: allowed principals get 2xx for an in-scope person, the others 403."""
    failures = []
    for kind, name, spec in _principals():
        purpose = spec.get("purpose", "casework")
        for service, (method, path, kwargs) in SERVICE_CALLS.items():
            division = sorted(spec["divisions"])[0] if spec["divisions"] else DIVISIONS[0]
            person = world.persons.filter(world.persons["registered_division"] == division).row(0, named=True)
            extra = kwargs(person)
            if service == "supplement" and kind == "client" and "name" not in spec["fields"]:
                continue
            r = getattr(client, method)(path, headers=_headers(auth, kind, name, purpose), **extra)
            allowed = service in spec["services"]
            if allowed and r.status_code not in (200, 201):
                failures.append((name, service, r.status_code, r.text[:200]))
            if not allowed and (r.status_code != 403 or r.json()["reason"] != "service_not_allowed"):
                failures.append((name, service, r.status_code, r.text[:200]))
    assert not failures, failures[:10]


def test_mutual_and_supplement_stay_in_scope(client, world, auth):  # type: ignore[no-untyped-def]
    inside = world.persons.filter(world.persons["registered_division"] == "110105").row(0, named=True)
    outside = world.persons.filter(world.persons["registered_division"] == "330102").row(0, named=True)
    h = auth.client("civil_affairs_bj", "social_assistance")
    r = client.post(
        "/api/v1/supplement",
        headers=h,
        json={
            "records": [
                {"id_number": inside["id_number"], "name": None, "birth_date": ""},
                {"id_number": outside["id_number"], "name": None, "birth_date": ""},
            ]
        },
    )
    assert r.status_code == 200, r.text
    recs = r.json()["records"]
    assert recs[0]["name"] == inside["name"] and recs[0]["birth_date"] == inside["birth_date"].isoformat()
    assert recs[1]["name"] is None and recs[1]["birth_date"] in ("", None)
    assert r.json()["filled"] == 2
    r = client.post(
        "/api/v1/mutual-verify",
        headers=h,
        json={
            "records": [
                {"id_number": inside["id_number"], "name": "错名字"},
                {"id_number": outside["id_number"], "name": "x"},
            ]
        },
    )
    body = r.json()
    assert body["matched"] == 1
    by_row = {d["row"]: d for d in body["discrepancies"]}
    assert by_row[1]["field"] == "name" and by_row[1]["register_value"] == inside["name"]
    assert by_row[1]["authority"] == "public_security"
    assert by_row[2]["status"] == "out_of_scope" and by_row[2]["register_value"] is None
