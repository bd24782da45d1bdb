"""The SQLite writer child: one batch transaction through ADBC, fed Arrow over stdin.

Run as ``python -m padis.store.sqlite_writer DATABASE`` by :class:`padis.store.bulk.SqliteChildSession`.
Messages on stdin: 4-byte header length, 8-byte payload length, JSON header, Arrow IPC payload. A JSON
line on stdout answers each ``execute`` and the ``commit``. End of input before ``commit`` (the parent
failed or was killed) rolls everything back. Only this child touches SQLite through ADBC: two SQLite
libraries in one process break each other's WAL locks.
"""

from __future__ import annotations

import contextlib
import json
import struct
import sys
from typing import Any

# No automatic checkpoint at the commit: the batch's pages are copied from the WAL into the database
# file after the parent has its answer (see ``_checkpoint``), as a server's background checkpointer would.
PRAGMAS = (
    "wal_autocheckpoint=0",
    "busy_timeout=30000",
    "foreign_keys=ON",
    "synchronous=NORMAL",
    "cache_size=-262144",
)


def _reply(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _read_exact(n: int) -> bytes:
    data = sys.stdin.buffer.read(n) if n else b""
    if len(data) < n:
        raise EOFError
    return data


def _message() -> tuple[dict[str, Any], bytes]:
    hlen, plen = struct.unpack("<IQ", _read_exact(12))
    return json.loads(_read_exact(hlen)), _read_exact(plen)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run(cur: Any, sql: str, params: list[Any] | None = None) -> list[Any]:
    cur.execute(sql, params) if params else cur.execute(sql)
    return cur.fetchall() if cur.description else []


def _write(cur: Any, msg: dict[str, Any], payload: bytes) -> None:
    import pyarrow.ipc as ipc

    table = ipc.open_stream(payload).read_all()
    if not msg["ignore"]:
        cur.adbc_ingest(msg["table"], table, mode="append")
        return
    cur.adbc_ingest("_padis_stage", table, mode="replace", temporary=True)
    cols = ", ".join(_quote(c) for c in table.column_names)
    _run(cur, f"INSERT OR IGNORE INTO {_quote(msg['table'])} ({cols}) SELECT {cols} FROM temp._padis_stage")
    _run(cur, "DROP TABLE temp._padis_stage")


def _checkpoint(cur: Any) -> None:
    """Copy the committed batch from the WAL into the database file (the parent no longer waits)."""
    # PASSIVE never blocks readers or writers; pages it cannot copy yet go at a later checkpoint.
    with contextlib.suppress(Exception):  # the batch is committed: a checkpoint that fails loses nothing
        _run(cur, "PRAGMA wal_checkpoint(PASSIVE)")


def _serve(cur: Any) -> bool:
    """Answer messages until ``commit`` (True) or the end of input (False)."""
    while True:
        try:
            msg, payload = _message()
        except EOFError:
            return False
        if msg["op"] == "execute":
            _reply({"rows": [list(r) for r in _run(cur, msg["sql"], msg["params"])]})
        elif msg["op"] == "write":
            _write(cur, msg, payload)
        elif msg["op"] == "commit":
            _run(cur, "COMMIT")
            _reply({"ok": True})
            _checkpoint(cur)
            return True


def main(database: str) -> int:
    """Wait for "open" (started early, connects only now), then serve one transaction."""
    try:
        _message()
    except EOFError:
        return 0
    import adbc_driver_sqlite.dbapi as adbc

    conn = adbc.connect(database, autocommit=True)
    cur = conn.cursor()
    committed = False
    try:
        for pragma in PRAGMAS:
            _run(cur, "PRAGMA " + pragma)
        _run(cur, "BEGIN IMMEDIATE")
        _reply({"ok": True})
        committed = _serve(cur)
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent as one message
        kind = "IntegrityError" if "constraint" in str(exc).lower() else type(exc).__name__
        with contextlib.suppress(BaseException):  # the parent may be gone: nothing to tell then
            _reply({"error": str(exc)[:2000], "kind": kind})
        return 1
    finally:
        if not committed:
            with contextlib.suppress(BaseException):  # no transaction left to roll back
                _run(cur, "ROLLBACK")
        cur.close()
        conn.close()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
