"""Golden records, built set-based in the database from every source record's claims.

Rule for each person-level field ("one data, one source", 一数一源):
1. a value staff accepted from the conflict queue wins;
2. else the field's authoritative agency (from the data dictionary), its most recent value;
3. else the agency first in ``AGENCY_PRECEDENCE``, its most recent value;
"most recent" = latest ``event_date`` (the date the record speaks for; its receipt date when it has
none), then latest arrival (highest record id). A claim from another agency that disagrees with the
chosen value becomes one open conflict per person, field and value — never an overwrite.

Each golden field keeps its provenance as the id of the record it came from (``person.<field>_record``);
the agency and date come from that record (view ``person_field``). A birth date or sex no record gave is
read from the golden identity number (provenance: the record the number came from).
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
# bits 58-62: 16 - rank (rank 1 = best); bits 40-57: as-of day number; bits 0-39: record id.
RECORD_BITS = 40
DAY_BITS = 18
RANK_SHIFT = RECORD_BITS + DAY_BITS
RECORD_MASK = (1 << RECORD_BITS) - 1
MAX_DAY = (1 << DAY_BITS) - 1
EPOCH_YEAR = 1800


def analyze(conn: Connection, table: str) -> None:
    """Give PostgreSQL's planner statistics of a temp table (autovacuum never analyzes them)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {table}")


def authority(field: str) -> str:
    """The authoritative agency of a golden field."""
    return get_dictionary().authority(field)


def record_column(field: str) -> str:
    """The ``person`` column holding the id of the source record a golden field came from."""
    return f"{field}_record"


def _text(conn: Connection, col: str) -> str:
    return f"CAST({col} AS TEXT)" if conn.dialect.name == "postgresql" else col


def precedence(field: str) -> list[str]:
    """Agencies in the order their values of ``field`` win: the authority, then the precedence list."""
    return [authority(field)] + [a for a in AGENCY_PRECEDENCE if a != authority(field)]


def _rank(field: str) -> str:
    order = precedence(field)
    whens = " ".join(f"WHEN '{a}' THEN {i + 1}" for i, a in enumerate(order))
    return f"CASE agency {whens} ELSE {len(order) + 1} END"


def _days(conn: Connection) -> str:
    """An order-preserving day number of the claim's as-of date (event date, else receipt date).

    PostgreSQL: days since 1800-01-01. SQLite keeps dates as ISO text: (year - 1800) * 372 + month * 31
    + day, read from the text (not a calendar day count, but ordered the same and cheap).
    """
    if conn.dialect.name == "postgresql":
        days = f"(COALESCE(event_date, CAST(received_at AS DATE)) - DATE '{EPOCH_YEAR}-01-01')"
        return f"GREATEST(0, LEAST({MAX_DAY}, {days}))"
    d = "COALESCE(event_date, received_at)"
    days = (
        f"(CAST(substr({d}, 1, 4) AS INTEGER) - {EPOCH_YEAR}) * 372 "
        f"+ CAST(substr({d}, 6, 2) AS INTEGER) * 31 + CAST(substr({d}, 9, 2) AS INTEGER)"
    )
    return f"MAX(0, MIN({MAX_DAY}, {days}))"


