"""The append-only, tamper-evident audit log: a SHA-256 hash chain with an HMAC-signed head.

Each entry's ``hash`` is SHA-256 over ``prev_hash`` and the canonical JSON of the entry (sorted keys,
no spaces, UTF-8). The persons an entry sent out are kept in ``audit_person`` (or, for a batch job,
compressed in ``audit_blob``) and bound into the chain through ``persons_digest`` (SHA-256 of the
sorted ids) and ``person_count``. ``audit_head`` holds
the last seq and hash signed with the node key, so cutting entries off the end is detected too.
Requests record entries into a buffer that a background flusher writes in batches (one transaction
per batch): the chain stays strictly sequential across worker processes through a write lock taken
before the head is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Engine, text

from padis.exchange.sources import now_iso
from padis.security.tokens import signing_key

GENESIS = "0" * 64
HASHED = (
    "seq",
    "ts",
    "actor",
    "client",
    "user_name",
    "purpose",
    "action",
    "request",
    "person_count",
    "persons_digest",
    "result",
)
BLOB_OVER = 1000  # entries with more persons keep them in audit_blob instead of audit_person rows
_PG_LOCK_KEY = 0x5041444953  # "PADIS": advisory lock serialising chain appends


_EMPTY_IDS = np.empty(0, dtype=np.int64)


def unique_ids(person_ids: Any) -> np.ndarray:
    """Sorted unique person ids as int64."""
    if person_ids is None or len(person_ids) == 0:
        return _EMPTY_IDS
    if len(person_ids) < 256:  # a query's handful of ids: plain Python beats NumPy's call overhead
        return np.array(sorted({int(i) for i in person_ids}), dtype=np.int64)
    # Sort + neighbour compare: NumPy 2.4's np.unique is ~10x slower on a million ids.
    ids = np.sort(np.asarray(person_ids, dtype=np.int64))
    return ids[np.concatenate(([True], ids[1:] != ids[:-1]))]


def persons_digest(person_ids: Any) -> str:
    """SHA-256 over the sorted unique person ids as little-endian int64 bytes."""
    return hashlib.sha256(unique_ids(person_ids).astype("<i8").tobytes()).hexdigest()


def pack_ids(ids: np.ndarray) -> bytes:
    """Sorted ids → zlib of their int64 deltas (a million ids pack into a few hundred KB)."""
    return zlib.compress(np.diff(ids, prepend=np.int64(0)).astype("<i8").tobytes(), 1)


def unpack_ids(blob: bytes) -> np.ndarray:
    """The inverse of ``pack_ids``."""
    return np.cumsum(np.frombuffer(zlib.decompress(blob), dtype="<i8"))


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """The chain hash of ``entry`` after ``prev_hash``."""
    body = json.dumps(
        {k: entry[k] for k in HASHED}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def sign_head(seq: int, digest: str) -> str:
    """HMAC-SHA256 of the chain head under the node key."""
    return hmac.new(signing_key(), f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Pending:
    """An entry waiting for its seq and hash."""

    fields: dict[str, Any]
    person_ids: np.ndarray


def make_entry(
    *,
    actor: str,
    client: str | None,
    user: str | None,
    purpose: str | None,
    action: str,
    request: dict[str, Any],
    person_ids: Any,
    result: str,
) -> Pending:
    """An audit entry (request summary must hold no clear-text ids or names: pass masked values)."""
    ids = unique_ids(person_ids)
    digest = hashlib.sha256(ids.astype("<i8").tobytes()).hexdigest()
    return Pending(
        {
            "ts": now_iso(),
            "actor": actor,
            "client": client,
            "user_name": user,
            "purpose": (purpose or None) and purpose[:128],
            "action": action,
            "request": json.dumps(request, sort_keys=True, ensure_ascii=False, default=str)[:4000],
            "person_count": len(ids),
            "persons_digest": digest,
            "result": result[:64],
        },
        ids,
    )


def _lock_chain(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    else:
        # A write first takes SQLite's RESERVED lock, so no other writer can read the same head.
        conn.execute(text("UPDATE audit_head SET id = id WHERE id = 1"))


def append(conn: Connection, entries: list[Pending]) -> int:
    """Chain and insert ``entries`` in the connection's transaction; returns the last seq."""
    if not entries:
        return 0
    _lock_chain(conn)
    last = conn.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
    seq, prev = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    rows: list[dict[str, Any]] = []
    persons: list[dict[str, int]] = []
    blobs: list[dict[str, Any]] = []
    for e in entries:
        seq += 1
        row = {**e.fields, "seq": seq, "prev_hash": prev}
        row["hash"] = prev = entry_hash(prev, row)
        rows.append(row)
        if len(e.person_ids) > BLOB_OVER:
            blobs.append({"seq": seq, "n": len(e.person_ids), "ids": pack_ids(e.person_ids)})
        else:
            persons.extend({"seq": seq, "person_id": int(pid)} for pid in e.person_ids)
    conn.execute(
        text(
            "INSERT INTO audit_log (seq, ts, actor, client, user_name, purpose, action, request,"
            " person_count, persons_digest, result, prev_hash, hash)"
            " VALUES (:seq, :ts, :actor, :client, :user_name,"
            " :purpose, :action, :request, :person_count, :persons_digest, :result, :prev_hash, :hash)"
        ),
        rows,
    )
    if persons:
        conn.execute(text("INSERT INTO audit_person (seq, person_id) VALUES (:seq, :person_id)"), persons)
    if blobs:
        conn.execute(text("INSERT INTO audit_blob (seq, person_count, ids) VALUES (:seq, :n, :ids)"), blobs)
    params = {"seq": seq, "hash": prev, "sig": sign_head(seq, prev), "ts": now_iso()}
    updated = conn.execute(
        text("UPDATE audit_head SET seq = :seq, hash = :hash, signature = :sig, ts = :ts WHERE id = 1"),
        params,
    ).rowcount
    if not updated:
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash, signature, ts) VALUES (1, :seq, :hash, :sig, :ts)"),
            params,
        )
    return seq


