"""Bulk Arrow writing and reading inside one transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import Engine, text

from padis.store.bulk import bulk_session, read_arrow, write_arrow


@pytest.fixture
def scratch(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE scratch (k INTEGER PRIMARY KEY, s VARCHAR(20), d DATE, t TIMESTAMP, b BOOLEAN, "
            "c VARCHAR(10), n VARCHAR(10))"
        )
    return engine


def _frame(n: int, start: int = 0) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "k": list(range(start, start + n)),
            "s": [None if i % 3 == 0 else f'名字,"{i}"\n' for i in range(n)],
            "d": [dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(n)],
            "t": [dt.datetime(2024, 1, 2, 3, 4, 5, 123456)] * n,
            "b": [i % 2 == 0 for i in range(n)],
            "n": pl.Series([None] * n, dtype=pl.String),  # all null: left to the default
        }
    )


def test_write_then_read_round_trip(scratch: Engine) -> None:
    frame = _frame(2500)
    with scratch.begin() as conn:
        assert write_arrow(conn, "scratch", frame, constants={"c": "常量'q"}) == 2500
    with scratch.connect() as conn:
        got = read_arrow(conn, "SELECT k, s, d, t, b, c, n FROM scratch ORDER BY k")
    assert got.num_rows == 2500
    rows = got.to_pylist()
    assert rows[1]["s"] == '名字,"1"\n' and rows[0]["s"] is None
    assert str(rows[10]["d"]) == "2000-01-11"
    assert str(rows[0]["t"]).startswith("2024-01-02 03:04:05.123456")
    assert {r["c"] for r in rows} == {"常量'q"} and {r["n"] for r in rows} == {None}
    assert bool(rows[0]["b"]) is True and bool(rows[1]["b"]) is False


def test_rollback_leaves_nothing(scratch: Engine) -> None:
    with pytest.raises(RuntimeError), bulk_session(scratch) as session:
        session.write("scratch", _frame(1000))
        raise RuntimeError("crash before commit")
    with scratch.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM scratch")).scalar_one() == 0


def test_on_conflict_ignore_skips_duplicates(scratch: Engine) -> None:
    with bulk_session(scratch) as session:
        session.write("scratch", _frame(100))
        session.write("scratch", _frame(100, start=50), on_conflict_ignore=True)
        assert session.execute("SELECT COUNT(*) FROM scratch")[0][0] == 150
