"""Golden records, built set-based in the database from every source record's claims.

Rule for each person-level field ("one data, one source", 一数一源):
1. a value staff accepted from the conflict queue wins;
2. else the field's authoritative agency (from the data dictionary), its most recent value;
3. else the agency first in ``AGENCY_PRECEDENCE``, its most recent value;
"most recent" = latest ``event_date`` (the date the record speaks for; receipt date when it has none),
then latest receipt, then highest record id. A claim from another agency that disagrees with the
chosen value becomes one open conflict per person, field and value — never an overwrite.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from padis.collect.models import DATE_COLUMNS, PERSON_COLUMNS
from padis.standards.dictionary import get_dictionary

# After the authoritative agency: who is trusted next for person-level facts (documented rule).
AGENCY_PRECEDENCE: tuple[str, ...] = (
    "public_security",
    "civil_affairs",
    "health",
    "pfp",
    "hrss",
    "education",
    "statistics",
    "node",
)
GOLDEN_FIELDS: tuple[str, ...] = PERSON_COLUMNS


def authority(field: str) -> str:
    """The authoritative agency of a golden field."""
    return get_dictionary().authority(field)


def _text(conn: Connection, col: str) -> str:
    return f"CAST({col} AS TEXT)" if conn.dialect.name == "postgresql" else col


def _as_date(conn: Connection, expr: str) -> str:
    return f"CAST({expr} AS DATE)" if conn.dialect.name == "postgresql" else f"DATE({expr})"


def _rank(field: str) -> str:
    order = [authority(field)] + [a for a in AGENCY_PRECEDENCE if a != authority(field)]
    whens = " ".join(f"WHEN '{a}' THEN {i + 1}" for i, a in enumerate(order))
    return f"CASE agency {whens} ELSE {len(order) + 1} END"


def _field_claims(conn: Connection, field: str, scope: str) -> str:
    """The claims on one field: each record's typed column (and a marriage's second party)."""
    as_of = f"COALESCE(event_date, {_as_date(conn, 'received_at')})"
    sql = (
        f"SELECT person_id, {_text(conn, field)} AS value, agency, record_id, {as_of} AS as_of, received_at, "
        f"{_rank(field)} AS pri FROM source_record WHERE person_id IS NOT NULL AND {field} IS NOT NULL"
        + scope.format(col="person_id")
    )
    if field == "marital_status":
        # Both parties of a marriage registration get its marital status.
        sql += (
            f" UNION ALL SELECT related_person_id, marital_status, agency, record_id, {as_of}, received_at, "
            f"{_rank(field)} FROM source_record WHERE record_type = 'marriage' "
            "AND related_person_id IS NOT NULL AND marital_status IS NOT NULL"
            + scope.format(col="related_person_id")
        )
    return sql


def _best_sql(conn: Connection, field: str, scope: str) -> str:
    """One row per person: the claim that wins ``field`` (rank, then most recent)."""
    claims = _field_claims(conn, field, scope)
    if conn.dialect.name == "postgresql":
        return (
            f"SELECT DISTINCT ON (person_id) person_id, '{field}', value, agency, record_id, as_of "
            f"FROM ({claims}) c "
            "ORDER BY person_id, pri, as_of DESC, received_at DESC, record_id DESC"
        )
    # SQLite: MAX() over one fixed-width sort key picks the winning row's bare columns in a single
    # grouped pass (no window sort); the key inverts the rank so that larger is better throughout.
    key = "(9 - pri) || as_of || received_at || printf('%015d', record_id)"
    return (
        f"SELECT person_id, '{field}', value, agency, record_id, as_of FROM ("
        f"SELECT person_id, value, agency, record_id, as_of, MAX({key}) FROM ({claims}) GROUP BY person_id)"
    )


def rebuild(conn: Connection, *, scoped: bool, now: dt.datetime) -> dict[str, int]:
    """Rebuild golden records (all, or the persons in temp table ``_scope``) and queue new conflicts."""
    from sqlalchemy import text

    where = " WHERE person_id IN (SELECT person_id FROM _scope)" if scoped else ""
    scope = " AND {col} IN (SELECT person_id FROM _scope)" if scoped else ""
    conn.exec_driver_sql(f"DELETE FROM person_field{where}")
    conn.exec_driver_sql(f"DELETE FROM person{where}")
    for field in GOLDEN_FIELDS:
        conn.exec_driver_sql(
            "INSERT INTO person_field (person_id, field, value, agency, record_id, as_of) "
            + _best_sql(conn, field, scope)
        )
    # Staff decisions from the conflict queue outrank every source (the latest decision per field).
    conn.exec_driver_sql(
        "UPDATE person_field SET value = a.other_value, agency = a.other_agency, record_id = a.record_id, "
        f"as_of = {_as_date(conn, 'a.resolved_at')} FROM (SELECT person_id, field, other_value, "
        "other_agency, record_id, resolved_at, ROW_NUMBER() OVER (PARTITION BY person_id, field "
        "ORDER BY resolved_at DESC, conflict_id DESC) AS rn FROM conflict WHERE resolution = 'accepted'"
        + scope.format(col="person_id")
        + ") a WHERE a.rn = 1 AND a.person_id = person_field.person_id AND a.field = person_field.field"
    )
    cols = []
    for field in GOLDEN_FIELDS:
        pick = f"MAX(CASE WHEN field = '{field}' THEN value END)"
        if field in DATE_COLUMNS and conn.dialect.name == "postgresql":
            pick = f"CAST({pick} AS DATE)"
        cols.append(pick)
    death = "MAX(CASE WHEN field = 'death_date' THEN 1 ELSE 0 END)"
    params = {"now": now}
    conn.execute(
        text(
            f"INSERT INTO person (person_id, {', '.join(GOLDEN_FIELDS)}, status, updated_at) "
            f"SELECT person_id, {', '.join(cols)}, "
            f"CASE WHEN {death} = 1 THEN 'deceased' ELSE 'active' END, :now "
            f"FROM person_field{where} GROUP BY person_id"
        ),
        params,
    )
    new_conflicts = 0
    for field in GOLDEN_FIELDS:
        new_conflicts += int(
            conn.execute(
                text(
                    "INSERT INTO conflict (person_id, field, golden_value, golden_agency, other_value, "
                    "other_agency, record_id, status, created_at) "
                    f"SELECT c.person_id, '{field}', MAX(g.value), MAX(g.agency), c.value, MIN(c.agency), "
                    "MAX(c.record_id), 'open', :now "
                    f"FROM ({_field_claims(conn, field, scope)}) c "
                    f"JOIN person_field g ON g.person_id = c.person_id AND g.field = '{field}' "
                    "WHERE c.agency <> g.agency AND c.value <> g.value AND NOT EXISTS ("
                    f"SELECT 1 FROM conflict x WHERE x.person_id = c.person_id AND x.field = '{field}' "
                    "AND x.other_value = c.value) "
                    # The value staff overrode by accepting a conflict is not queued again.
                    "AND NOT EXISTS (SELECT 1 FROM conflict a WHERE a.person_id = c.person_id "
                    f"AND a.field = '{field}' AND a.resolution = 'accepted' AND a.golden_value = c.value) "
                    "GROUP BY c.person_id, c.value"
                ),
                params,
            ).rowcount
            or 0
        )
    persons = conn.exec_driver_sql(f"SELECT COUNT(*) FROM person{where}").scalar_one()
    return {"persons": int(persons), "new_conflicts": new_conflicts}