def _claims(conn: Connection, scoped: bool) -> str:
    """Every claim, one row per record and person it speaks for, with its rank per authority.

    ``base`` = day number and record id packed (the key without its rank); ``m`` has bit i set when
    the record has a value for ``GOLDEN_FIELDS[i]``. The second party of a marriage gets a row of its
    own with only its marital status.
    """
    authorities = sorted({authority(f) for f in GOLDEN_FIELDS})
    first_field = {a: next(f for f in GOLDEN_FIELDS if authority(f) == a) for a in authorities}
    ranks = ", ".join(f"{_rank(first_field[a])} AS r_{a}" for a in authorities)
    base = f"CAST({_days(conn)} AS BIGINT) * {1 << RECORD_BITS} + record_id"
    mask = " + ".join(
        f"CASE WHEN {f} IS NOT NULL THEN {1 << i} ELSE 0 END" for i, f in enumerate(GOLDEN_FIELDS)
    )
    marital = 1 << GOLDEN_FIELDS.index("marital_status")
    scope = " AND {col} IN (SELECT person_id FROM _scope)" if scoped else ""
    # A full rebuild reads every record: SQLite would otherwise walk the person_id index and fetch
    # each row at random (7x slower than one scan of the table).
    source = "source_record NOT INDEXED" if conn.dialect.name == "sqlite" and not scoped else "source_record"
    return (
        f"SELECT person_id, agency, {ranks}, {base} AS base, {mask} AS m FROM {source} "
        f"WHERE person_id IS NOT NULL{scope.format(col='person_id')} "
        f"UNION ALL SELECT related_person_id, agency, {ranks}, {base}, {marital} FROM source_record "
        "WHERE record_type = 'marriage' AND related_person_id IS NOT NULL AND marital_status IS NOT NULL"
        f"{scope.format(col='related_person_id')}"
    )


def _winners(conn: Connection, scoped: bool) -> None:
    """Temp table ``_golden``: per person, each field's best key (and whether several agencies spoke)."""
    best = ", ".join(
        f"MAX(CASE WHEN (m & {1 << i}) <> 0 THEN (16 - r_{authority(f)}) * {1 << RANK_SHIFT} + base END) "
        f"AS k_{f}"
        for i, f in enumerate(GOLDEN_FIELDS)
    )
    conn.exec_driver_sql("DROP TABLE IF EXISTS _golden")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE _golden AS WITH t AS MATERIALIZED ({_claims(conn, scoped)}) "
        f"SELECT person_id, {best}, CASE WHEN MIN(agency) <> MAX(agency) THEN 1 ELSE 0 END AS multi "
        "FROM t GROUP BY person_id"
    )
    analyze(conn, "_golden")


def _new_persons(conn: Connection) -> None:
    """Temp table ``_new``: the golden rows, each field's value read from the record that won it.

    Most of a person's fields come from one record: the row is filled from one primary-key probe (the
    record that won the first field present); a field another record won reads that record (the
    sub-select runs only then: CASE evaluates lazily on both databases).
    """
    rid = {f: f"(g.k_{f} & {RECORD_MASK})" for f in GOLDEN_FIELDS}
    primary = f"(COALESCE({', '.join(f'g.k_{f}' for f in GOLDEN_FIELDS)}) & {RECORD_MASK})"
    values = [
        f"CASE WHEN {rid[f]} = s.record_id THEN s.{f} WHEN g.k_{f} IS NOT NULL THEN "
        f"(SELECT x.{f} FROM source_record x WHERE x.record_id = {rid[f]}) END AS {f}"
        for f in GOLDEN_FIELDS
    ]
    records = [f"{rid[f]} AS {record_column(f)}" for f in GOLDEN_FIELDS]
    conn.exec_driver_sql("DROP TABLE IF EXISTS _new")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE _new AS SELECT g.person_id, {', '.join(values)}, {', '.join(records)}, "
        "CASE WHEN g.k_death_date IS NOT NULL THEN 'deceased' ELSE 'active' END AS status "
        f"FROM _golden g LEFT JOIN source_record s ON s.record_id = {primary}"
    )
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("CREATE UNIQUE INDEX temp._new_person_id ON _new (person_id)")
    analyze(conn, "_new")


# golden fields read from the identity number when no record gives them
DERIVED_FROM_ID: tuple[str, ...] = ("birth_date", "sex")


