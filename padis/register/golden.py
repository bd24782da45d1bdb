"""Golden records, built set-based in the database from every source record's claims.

Rule for each person-level field ("one data, one source", 一数一源):
1. a value staff accepted from the conflict queue wins;
2. else the field's authoritative agency (from the data dictionary), its most recent value;
3. else the agency first in ``AGENCY_PRECEDENCE``, its most recent value;
"most recent" = latest ``event_date`` (the date the record speaks for; its receipt date when it has
none), then latest arrival (highest record id). A claim from another agency that disagrees with the
chosen value becomes one open conflict per person, field and value — never an overwrite.

Each golden field keeps its provenance as the id of the record it came from (``person.<field>_record``);
the agency and date come from that record (view ``person_field``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

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

# A claim's sort key packs (rank, as-of day, record id) into one 63-bit integer, so the best claim
# per person and field is a plain MAX (integer, not string, comparisons) and carries its record id:
# bits 57-62: 16 - rank (rank 1 = best); bits 40-56: days since 1800-01-01; bits 0-39: record id.
RECORD_BITS = 40
DAY_BITS = 17
RANK_SHIFT = RECORD_BITS + DAY_BITS
RECORD_MASK = (1 << RECORD_BITS) - 1
MAX_DAY = (1 << DAY_BITS) - 1
EPOCH = "1800-01-01"


def authority(field: str) -> str:
    """The authoritative agency of a golden field."""
    return get_dictionary().authority(field)


def record_column(field: str) -> str:
    """The ``person`` column holding the id of the source record a golden field came from."""
    return f"{field}_record"


def _text(conn: Connection, col: str) -> str:
    return f"CAST({col} AS TEXT)" if conn.dialect.name == "postgresql" else col


def _order(field: str) -> list[str]:
    return [authority(field)] + [a for a in AGENCY_PRECEDENCE if a != authority(field)]


def _rank(field: str) -> str:
    order = _order(field)
    whens = " ".join(f"WHEN '{a}' THEN {i + 1}" for i, a in enumerate(order))
    return f"CASE agency {whens} ELSE {len(order) + 1} END"


def _days(conn: Connection) -> str:
    """Days from the epoch to the claim's as-of date (event date, else receipt date), clamped."""
    if conn.dialect.name == "postgresql":
        days = f"(COALESCE(event_date, CAST(received_at AS DATE)) - DATE '{EPOCH}')"
        return f"GREATEST(0, LEAST({MAX_DAY}, {days}))"
    days = f"CAST(COALESCE(julianday(event_date), julianday(received_at)) - julianday('{EPOCH}') AS INTEGER)"
    return f"MAX(0, MIN({MAX_DAY}, {days}))"


def _key(conn: Connection, field: str) -> str:
    """The packed sort key of a claim on ``field`` (depends on the field only through its authority)."""
    return (
        f"(CAST(16 - {_rank(field)} AS BIGINT) * {1 << RANK_SHIFT} "
        f"+ CAST({_days(conn)} AS BIGINT) * {1 << RECORD_BITS} + record_id)"
    )


def _field_claims(conn: Connection, field: str, scope: str) -> str:
    """The claims on one field: each record's typed column (and a marriage's second party)."""
    sql = (
        f"SELECT person_id, {_text(conn, field)} AS value, agency, record_id FROM source_record "
        f"WHERE person_id IS NOT NULL AND {field} IS NOT NULL" + scope.format(col="person_id")
    )
    if field == "marital_status":
        # Both parties of a marriage registration get its marital status.
        sql += (
            " UNION ALL SELECT related_person_id, marital_status, agency, record_id FROM source_record "
            "WHERE record_type = 'marriage' AND related_person_id IS NOT NULL AND marital_status IS NOT NULL"
            + scope.format(col="related_person_id")
        )
    return sql


def _winners(conn: Connection, scope: str) -> None:
    """Temp table ``_golden``: per person, each field's best key (and whether several agencies spoke)."""
    authorities = sorted({authority(f) for f in GOLDEN_FIELDS})
    first_field = {a: next(f for f in GOLDEN_FIELDS if authority(f) == a) for a in authorities}
    keys = ", ".join(f"{_key(conn, first_field[a])} AS k_{a}" for a in authorities)
    best = ", ".join(
        f"MAX(CASE WHEN {f} IS NOT NULL THEN k_{authority(f)} END) AS k_{f}" for f in GOLDEN_FIELDS
    )
    # Both parties of a marriage registration get its marital status: the second party's claim is a
    # row of its own with only that field.
    spouse = ", ".join(f if f == "marital_status" else f"NULL AS {f}" for f in GOLDEN_FIELDS)
    conn.exec_driver_sql("DROP TABLE IF EXISTS _golden")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE _golden AS WITH t AS MATERIALIZED ("
        f"SELECT person_id, agency, {', '.join(GOLDEN_FIELDS)}, {keys} FROM source_record "
        f"WHERE person_id IS NOT NULL{scope.format(col='person_id')} "
        f"UNION ALL SELECT related_person_id, agency, {spouse}, {keys} FROM source_record "
        "WHERE record_type = 'marriage' AND related_person_id IS NOT NULL AND marital_status IS NOT NULL"
        f"{scope.format(col='related_person_id')}) "
        f"SELECT person_id, {best}, CASE WHEN MIN(agency) <> MAX(agency) THEN 1 ELSE 0 END AS multi "
        "FROM t GROUP BY person_id"
    )


