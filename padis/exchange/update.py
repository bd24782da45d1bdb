"""Update service: an agency authoritative for a field changes the register; anyone else raises a conflict.

"One data, one source": each change is recorded by the register as a source record of the agency
(``padis.register.updates``), so the register's rules decide: the field's authority updates the golden
record, its provenance and the change feed; a change from another agency becomes an open conflict for
staff and never overwrites an authoritative value. Golden rebuilds keep the change.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from padis.errors import InputError
from padis.exchange.sources import authority, person_fields
from padis.register.updates import FieldUpdate, record_updates
from padis.security.policy import Grant, PolicyDenied
from padis.standards.idnumber import check_id

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
    """What became of one change: applied | conflict | stale | unchanged | not_found."""

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


def apply_changes(
    engine: Engine, agency: str, grant: Grant, changes: list[Change], *, client: str | None = None
) -> list[ChangeOutcome]:
    """Hand the changes to the register as ``agency``'s claims; say per change what became of it.

    The register applies them as one small batch (``padis.register.updates``): authoritative values
    become golden (with provenance and a feed event), others open conflicts; a rebuild keeps both.
    """
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
    outcomes: dict[int, ChangeOutcome] = {}
    pending: list[tuple[int, FieldUpdate]] = []
    with engine.connect() as conn:
        for i, c in enumerate(changes):
            check = check_id(c.id_number)
            if not check.valid:
                outcomes[i] = ChangeOutcome(i, "not_found", detail=f"id invalid: {check.error}")
                continue
            row = conn.execute(
                text(
                    f"SELECT person_id, registered_division, residence_division, {c.field} AS cur"
                    " FROM person WHERE id_number = :i"
                ),
                {"i": check.normalized},
            ).first()
            if row is None:
                outcomes[i] = ChangeOutcome(i, "not_found")
                continue
            pid, reg_div, res_div, current = int(row[0]), row[1], row[2], row[3]
            if not (grant.covers(reg_div) or grant.covers(res_div)):
                raise PolicyDenied("division_not_allowed", "person outside the granted divisions")
            cur_text = current.isoformat()[:10] if isinstance(current, dt.date) else current
            if cur_text is not None and str(cur_text) == c.value:
                outcomes[i] = ChangeOutcome(i, "unchanged", pid)
                continue
            event_date = dt.date.fromisoformat(c.event_date) if c.event_date else None
            source_key = None if c.record_id is None else str(c.record_id)
            pending.append((i, FieldUpdate(pid, c.field, c.value, event_date, source_key)))
    # The register decides: the change becomes a source record of this agency and the person's golden
    # record is rebuilt by the same rules as collection (authority wins, others become conflicts).
    results = record_updates(engine, agency, [u for _, u in pending], client=client or agency)
    for (i, u), r in zip(pending, results, strict=True):
        detail = "" if r.outcome == "applied" else f"authority is {authority(u.field)}"
        outcomes[i] = ChangeOutcome(i, r.outcome, r.person_id, r.event_id, detail)
    return [outcomes[i] for i in range(len(changes))]


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
