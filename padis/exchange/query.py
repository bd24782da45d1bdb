"""Query service: one person by ID number, or by name + birth date + division → the granted fields only."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from padis.errors import InputError
from padis.exchange.sources import mask_value, scope_prefix
from padis.security.policy import Grant, PolicyDenied
from padis.standards.idnumber import check_id, mask_id

MAX_MATCHES = 50
_FAST = re.compile(r"^[0-9]{17}[0-9X]$")


@dataclass
class QueryResult:
    """The persons a query returns (already cut to the grant and masked) and their ids for audit."""

    persons: list[dict[str, Any]]
    person_ids: list[int] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _out(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return value


def _shape(row: dict[str, Any], grant: Grant) -> dict[str, Any]:
    return {f: mask_value(f, _out(row.get(f)), grant.clearance) for f in grant.fields}


def _in_grant(row: dict[str, Any], grant: Grant) -> bool:
    return grant.covers(row.get("registered_division")) or grant.covers(row.get("residence_division"))


def _columns(grant: Grant) -> str:
    cols = dict.fromkeys(("person_id", "registered_division", "residence_division", *grant.fields))
    return ", ".join(cols)


def query_by_id(engine: Engine, grant: Grant, id_number: str) -> QueryResult:
    """The person with this ID number, cut to ``grant`` (403 when outside its divisions)."""
    key = id_number.strip().upper()
    row = _lookup(engine, grant, key) if len(key) == 18 and _FAST.match(key) else None
    if row is None:
        # Only a miss pays for the full standards check: it tells "invalid" from "not in the register".
        check = check_id(id_number)
        if not check.valid:
            raise InputError("ID number is not valid", where="id_number", why=str(check.error))
        key = str(check.normalized)
        row = _lookup(engine, grant, key)
    summary = {"by": "id_number", "id_number": mask_id(key)}
    if row is None:
        return QueryResult([], [], {**summary, "found": 0})
    if not _in_grant(row, grant):
        raise PolicyDenied("division_not_allowed", "person outside the granted divisions")
    return QueryResult([_shape(row, grant)], [int(row["person_id"])], {**summary, "found": 1})


def _lookup(engine: Engine, grant: Grant, key: str) -> dict[str, Any] | None:
    # Driver-level SQL on the API's hot path, where SQLAlchemy's statement handling is most of the cost.
    mark = "%(i)s" if engine.dialect.name == "postgresql" else ":i"
    with engine.connect() as conn:
        result = conn.exec_driver_sql(
            f"SELECT {_columns(grant)} FROM person WHERE id_number = {mark}", {"i": key}
        )
        row = result.mappings().first()
    return dict(row) if row is not None else None


def query_by_name(engine: Engine, grant: Grant, name: str, birth_date: str, division: str) -> QueryResult:
    """Persons with this name and birth date in ``division`` (and in the grant's divisions)."""
    name = name.strip()
    if not name or len(name) > 64 or any(ord(ch) < 32 for ch in name):
        raise InputError("name must be 1-64 characters", where="name")
    try:
        born = dt.date.fromisoformat(birth_date)
    except ValueError as exc:
        raise InputError("birth date must be YYYY-MM-DD", where="birth_date", why=birth_date[:20]) from exc
    if not (division.isdigit() and len(division) in (6, 9, 12)):
        raise InputError("division must be a 6-, 9- or 12-digit code", where="division", why=division[:20])
    if not grant.covers(division):
        raise PolicyDenied("division_not_allowed", division)
    prefix = scope_prefix(division) + "%"
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    f"SELECT {_columns(grant)} FROM person WHERE name = :n AND birth_date = :b"
                    " AND (registered_division LIKE :p OR residence_division LIKE :p) LIMIT :lim"
                ),
                {"n": name, "b": born, "p": prefix, "lim": MAX_MATCHES},
            )
            .mappings()
            .all()
        )
    kept = [dict(r) for r in rows if _in_grant(dict(r), grant)]
    summary = {
        "by": "name",
        "name": mask_value("name", name, "public"),
        "birth_year": born.year,
        "division": division,
        "found": len(kept),
    }
    return QueryResult([_shape(r, grant) for r in kept], [int(r["person_id"]) for r in kept], summary)
