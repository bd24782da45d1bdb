"""End-to-end happy paths through the API."""

from __future__ import annotations


def _person(world, division="110105"):  # type: ignore[no-untyped-def]
    return world.persons.filter(world.persons["registered_division"] == division).row(0, named=True)


def test_query_by_id_returns_only_agreed_fields(client, world, auth):  # type: ignore[no-untyped-def]
    person = _person(world)
    r = client.get(
        "/api/v1/persons",
        params={"id_number": person["id_number"]},
        headers=auth.client("health_cy", "medical_insurance"),
    )
    assert r.status_code == 200, r.text
    got = r.json()["persons"][0]
    assert set(got) == {"id_number", "name", "birth_date"}
    assert got["name"] == person["name"]


def test_staff_sees_masked_values(client, world, auth):  # type: ignore[no-untyped-def]
    person = _person(world)
    r = client.get(
        "/api/v1/persons",
        params={"id_number": person["id_number"]},
        headers=auth.staff("county", "household_check"),
    )
    assert r.status_code == 200, r.text
    got = r.json()["persons"][0]
    assert got["id_number"] != person["id_number"] and "*" in got["id_number"]
    assert got["name"].startswith(person["name"][0]) and "*" in got["name"]


def test_webhook_subscription_returns_its_signing_secret_once(client, world, auth):  # type: ignore[no-untyped-def]
    from padis.exchange.signing import webhook_secret

    headers = auth.client("civil_affairs_bj", "social_assistance")
    hook = {"event_types": ["death"], "divisions": ["110000"], "webhook_url": "http://127.0.0.1:9/hook"}
    r = client.post("/api/v1/subscriptions", headers=headers, json=hook)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["webhook_secret"] == webhook_secret(body["subscription_id"])
    pull_only = client.post("/api/v1/subscriptions", headers=headers, json={**hook, "webhook_url": None})
    assert pull_only.status_code == 201 and pull_only.json()["webhook_secret"] is None
