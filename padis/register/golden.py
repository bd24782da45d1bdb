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


class _FirstFieldOf(dict):  # type: ignore[type-arg]
    """Authority -> one golden field it is authoritative for (ranks depend only on the authority)."""

    def __missing__(self, agency: str) -> str:
        return next(f for f in GOLDEN_FIELDS if authority(f) == agency)


GOLDEN_FIELDS_BY_AUTH = _FirstFieldOf()


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


def _tail_expr(conn: Connection) -> str:
    """as_of (10) | received_at (26) | record_id (15): the fixed-width middle of every sort key."""
    as_of = f"COALESCE({_text(conn, 'event_date')}, {_text(conn, _as_date(conn, 'received_at'))})"
    if conn.dialect.name == "postgresql":
        received = "to_char(received_at, 'YYYY-MM-DD HH24:MI:SS.US')"
        return f"{as_of} || {received} || lpad(CAST(record_id AS TEXT), 15, '0')"
    return f"{as_of} || received_at || printf('%015d', record_id)"


def _key_expr(conn: Connection, field: str, value_col: str) -> str:
    """A fixed-width sort key with the value at the end: the MAX over a person's claims is the winner.

    Layout: rank digit (9 - rank, so larger is better) | as_of (10) | received_at (26) | record_id (15)
    | value. One grouped pass then picks every field's winner and carries it along.
    """
    as_of = f"COALESCE({_text(conn, 'event_date')}, {_text(conn, _as_date(conn, 'received_at'))})"
    if conn.dialect.name == "postgresql":
        received = "to_char(received_at, 'YYYY-MM-DD HH24:MI:SS.US')"
        rid = "lpad(CAST(record_id AS TEXT), 15, '0')"
    else:
        received = "received_at"
        rid = "printf('%015d', record_id)"
    rank = _rank(field)
    return (
        f"CASE WHEN {value_col} IS NOT NULL THEN CAST(9 - {rank} AS TEXT) || {as_of} || {received} || {rid} "
        f"|| {_text(conn, value_col)} END"
    )


def _decode(conn: Connection, field: str, key: str) -> dict[str, str]:
    """SQL pieces that read value, agency, record id and as-of date back out of a winning key."""
    order = [authority(field)] + [a for a in AGENCY_PRECEDENCE if a != authority(field)]
    agency = "CASE substr({k}, 1, 1) " + " ".join(
        f"WHEN '{9 - (i + 1)}' THEN '{a}'" for i, a in enumerate(order)
    )
    agency += " END"
    as_of = f"substr({key}, 2, 10)"
    value = f"substr({key}, 53)"
    if conn.dialect.name == "postgresql":
        as_of = f"CAST({as_of} AS DATE)"
        if field in DATE_COLUMNS:
            value = f"CAST({value} AS DATE)"
    return {
        "text": f"substr({key}, 53)",
        "value": value,
        "agency": agency.format(k=key),
        "record_id": f"CAST(substr({key}, 38, 15) AS BIGINT)",
        "as_of": as_of,
    }


def rebuild(conn: Connection, *, scoped: bool, now: dt.datetime) -> dict[str, int]:
    """Rebuild golden records (all, or the persons in temp table ``_scope``) and queue new conflicts."""
    from sqlalchemy import text

    where = " WHERE person_id IN (SELECT person_id FROM _scope)" if scoped else ""
    scope = " AND {col} IN (SELECT person_id FROM _scope)" if scoped else ""
    # Per row, the parts of the key shared by every field are built once (a materialised CTE, so
    # neither database re-computes them per field): one rank digit per distinct authority, and the
    # as_of | received_at | record_id tail.
    authorities = sorted({authority(f) for f in GOLDEN_FIELDS})
    ranks = ", ".join(f"CAST(9 - {_rank(GOLDEN_FIELDS_BY_AUTH[a])} AS TEXT) AS r_{a}" for a in authorities)
    tail = _tail_expr(conn)
    keys = ", ".join(
        f"MAX(CASE WHEN {f} IS NOT NULL THEN r_{authority(f)} || tail || {f} END) AS k_{f}"
        for f in GOLDEN_FIELDS
    )
    conn.exec_driver_sql("DROP TABLE IF EXISTS _golden")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE _golden AS WITH t AS MATERIALIZED (SELECT person_id, {ranks}, {tail} AS tail, "
        + ", ".join(f"{_text(conn, f)} AS {f}" for f in GOLDEN_FIELDS)
        + f" FROM source_record WHERE person_id IS NOT NULL{scope.format(col='person_id')}) "
        f"SELECT person_id, {keys} FROM t GROUP BY person_id"
    )
    # Both parties of a marriage registration get its marital status.
    marital = _key_expr(conn, "marital_status", "marital_status")
    conn.exec_driver_sql("DROP TABLE IF EXISTS _spouse")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE _spouse AS SELECT related_person_id AS person_id, MAX({marital}) AS k "
        "FROM source_record WHERE record_type = 'marriage' AND related_person_id IS NOT NULL "
        f"AND marital_status IS NOT NULL{scope.format(col='related_person_id')} GROUP BY related_person_id"
    )
    conn.exec_driver_sql(
        "INSERT INTO _golden (person_id) SELECT person_id FROM _spouse s "
        "WHERE NOT EXISTS (SELECT 1 FROM _golden g WHERE g.person_id = s.person_id)"
    )
    conn.exec_driver_sql(
        "UPDATE _golden SET k_marital_status = s.k FROM _spouse AS s WHERE s.person_id = _golden.person_id "
        "AND (_golden.k_marital_status IS NULL OR s.k > _golden.k_marital_status)"
    )
    conn.exec_driver_sql(f"DELETE FROM person_field{where}")
    conn.exec_driver_sql(f"DELETE FROM person{where}")
    values = ", ".join(_decode(conn, f, f"k_{f}")["value"] for f in GOLDEN_FIELDS)
    conn.execute(
        text(
            f"INSERT INTO person (person_id, {', '.join(GOLDEN_FIELDS)}, status, updated_at) "
            f"SELECT person_id, {values}, "
            "CASE WHEN k_death_date IS NOT NULL THEN 'deceased' ELSE 'active' END, :now FROM _golden"
        ),
        {"now": now},
    )
    for field in GOLDEN_FIELDS:
        d = _decode(conn, field, f"k_{field}")
        conn.exec_driver_sql(
            "INSERT INTO person_field (field, person_id, value, agency, record_id, as_of) "
            f"SELECT '{field}', person_id, {d['text']}, {d['agency']}, {d['record_id']}, {d['as_of']} "
            f"FROM _golden WHERE k_{field} IS NOT NULL"
        )
    _apply_accepted(conn, scope)
    new_conflicts = _queue_conflicts(conn, scope, now)
    persons = conn.exec_driver_sql(f"SELECT COUNT(*) FROM person{where}").scalar_one()
    for temp in ("_golden", "_spouse"):
        conn.exec_driver_sql(f"DROP TABLE {temp}")
    return {"persons": int(persons), "new_conflicts": new_conflicts}


