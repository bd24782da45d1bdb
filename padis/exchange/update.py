"""Update service: an agency authoritative for a field changes the register; anyone else raises a conflict.

"One data, one source": a change from the field's authority updates the golden record, its
provenance and the change feed in one transaction; a change from another agency is stored as an
open conflict for staff and never overwrites the golden value.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from padis.errors import InputError
from padis.exchange.sources import authority, person_fields, write_change
from padis.security.policy import Grant, PolicyDenied
from padis.standards.idnumber import check_id, mask_id

UPDATABLE = (
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
)
EVENT_OF_FIELD = {
    "death_date": "death",
    "marital_status": "marriage",
    "residence_division": "move",
    "registered_division": "hukou_transfer",
}
DATE_FIELDS = ("birth_date", "death_date")


@dataclass(frozen=True)
class Change:
    """One field change an agency reports about one person."""

    id_number: str
    field: str
    value: str
    event_date: str | None = None
    record_id: int | None = None


@dataclass(frozen=True)
class ChangeOutcome:
    """What became of one change: applied | conflict | unchanged | not_found."""

    index: int
    outcome: str
    person_id: int | None = None
    event_id: str | None = None
    detail: str = ""


def _value(field: str, value: str) -> Any:
    if field in DATE_FIELDS:
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise InputError("date must be YYYY-MM-DD", where=field, why=value[:20]) from exc
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def apply_changes(engine: Engine, agency: str, grant: Grant, changes: list[Change]) -> list[ChangeOutcome]:
    """Apply each change (authoritative) or record a conflict (not authoritative), all in one transaction."""
    known = person_fields()
    for i, c in enumerate(changes):
        if c.field not in UPDATABLE or c.field not in known:
            raise InputError(
                f"field {c.field!r} cannot be updated",
                where=f"changes[{i}]",
                why="updatable: " + ", ".join(UPDATABLE),
            )
        if c.field not in grant.fields:
            raise PolicyDenied("field_not_allowed", c.field)
        _value(c.field, c.value)
    outcomes: list[ChangeOutcome] = []
    with engine.begin() as conn:
        for i, c in enumerate(changes):
            check = check_id(c.id_number)
            if not check.valid:
                outcomes.append(ChangeOutcome(i, "not_found", detail=f"id invalid: {check.error}"))
                continue
            row = conn.execute(
                text(
                    f"SELECT person_id, registered_division, residence_division, {c.field} AS cur"
                    " FROM person WHERE id_number = :i"
                ),
                {"i": check.normalized},
            ).first()
            if row is None:
                outcomes.append(ChangeOutcome(i, "not_found"))
                continue
            pid, reg_div, res_div, current = int(row[0]), row[1], row[2], row[3]
            if not (grant.covers(reg_div) or grant.covers(res_div)):
                raise PolicyDenied("division_not_allowed", "person outside the granted divisions")
            cur_text = current.isoformat()[:10] if isinstance(current, dt.date) else current
            if cur_text is not None and str(cur_text) == c.value:
                outcomes.append(ChangeOutcome(i, "unchanged", pid))
                continue
            if authority(c.field) != agency:
                golden_agency = conn.execute(
                    text("SELECT agency FROM person_field WHERE person_id = :p AND field = :f"),
                    {"p": pid, "f": c.field},
                ).scalar()
                conn.execute(
                    text(
                        "INSERT INTO conflict (person_id, field, golden_value, golden_agency, other_value,"
                        " other_agency, record_id, status, created_at) VALUES (:p, :f, :gv, :ga, :ov, :oa,"
                        " :rid, 'open', :at)"
                    ),
                    {
                        "p": pid,
                        "f": c.field,
                        "gv": None if cur_text is None else str(cur_text),
                        "ga": golden_agency or authority(c.field),
                        "ov": c.value,
                        "oa": agency,
                        "rid": c.record_id,
                        "at": _now(),
                    },
                )
                outcomes.append(
                    ChangeOutcome(i, "conflict", pid, detail=f"authority is {authority(c.field)}")
                )
                continue
            sets = {c.field: _value(c.field, c.value), "updated_at": _now()}
            if c.field == "death_date":
                sets["status"] = "deceased"
            assignments = ", ".join(f"{k} = :{k}" for k in sets)
            conn.execute(
                text(f"UPDATE person SET {assignments} WHERE person_id = :pid"), {**sets, "pid": pid}
            )
            as_of = dt.date.fromisoformat(c.event_date) if c.event_date else dt.date.today()
            params = {"p": pid, "f": c.field, "v": c.value, "a": agency, "r": c.record_id, "o": as_of}
            done = conn.execute(
                text(
                    "UPDATE person_field SET value = :v, agency = :a, record_id = :r, as_of = :o"
                    " WHERE person_id = :p AND field = :f"
                ),
                params,
            ).rowcount
            if not done:
                conn.execute(
                    text(
                        "INSERT INTO person_field (person_id, field, value, agency, record_id, as_of)"
                        " VALUES (:p, :f, :v, :a, :r, :o)"
                    ),
                    params,
                )
            division = res_div if c.field != "registered_division" else reg_div
            if c.field in ("residence_division", "registered_division"):
                division = c.value
            event_id = write_change(
                conn,
                event_type=EVENT_OF_FIELD.get(c.field, "update"),
                person_id=pid,
                division=division,
                event_date=c.event_date or (c.value if c.field == "death_date" else None),
                payload={
                    "field": c.field,
                    "value": c.value,
                    "previous": cur_text,
                    "agency": agency,
                    "id_number": mask_id(check.normalized),
                },
            )
            outcomes.append(ChangeOutcome(i, "applied", pid, event_id))
    return outcomes


def changes_from_json(items: list[dict[str, Any]]) -> list[Change]:
    """Parse a list of change objects (id_number, field, value[, event_date, record_id])."""
    out = []
    for i, it in enumerate(items):
        try:
            out.append(
                Change(
                    str(it["id_number"]),
                    str(it["field"]),
                    str(it["value"]),
                    it.get("event_date"),
                    it.get("record_id"),
                )
            )
        except (KeyError, TypeError) as exc:
            raise InputError("each change needs id_number, field and value", where=f"changes[{i}]") from exc
    return out


def summary(outcomes: list[ChangeOutcome]) -> dict[str, int]:
    """Count of outcomes by kind."""
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    return json.loads(json.dumps(counts))
