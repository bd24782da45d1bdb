"""The conflict queue: list, resolve (accept / reject / return to the agency), export discrepancies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, text

from padis.errors import InputError
from padis.register.golden import rebuild
from padis.register.service import utcnow

CHUNK = 500  # conflict ids per statement (SQLite allows 32,766 parameters; keep statements small)
ACTIONS = {
    "accept": ("resolved", "accepted"),
    "reject": ("resolved", "rejected"),
    "return": ("returned", "returned"),
}


def list_conflicts(
    engine: Engine,
    *,
    status: str | None = "open",
    field: str | None = None,
    agency: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Conflicts in the queue, oldest first."""
    where, params = ["1 = 1"], {"limit": limit}
    for col, value in (("status", status), ("field", field), ("other_agency", agency)):
        if value:
            where.append(f"{col} = :{col}")
            params[col] = value
    sql = f"SELECT * FROM conflict WHERE {' AND '.join(where)} ORDER BY conflict_id LIMIT :limit"
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def resolve_conflict(
    engine: Engine, conflict_id: int, action: str, *, note: str | None = None, by: str | None = None
) -> dict[str, Any]:
    """Settle one open conflict; ``by``: who decided (kept with the decision).

    ``accept``: staff take the other agency's value (the golden record is rebuilt with it);
    ``reject``: the golden value stands; ``return``: sent back to the other agency as a discrepancy.
    """
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status FROM conflict WHERE conflict_id = :c"), {"c": conflict_id}
        ).first()
    if row is None:
        raise InputError("no such conflict", where=f"conflict {conflict_id}")
    if row[0] != "open":
        raise InputError("conflict is not open", where=f"conflict {conflict_id}", why=f"status {row[0]}")
    if not resolve_conflicts(engine, [conflict_id], action, note=note, by=by):  # settled meanwhile
        raise InputError("conflict is not open", where=f"conflict {conflict_id}", why="settled just now")
    status, resolution = ACTIONS[action]
    return {"conflict_id": conflict_id, "status": status, "resolution": resolution, "resolved_by": by}


def resolve_conflicts(
    engine: Engine, conflict_ids: list[int], action: str, *, note: str | None = None, by: str | None = None
) -> list[int]:
    """Settle the still-open conflicts among ``conflict_ids`` in one transaction; returns their persons.

    Accepted values are applied by one scoped rebuild of the persons concerned.
    """
    if action not in ACTIONS:
        raise InputError(f"unknown action {action!r}", why=f"one of {', '.join(ACTIONS)}")
    status, resolution = ACTIONS[action]
    now = utcnow()
    persons: list[int] = []
    with engine.begin() as conn:
        for start in range(0, len(conflict_ids), CHUNK):
            chunk = [int(c) for c in conflict_ids[start : start + CHUNK]]
            marks = ", ".join(f":c{i}" for i in range(len(chunk)))
            params = {f"c{i}": c for i, c in enumerate(chunk)}
            found = conn.execute(
                text(f"SELECT person_id FROM conflict WHERE status = 'open' AND conflict_id IN ({marks})"),
                params,
            ).all()
            persons += [int(r[0]) for r in found]
            conn.execute(
                text(
                    "UPDATE conflict SET status = :s, resolution = :r, note = :n, resolved_at = :t, "
                    f"resolved_by = :by WHERE status = 'open' AND conflict_id IN ({marks})"
                ),
                {**params, "s": status, "r": resolution, "n": note, "t": now, "by": by},
            )
        if action == "accept" and persons:
            conn.exec_driver_sql("DROP TABLE IF EXISTS _scope")
            conn.exec_driver_sql("CREATE TEMP TABLE _scope (person_id BIGINT PRIMARY KEY)")
            conn.execute(
                text("INSERT INTO _scope (person_id) VALUES (:p)"), [{"p": p} for p in sorted(set(persons))]
            )
            rebuild(conn, scoped=True, now=now)
            conn.exec_driver_sql("DROP TABLE _scope")
    return sorted(set(persons))


def returned_to(
    engine: Engine, agency: str, *, after: int = 0, limit: int | None = None
) -> list[dict[str, Any]]:
    """The conflicts returned to ``agency`` (its record, its value, the register's), by conflict id.

    Each also names the person and their registered division, for callers that scope what they show.
    """
    sql = (
        "SELECT c.conflict_id, s.source_key, s.batch_id, s.row_number, c.field, c.other_value AS your_value, "
        "c.golden_value AS register_value, c.golden_agency AS register_source, c.note, c.resolved_at, "
        "c.person_id, p.registered_division "
        "FROM conflict c LEFT JOIN source_record s ON s.record_id = c.record_id "
        "LEFT JOIN person p ON p.person_id = c.person_id "
        "WHERE c.status = 'returned' AND c.other_agency = :a AND c.conflict_id > :after "
        "ORDER BY c.conflict_id" + (" LIMIT :n" if limit is not None else "")
    )
    with engine.connect() as conn:
        return [
            dict(r) for r in conn.execute(text(sql), {"a": agency, "after": after, "n": limit}).mappings()
        ]


def export_discrepancies(engine: Engine, agency: str, path: Path) -> int:
    """Write the conflicts returned to ``agency`` as CSV (UTF-8 BOM for Excel); return the count."""
    rows = [
        {k: v for k, v in r.items() if k not in ("person_id", "registered_division")}
        for r in returned_to(engine, agency)
    ]
    frame = (
        pl.DataFrame(rows, infer_schema_length=None)
        if rows
        else pl.DataFrame(
            schema=dict.fromkeys(
                [
                    "conflict_id",
                    "source_key",
                    "batch_id",
                    "row_number",
                    "field",
                    "your_value",
                    "register_value",
                    "register_source",
                    "note",
                    "resolved_at",
                ],
                pl.String,
            )
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, include_bom=True)
    return len(rows)
