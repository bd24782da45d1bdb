"""Bulk Arrow writing and reading inside one transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from padis.errors import StorageError
from padis.store import bulk
from padis.store.bulk import batch_session, bulk_session, read_arrow, write_arrow


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


@pytest.fixture
def child_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every SQLite batch through the ADBC child process, however small."""
    monkeypatch.setattr(bulk, "SQLITE_CHILD_MIN_ROWS", 1)


@pytest.mark.usefixtures("child_writes")
def test_batch_session_round_trip(scratch: Engine) -> None:
    with batch_session(scratch, 2500) as session:
        assert session.write("scratch", _frame(2500), constants={"c": "常量'q"}) == 2500
        assert session.execute("SELECT COUNT(*) FROM scratch WHERE k < :k", {"k": 10}) == [(10,)]
        session.write("scratch", _frame(100, start=2450), on_conflict_ignore=True)
    with scratch.connect() as conn:
        got = read_arrow(conn, "SELECT k, s, d, t, b, c, n FROM scratch ORDER BY k")
    rows = got.to_pylist()
    assert len(rows) == 2550
    assert rows[1]["s"] == '名字,"1"\n' and rows[0]["s"] is None
    assert str(rows[10]["d"]) == "2000-01-11"
    assert str(rows[0]["t"]).startswith("2024-01-02 03:04:05.123456")
    assert {r["c"] for r in rows[:2500]} == {"常量'q"} and {r["n"] for r in rows} == {None}
    assert bool(rows[0]["b"]) is True and bool(rows[1]["b"]) is False


@pytest.mark.usefixtures("child_writes")
def test_batch_session_rolls_back_on_error(scratch: Engine) -> None:
    with pytest.raises(RuntimeError), batch_session(scratch, 1000) as session:
        session.write("scratch", _frame(1000))
        raise RuntimeError("crash before commit")
    with pytest.raises(IntegrityError), batch_session(scratch, 1000) as session:
        session.write("scratch", _frame(10))
        session.execute("INSERT INTO scratch (k) VALUES (:k)", {"k": 5})
    with scratch.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM scratch")).scalar_one() == 0


@pytest.mark.usefixtures("child_writes")
def test_child_checkpoints_the_batch_after_answering(scratch: Engine, tmp_path: Path) -> None:
    """The parent goes on at the commit; the child then copies the batch from the WAL into the file."""
    if scratch.dialect.name != "sqlite":
        pytest.skip("the writer child serves SQLite files only")
    proc = bulk.start_writer(scratch, 3000)
    assert proc is not None
    with batch_session(scratch, 3000, proc) as session:
        session.write("scratch", _frame(3000))
    with scratch.connect() as conn:  # visible at once, from the WAL
        assert conn.execute(text("SELECT COUNT(*) FROM scratch")).scalar_one() == 3000
    assert proc.wait(timeout=30) == 0
    # The main file alone (no WAL beside it) holds the batch: the checkpoint ran.
    copy = tmp_path / "main-file-only.db"
    shutil.copyfile(str(scratch.url.database), copy)
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT COUNT(*) FROM scratch").fetchone() == (3000,)


def test_child_failure_is_one_clear_error(engine: Engine) -> None:
    """A write the SQLite writer child cannot do reaches the user as ``where: what (why)``, nothing stored."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the writer child serves SQLite files only")
    with pytest.raises(StorageError) as raised, batch_session(engine, 10**6) as session:
        session.write("no_such_table", _frame(10))
        session.execute("SELECT 1")
    assert raised.value.what == "the batch could not be written"
    assert raised.value.where == engine.url.database and "no_such_table" in raised.value.why


def test_write_numbers_nulls_and_categoricals(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE nums (k BIGINT, i INTEGER, f DOUBLE PRECISION, x TEXT, d DATE)")
    frame = pl.DataFrame(
        {
            "k": [1, None, 3_000_000_000],
            "i": pl.Series([1, -2, None], dtype=pl.Int32),
            "f": [1.5, None, -2e300],
            "x": pl.Series(["a", "b", "a"]).cast(pl.Categorical),
            "d": [dt.date(1917, 1, 12), None, dt.date(1969, 12, 31)],
        }
    )
    with engine.begin() as conn:
        write_arrow(conn, "nums", frame)
    with engine.connect() as conn:
        rows = [
            tuple(r) for r in conn.execute(text("SELECT k, i, f, x, d FROM nums ORDER BY COALESCE(i, 99)"))
        ]
    assert [r[:4] for r in rows] == [
        (None, -2, None, "b"),
        (1, 1, 1.5, "a"),
        (3_000_000_000, None, -2e300, "a"),
    ]
    assert [str(r[4]) for r in rows] == ["None", "1917-01-12", "1969-12-31"]


def test_read_keeps_empty_text_nulls_percent_and_params(scratch: Engine) -> None:
    """Reading (PostgreSQL: COPY … TO STDOUT parsed by Arrow) tells '' from NULL and binds parameters."""
    with scratch.begin() as conn:
        write_arrow(
            conn,
            "scratch",
            pl.DataFrame(
                {"k": [1, 2, 3], "s": ["", None, "50%\n,x"], "d": [dt.date(2020, 2, 29), None, None]}
            ),
        )
    with scratch.connect() as conn:
        got = read_arrow(
            conn,
            "SELECT k, s, d FROM scratch WHERE s LIKE '%' OR k >= :k ORDER BY k",
            {"k": 2},
            schema=pa.schema([("d", pa.date32())]),  # SQLite keeps dates as text
        )
        unbound = read_arrow(conn, "SELECT k FROM scratch WHERE s LIKE '50%' ORDER BY k")
        none = read_arrow(conn, "SELECT k, s FROM scratch WHERE k > :k", {"k": 99})
    assert got.to_pylist() == [
        {"k": 1, "s": "", "d": dt.date(2020, 2, 29)},
        {"k": 2, "s": None, "d": None},
        {"k": 3, "s": "50%\n,x", "d": None},
    ]
    assert unbound.column("k").to_pylist() == [3]
    assert none.num_rows == 0 and none.column_names == ["k", "s"]


def test_read_of_a_bad_query_is_a_database_error(engine: Engine) -> None:
    from sqlalchemy.exc import DBAPIError

    with engine.connect() as conn, pytest.raises(DBAPIError):
        read_arrow(conn, "SELECT no_such_column FROM batch WHERE batch_id = :b", {"b": 1})
