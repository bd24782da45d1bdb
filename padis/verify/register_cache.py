"""An in-memory, columnar copy of the register's identity columns, refreshed incrementally.

Batch verification joins against every person; reading a million rows out of the database each job
costs more than the join itself, so each server process keeps one copy and, before every job, reloads
only the rows whose ``updated_at`` is newer than the newest it holds (a full reload when the row count
says persons were removed).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, text

from padis.exchange.sources import read_persons

COLUMNS = (
    "person_id",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "status",
    "registered_division",
    "residence_division",
)


@dataclass
class _Copy:
    frame: pl.DataFrame
    count: int
    newest: Any


class RegisterCache:
    """One copy per database URL."""

    def __init__(self) -> None:
        self._copies: dict[str, _Copy] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every copy."""
        with self._lock:
            self._copies.clear()

    def get(self, engine: Engine) -> pl.DataFrame:
        """The current register (``COLUMNS``), reading only what changed since the last call."""
        key = engine.url.render_as_string(hide_password=False)
        with self._lock:
            with engine.connect() as conn:
                count, newest = conn.execute(text("SELECT COUNT(*), MAX(updated_at) FROM person")).one()
                have = self._copies.get(key)
                if have is not None and have.count == count and have.newest == newest:
                    return have.frame
                if have is None or newest is None or have.newest is None or count < have.count:
                    frame = read_persons(conn, COLUMNS)
                else:
                    changed = read_persons(
                        conn, COLUMNS, where="updated_at > :since", params={"since": have.newest}
                    )
                    changed = changed.with_columns(_key=id_key_expr())
                    frame = pl.concat(
                        [have.frame.join(changed.select("person_id"), on="person_id", how="anti"), changed]
                    )
                    if frame.height != count:
                        frame = read_persons(conn, COLUMNS)
            if "_key" not in frame.columns:
                frame = frame.with_columns(_key=id_key_expr())
            self._copies[key] = _Copy(frame, int(count), newest)
            return frame


def id_key_expr() -> pl.Expr:
    """The Int64 join key of the ``id_number`` column (see ``padis.verify.core.id_key``)."""
    from padis.verify.core import id_key

    return id_key(pl.col("id_number"))


REGISTER = RegisterCache()