def _write_persons(conn: Connection, now: dt.datetime) -> None:
    """Insert the golden rows, each field's value read from the record that won it.

    Most of a person's fields come from one record: the row is filled from one primary-key probe (the
    record that won the first field present), then the fields other records won are filled in.
    """
    rid = {f: f"(g.k_{f} & {RECORD_MASK})" for f in GOLDEN_FIELDS}
    primary = f"(COALESCE({', '.join(f'g.k_{f}' for f in GOLDEN_FIELDS)}) & {RECORD_MASK})"
    values = [f"CASE WHEN {rid[f]} = s.record_id THEN s.{f} END" for f in GOLDEN_FIELDS]
    cols = ", ".join((*GOLDEN_FIELDS, *(record_column(f) for f in GOLDEN_FIELDS)))
    conn.execute(
        text(
            f"INSERT INTO person (person_id, {cols}, status, updated_at) "
            f"SELECT g.person_id, {', '.join(values)}, {', '.join(rid.values())}, "
            "CASE WHEN g.k_death_date IS NOT NULL THEN 'deceased' ELSE 'active' END, :now "
            f"FROM _golden g LEFT JOIN source_record s ON s.record_id = {primary}"
        ),
        {"now": now},
    )
    conn.exec_driver_sql("DROP TABLE IF EXISTS _mixed")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE _mixed AS SELECT person_id FROM _golden g WHERE "
        + " OR ".join(f"{rid[f]} <> {primary}" for f in GOLDEN_FIELDS)
    )
    if conn.exec_driver_sql("SELECT 1 FROM _mixed LIMIT 1").first():
        for f in GOLDEN_FIELDS:
            # NULL with a winning record: exactly the fields another record than the primary won.
            conn.exec_driver_sql(
                f"UPDATE person SET {f} = (SELECT s.{f} FROM source_record s "
                f"WHERE s.record_id = person.{record_column(f)}) "
                f"WHERE person_id IN (SELECT person_id FROM _mixed) "
                f"AND {f} IS NULL AND {record_column(f)} IS NOT NULL"
            )
    conn.exec_driver_sql("DROP TABLE _mixed")


def rebuild(conn: Connection, *, scoped: bool, now: dt.datetime) -> dict[str, int]:
    """Rebuild golden records (all, or the persons in temp table ``_scope``) and queue new conflicts."""
    where = " WHERE person_id IN (SELECT person_id FROM _scope)" if scoped else ""
    scope = " AND {col} IN (SELECT person_id FROM _scope)" if scoped else ""
    _winners(conn, scope)
    conn.exec_driver_sql(f"DELETE FROM person{where}")
    # A full rebuild on SQLite builds the ID-number index once, sorted, instead of 1M random inserts
    # (inside the transaction: readers keep seeing the old table and index until the commit).
    reindex = not scoped and conn.dialect.name == "sqlite"
    if reindex:
        conn.exec_driver_sql("DROP INDEX ix_person_id_number")
    _write_persons(conn, now)
    if reindex:
        conn.exec_driver_sql("CREATE INDEX ix_person_id_number ON person (id_number)")
    _apply_accepted(conn, scope)
    new_conflicts = _queue_conflicts(conn, scope, now)
    persons = conn.exec_driver_sql(f"SELECT COUNT(*) FROM person{where}").scalar_one()
    conn.exec_driver_sql("DROP TABLE _golden")
    return {"persons": int(persons), "new_conflicts": new_conflicts}


def _apply_accepted(conn: Connection, scope: str) -> None:
    """Values staff accepted from the conflict queue outrank every source (latest decision wins)."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS _accepted")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE _accepted AS SELECT person_id, field, other_value, record_id FROM ("
        "SELECT person_id, field, other_value, record_id, ROW_NUMBER() OVER (PARTITION BY person_id, field "
        "ORDER BY resolved_at DESC, conflict_id DESC) AS rn FROM conflict WHERE resolution = 'accepted'"
        + scope.format(col="person_id")
        + ") d WHERE rn = 1"
    )
    for field in GOLDEN_FIELDS:
        value = "a.other_value"
        if field in DATE_COLUMNS and conn.dialect.name == "postgresql":
            value = f"CAST({value} AS DATE)"
        conn.exec_driver_sql(
            f"UPDATE person SET {field} = {value}, {record_column(field)} = a.record_id FROM _accepted AS a "
            f"WHERE a.person_id = person.person_id AND a.field = '{field}'"
        )
    conn.exec_driver_sql("DROP TABLE _accepted")


def _queue_conflicts(conn: Connection, scope: str, now: dt.datetime) -> int:
    """One open conflict per person, field and disagreeing value (persons with several agencies only)."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS _multi")
    conn.exec_driver_sql("CREATE TEMP TABLE _multi AS SELECT person_id FROM _golden WHERE multi = 1")
    if not conn.exec_driver_sql("SELECT 1 FROM _multi LIMIT 1").first():
        conn.exec_driver_sql("DROP TABLE _multi")
        return 0
    multi = " AND {col} IN (SELECT person_id FROM _multi)"
    total = 0
    for field in GOLDEN_FIELDS:
        golden = _text(conn, f"p.{field}")
        total += int(
            conn.execute(
                text(
                    "INSERT INTO conflict (person_id, field, golden_value, golden_agency, other_value, "
                    "other_agency, record_id, status, created_at) "
                    f"SELECT c.person_id, '{field}', MAX({golden}), MAX(w.agency), c.value, MIN(c.agency), "
                    "MAX(c.record_id), 'open', :now "
                    f"FROM ({_field_claims(conn, field, multi)}) c "
                    "JOIN person p ON p.person_id = c.person_id "
                    f"JOIN source_record w ON w.record_id = p.{record_column(field)} "
                    f"WHERE c.agency <> w.agency AND c.value <> {golden} AND NOT EXISTS ("
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
