"""Building the snapshot from the register tables (SQLite and PostgreSQL) and saving/loading it."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from sqlalchemy import text

from padis.errors import InputError
from padis.stats.indicators import compute_indicators
from padis.stats.snapshot import Snapshot, from_register


def _fill(engine) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime(2024, 1, 1)
    people = [
        (1, "2", dt.date(1992, 5, 1), None, "20", "110101"),
        (2, "1", dt.date(2020, 3, 3), None, "10", "110101"),
        (3, "1", dt.date(1940, 1, 1), dt.date(2020, 6, 1), "30", "110102"),
    ]
    events = [
        ("e1", "birth", 2, "110101", dt.date(2020, 3, 3), {"agency": "health", "related_person_id": 1}),
        ("e2", "death", 3, "110102", dt.date(2020, 6, 1), {"agency": "public_security"}),
        ("e3", "move", 1, "110101", dt.date(2020, 8, 1), {"from_division": "110102"}),
    ]
    with engine.begin() as conn:
        for pid, sex, birth, death, marital, div in people:
            conn.execute(text(
                "INSERT INTO person (person_id, sex, birth_date, death_date, marital_status, "
                "registered_division, residence_division, status, updated_at) "
                "VALUES (:p, :s, :b, :d, :m, :r, :r, :st, :u)"),
                {"p": pid, "s": sex, "b": birth, "d": death, "m": marital, "r": div,
                 "st": "deceased" if death else "active", "u": now})
        for eid, etype, pid, div, date, payload in events:
            conn.execute(text(
                "INSERT INTO change_feed (event_id, event_type, person_id, division, event_date, payload, "
                "recorded_at) VALUES (:e, :t, :p, :v, :d, :j, :u)"),
                {"e": eid, "t": etype, "p": pid, "v": div, "d": date, "j": json.dumps(payload), "u": now})


def test_from_register(engine):
    _fill(engine)
    snap = from_register(engine)
    assert snap.persons.height == 3
    assert snap.births.row(0, named=True)["mother_id"] == 1
    assert snap.deaths.height == 1 and snap.moves.row(0, named=True)["from_division"] == "110102"
    res = compute_indicators(snap, "2020", level="county", indicators=["BIRTHS", "DEATHS", "FLOAT_IN", "POP"])
    got = {(r["indicator"], r["ref_area"]): r["value"] for r in res.iter_rows(named=True)}
    assert got[("BIRTHS", "110101")] == 1
    assert got[("DEATHS", "110102")] == 1
    assert got[("FLOAT_IN", "110101")] == 1
    assert got[("POP", "110101")] == 2


def test_save_and_load(hand, tmp_path):
    hand.save(tmp_path / "snap")
    back = Snapshot.load(tmp_path / "snap")
    for name, frame in hand.tables().items():
        assert back.tables()[name].equals(frame), name
    with pytest.raises(InputError):
        Snapshot.load(tmp_path / "nothing")
    with pytest.raises(InputError):
        Snapshot.build(people=pl.DataFrame())