class AuditLog:
    """Collects entries and writes them in batches (``sync=True``: every entry at once)."""

    def __init__(self, engine: Engine, *, sync: bool = False, interval_s: float = 0.05) -> None:
        self.engine = engine
        self.sync = sync
        self.interval_s = interval_s
        self._buffer: list[Pending] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, entry: Pending) -> None:
        """Queue one entry (written before the next flush returns)."""
        with self._lock:
            self._buffer.append(entry)
        if self.sync:
            self.flush()

    def flush(self) -> int:
        """Write every queued entry; returns how many were written."""
        with self._flush_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return 0
            try:
                with self.engine.begin() as conn:
                    append(conn, batch)
            except Exception:
                with self._lock:  # keep them for the next try rather than lose audit entries
                    self._buffer[:0] = batch
                raise
            return len(batch)

    def start(self) -> None:
        """Start the background flusher thread."""
        if self.sync or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="padis-audit", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            with contextlib.suppress(Exception):  # retried next tick; entries stay buffered
                self.flush()

    def stop(self) -> None:
        """Stop the flusher and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()


@dataclass
class ChainReport:
    """The outcome of ``verify_chain``."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(engine: Engine, *, chunk: int = 20_000) -> ChainReport:
    """Recompute the chain; report the first edited, inserted or deleted entry."""
    cols = ", ".join((*HASHED, "prev_hash", "hash"))
    expected_seq, prev, count = 1, GENESIS, 0
    with engine.connect() as conn:
        digests = _person_digests(conn)
        after = 0
        while True:
            rows = (
                conn.execute(
                    text(f"SELECT {cols} FROM audit_log WHERE seq > :after ORDER BY seq LIMIT :n"),
                    {"after": after, "n": chunk},
                )
                .mappings()
                .all()
            )
            if not rows:
                break
            for r in rows:
                entry = dict(r)
                seq = int(entry["seq"])
                if seq != expected_seq:
                    kind = "deleted" if seq > expected_seq else "inserted"
                    return ChainReport(
                        False, count, expected_seq, f"entry {kind}: expected seq {expected_seq}"
                    )
                if entry["prev_hash"] != prev:
                    return ChainReport(
                        False, count, seq, "link broken: prev_hash does not match (inserted/deleted)"
                    )
                if entry_hash(prev, entry) != entry["hash"]:
                    return ChainReport(False, count, seq, "entry edited: hash does not match its content")
                have_count, have_digest = digests.pop(seq, (0, EMPTY_DIGEST))
                if have_count != entry["person_count"] or have_digest != entry["persons_digest"]:
                    return ChainReport(False, count, seq, "persons of this entry were edited")
                prev, expected_seq, count = entry["hash"], seq + 1, count + 1
            after = int(rows[-1]["seq"])
        if digests:
            seq = min(digests)
            return ChainReport(False, count, seq, "person rows for an entry that does not exist")
        head = conn.execute(text("SELECT seq, hash, signature FROM audit_head WHERE id = 1")).first()
    if head is None:
        if count == 0:
            return ChainReport(True, 0)
        return ChainReport(False, count, count, "chain head missing")
    if not hmac.compare_digest(sign_head(int(head[0]), str(head[1])), str(head[2])):
        return ChainReport(False, count, int(head[0]), "chain head signature invalid")
    if int(head[0]) != count or str(head[1]) != prev:
        return ChainReport(False, count, count + 1, f"entries deleted at the end: head says seq {head[0]}")
    return ChainReport(True, count)