def _apply_accepted(conn: Connection, scope: str) -> None:
    """Values staff accepted from the conflict queue outrank every source (latest decision wins)."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS _accepted")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE _accepted AS SELECT person_id, field, other_value, other_agency, record_id, "
        f"{_as_date(conn, 'resolved_at')} AS as_of FROM (SELECT person_id, field, other_value, other_agency, "
        "record_id, resolved_at, ROW_NUMBER() OVER (PARTITION BY person_id, field "
        "ORDER BY resolved_at DESC, conflict_id DESC) AS rn FROM conflict WHERE resolution = 'accepted'"
        + scope.format(col="person_id")
        + ") d WHERE rn = 1"
    )
    conn.exec_driver_sql(
        "UPDATE person_field SET value = a.other_value, agency = a.other_agency, record_id = a.record_id, "
        "as_of = a.as_of FROM _accepted AS a "
        "WHERE a.person_id = person_field.person_id AND a.field = person_field.field"
    )
    for field in GOLDEN_FIELDS:
        value = "a.other_value"
        if field in DATE_COLUMNS and conn.dialect.name == "postgresql":
            value = f"CAST({value} AS DATE)"
        conn.exec_driver_sql(
            f"UPDATE person SET {field} = {value} FROM _accepted AS a "
            f"WHERE a.person_id = person.person_id AND a.field = '{field}'"
        )
    conn.exec_driver_sql("DROP TABLE _accepted")


def _queue_conflicts(conn: Connection, scope: str, now: dt.datetime) -> int:
    """One open conflict per person, field and disagreeing value (persons with several agencies only)."""
    from sqlalchemy import text

    conn.exec_driver_sql("DROP TABLE IF EXISTS _multi")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE _multi AS SELECT person_id FROM ("
        "SELECT person_id, agency FROM source_record "
        f"WHERE person_id IS NOT NULL{scope.format(col='person_id')} "
        "UNION SELECT related_person_id, agency FROM source_record WHERE record_type = 'marriage' "
        f"AND related_person_id IS NOT NULL{scope.format(col='related_person_id')}"
        ") pa GROUP BY person_id HAVING COUNT(DISTINCT agency) > 1"
    )
    multi = " AND {col} IN (SELECT person_id FROM _multi)"
    total = 0
    for field in GOLDEN_FIELDS:
        total += int(
            conn.execute(
                text(
                    "INSERT INTO conflict (person_id, field, golden_value, golden_agency, other_value, "
                    "other_agency, record_id, status, created_at) "
                    f"SELECT c.person_id, '{field}', MAX(g.value), MAX(g.agency), c.value, MIN(c.agency), "
                    "MAX(c.record_id), 'open', :now "
                    f"FROM ({_field_claims(conn, field, multi)}) c "
                    f"JOIN person_field g ON g.field = '{field}' AND g.person_id = c.person_id "
                    "WHERE c.agency <> g.agency AND c.value <> g.value AND NOT EXISTS ("
                    f"SELECT 1 FROM conflict x WHERE x.person_id = c.person_id AND x.field = '{field}' "
                    "AND x.other_value = c.value) "
                    # The value staff overrode by accepting a conflict is not queued again.
                    "AND NOT EXISTS (SELECT 1 FROM conflict a WHERE a.person_id = c.person_id "
                    f"AND a.field = '{field}' AND a.resolution = 'accepted' AND a.golden_value = c.value) "
                    "GROUP BY c.person_id, c.value"
                ),
                {"now": now},
            ).rowcount
            or 0
        )
    conn.exec_driver_sql("DROP TABLE _multi")
    return total