def _from_id_number(conn: Connection) -> None:
    """Birth date and sex from the golden identity number where no record gave them (GB 11643).

    Agencies such as social insurance send little beyond the number, and the number says when its
    holder was born (digits 7-14) and their sex (digit 17: odd male, even female). The derived field's
    provenance is the record the number came from; it claims nothing, so it raises no conflict.
    """
    number = "length(id_number) = 18 AND id_number_record IS NOT NULL"
    if conn.dialect.name == "postgresql":
        born = "to_date(substr(id_number, 7, 8), 'YYYYMMDD')"
    else:
        born = "substr(id_number, 7, 4) || '-' || substr(id_number, 11, 2) || '-' || substr(id_number, 13, 2)"
    conn.exec_driver_sql(
        f"UPDATE _new SET birth_date = {born}, birth_date_record = id_number_record "
        f"WHERE birth_date IS NULL AND {number}"
    )
    conn.exec_driver_sql(
        "UPDATE _new SET sex = CASE WHEN substr(id_number, 17, 1) IN ('1', '3', '5', '7', '9') "
        f"THEN '1' ELSE '2' END, sex_record = id_number_record WHERE sex IS NULL AND {number}"
    )


def _merge_persons(conn: Connection, now: dt.datetime, scoped: bool) -> None:
    """Make ``person`` equal ``_new`` (in scope), writing only the rows that changed (``updated_at`` = now).

    Unchanged golden records are not rewritten: a rebuild that changes little writes little, and
    readers that follow ``updated_at`` (the verification cache) reload only what changed.
    """
    cols = [*GOLDEN_FIELDS, *(record_column(f) for f in GOLDEN_FIELDS), "status"]
    ne = "IS DISTINCT FROM" if conn.dialect.name == "postgresql" else "IS NOT"
    scope = " AND person_id IN (SELECT person_id FROM _scope)" if scoped else ""
    changed = " OR ".join(f"person.{c} {ne} n.{c}" for c in cols)
    gone = "NOT EXISTS (SELECT 1 FROM _new n WHERE n.person_id = person.person_id)"
    conn.exec_driver_sql(f"DELETE FROM person WHERE {gone}{scope}")
    conn.execute(
        text(
            f"UPDATE person SET {', '.join(f'{c} = n.{c}' for c in cols)}, updated_at = :now FROM _new AS n "
            f"WHERE n.person_id = person.person_id AND ({changed})"
        ),
        {"now": now},
    )
    names = ", ".join(cols)
    conn.execute(
        text(
            f"INSERT INTO person (person_id, {names}, updated_at) SELECT n.person_id, "
            f"{', '.join(f'n.{c}' for c in cols)}, :now FROM _new n "
            "WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.person_id = n.person_id)"
        ),
        {"now": now},
    )


def rebuild(conn: Connection, *, scoped: bool, now: dt.datetime) -> dict[str, int]:
    """Rebuild golden records (all, or the persons in temp table ``_scope``) and queue new conflicts."""
    where = " WHERE person_id IN (SELECT person_id FROM _scope)" if scoped else ""
    _winners(conn, scoped)
    _new_persons(conn)
    _from_id_number(conn)
    _apply_accepted(conn, " AND person_id IN (SELECT person_id FROM _scope)" if scoped else "")
    # A full rebuild on SQLite builds the ID-number index once, sorted, instead of 1M random inserts
    # (inside the transaction: readers keep seeing the old table and index until the commit).
    reindex = not scoped and conn.dialect.name == "sqlite"
    if reindex:
        conn.exec_driver_sql("DROP INDEX ix_person_id_number")
    _merge_persons(conn, now, scoped)
    if reindex:
        conn.exec_driver_sql("CREATE INDEX ix_person_id_number ON person (id_number)")
    conn.exec_driver_sql("DROP TABLE _new")
    new_conflicts = _queue_conflicts(conn, now, scoped=scoped)
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
            f"UPDATE _new SET {field} = {value}, {record_column(field)} = a.record_id FROM _accepted AS a "
            f"WHERE a.person_id = _new.person_id AND a.field = '{field}'"
        )
    conn.exec_driver_sql("DROP TABLE _accepted")