EMPTY_DIGEST = persons_digest([])


def _person_digests(conn: Connection) -> dict[int, tuple[int, str]]:
    from padis.store.bulk import read_polars

    frame = read_polars(
        conn, "SELECT seq, person_id FROM audit_person", schema={"seq": pl.Int64, "person_id": pl.Int64}
    )
    out: dict[int, tuple[int, str]] = {}
    if not frame.is_empty():
        grouped = frame.sort("seq", "person_id").group_by("seq", maintain_order=True).agg(pl.col("person_id"))
        for seq, ids in grouped.iter_rows():
            out[int(seq)] = (len(ids), persons_digest(ids))
    for seq, n, blob in conn.execute(text("SELECT seq, person_count, ids FROM audit_blob")):
        ids = unpack_ids(bytes(blob))
        digest = persons_digest(ids)
        if int(seq) in out or len(ids) != int(n):
            digest = "mismatch"
        out[int(seq)] = (len(ids), digest)
    return out


def person_accesses(engine: Engine, person_id: int, *, limit: int = 1000) -> list[dict[str, Any]]:
    """Who accessed this person's data, when and why (newest first)."""
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT l.seq, l.ts, l.actor, l.client, l.user_name, l.purpose, l.action, l.result"
                    " FROM audit_person p JOIN audit_log l ON l.seq = p.seq WHERE p.person_id = :pid"
                    " ORDER BY l.seq DESC LIMIT :n"
                ),
                {"pid": person_id, "n": limit},
            )
            .mappings()
            .all()
        )
    found = [dict(r) for r in rows]
    with engine.connect() as conn:
        blob_seqs = [
            int(seq)
            for seq, blob in conn.execute(text("SELECT seq, ids FROM audit_blob"))
            if _contains(unpack_ids(bytes(blob)), person_id)
        ]
        for seq in blob_seqs:
            r = (
                conn.execute(
                    text(
                        "SELECT seq, ts, actor, client, user_name, purpose, action, result FROM audit_log"
                        " WHERE seq = :s"
                    ),
                    {"s": seq},
                )
                .mappings()
                .first()
            )
            if r is not None:
                found.append(dict(r))
    return sorted(found, key=lambda r: -int(r["seq"]))[:limit]


def _contains(ids: np.ndarray, value: int) -> bool:
    i = int(np.searchsorted(ids, value))
    return i < len(ids) and int(ids[i]) == value


def tail(engine: Engine, n: int = 20) -> list[dict[str, Any]]:
    """The last ``n`` audit entries (newest first)."""
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT seq, ts, actor, client, user_name, purpose, action, person_count, result"
                    " FROM audit_log ORDER BY seq DESC LIMIT :n"
                ),
                {"n": n},
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]