def _disagreements(conn: Connection, scoped: bool) -> None:
    """Temp table ``_dis``: claims of persons in ``_multi`` whose value differs from the golden one.

    One pass over the records (one person probe each); ``mask`` has bit i set when the record's value
    of ``GOLDEN_FIELDS[i]`` differs, and ``v_<field>`` holds the record's value as text, so queueing
    reads only this small table. A marriage also speaks for its second party's marital status.
    """
    bits = " + ".join(
        f"CASE WHEN r.{f} <> p.{f} THEN {1 << i} ELSE 0 END" for i, f in enumerate(GOLDEN_FIELDS)
    )
    values = ", ".join(f"{_text(conn, f'r.{f}')} AS v_{f}" for f in GOLDEN_FIELDS)
    second = ", ".join(
        f"{_text(conn, 'r.marital_status') if f == 'marital_status' else 'NULL'} AS v_{f}"
        for f in GOLDEN_FIELDS
    )
    marital = 1 << GOLDEN_FIELDS.index("marital_status")
    scan = " NOT INDEXED" if conn.dialect.name == "sqlite" and not scoped else ""
    conn.exec_driver_sql("DROP TABLE IF EXISTS _dis")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE _dis AS SELECT * FROM ("
        f"SELECT r.record_id, r.person_id, r.agency, {bits} AS mask, {values} FROM source_record AS r{scan} "
        "JOIN person p ON p.person_id = r.person_id WHERE r.person_id IN (SELECT person_id FROM _multi) "
        "UNION ALL SELECT r.record_id, r.related_person_id, r.agency, "
        f"CASE WHEN r.marital_status <> p.marital_status THEN {marital} ELSE 0 END, {second} "
        "FROM source_record r JOIN person p ON p.person_id = r.related_person_id "
        "WHERE r.record_type = 'marriage' AND r.related_person_id IN (SELECT person_id FROM _multi)) c "
        "WHERE mask <> 0"
    )
    analyze(conn, "_dis")


def _queue_conflicts(conn: Connection, now: dt.datetime, *, scoped: bool) -> int:
    """One open conflict per person, field and disagreeing value (persons with several agencies only).

    A disagreement is a conflict when the claim's agency is not the one whose value was chosen.
    """
    conn.exec_driver_sql("DROP TABLE IF EXISTS _multi")
    conn.exec_driver_sql("CREATE TEMP TABLE _multi AS SELECT person_id FROM _golden WHERE multi = 1")
    analyze(conn, "_multi")
    if not conn.exec_driver_sql("SELECT 1 FROM _multi LIMIT 1").first():
        conn.exec_driver_sql("DROP TABLE _multi")
        return 0
    _disagreements(conn, scoped)
    total = 0
    for i, field in enumerate(GOLDEN_FIELDS):
        golden, value = _text(conn, f"p.{field}"), f"d.v_{field}"
        total += int(
            conn.execute(
                text(
                    "INSERT INTO conflict (person_id, field, golden_value, golden_agency, other_value, "
                    "other_agency, record_id, status, created_at) "
                    f"SELECT d.person_id, '{field}', MAX({golden}), MAX(w.agency), {value}, MIN(d.agency), "
                    "MAX(d.record_id), 'open', :now FROM _dis d "
                    "JOIN person p ON p.person_id = d.person_id "
                    f"JOIN source_record w ON w.record_id = p.{record_column(field)} "
                    f"WHERE (d.mask & {1 << i}) <> 0 AND d.agency <> w.agency AND NOT EXISTS ("
                    f"SELECT 1 FROM conflict x WHERE x.person_id = d.person_id AND x.field = '{field}' "
                    f"AND x.other_value = {value}) "
                    # The value staff overrode by accepting a conflict is not queued again.
                    "AND NOT EXISTS (SELECT 1 FROM conflict a WHERE a.person_id = d.person_id "
                    f"AND a.field = '{field}' AND a.resolution = 'accepted' AND a.golden_value = {value}) "
                    f"GROUP BY d.person_id, {value}"
                ),
                {"now": now},
            ).rowcount
            or 0
        )
    conn.exec_driver_sql("DROP TABLE _dis")
    conn.exec_driver_sql("DROP TABLE _multi")
    return total
