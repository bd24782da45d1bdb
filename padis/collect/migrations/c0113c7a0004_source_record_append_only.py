"""Make source_record append-only in the database: triggers refuse content updates and deletes.

A source record is evidence: the row as an agency sent it, with its provenance. The golden records, the
change feed and every audit trail point back at it, so a record quietly rewritten or removed would make
the register unexplainable. Until now only the code kept that promise; these triggers make the database
keep it against any client (a psql session, a script, a future code path). Only the register's links,
``person_id`` and ``related_person_id``, stay updatable.

Both triggers name their columns (``UPDATE OF``): the register's ``UPDATE ... SET person_id`` over
millions of rows fires no trigger at all, so linking pays nothing for the guarantee. On PostgreSQL the
delete trigger is statement-level and also covers ``TRUNCATE`` (which fires no row triggers); SQLite has no
``TRUNCATE`` (its ``DELETE FROM t`` without a WHERE fires the row trigger like any other delete).

The column list is written out (a migration must not depend on the table it finds): it is every column of
c0113c7a0001's ``source_record`` except the two links. A later migration that adds a column to
source_record must recreate these triggers with it, and one that rebuilds the table on SQLite (Alembic's
batch mode copies it to a new table) must recreate them afterwards.

Revision ID: c0113c7a0004
Revises: c0113c7a0003
"""

from __future__ import annotations

from alembic import op

revision = "c0113c7a0004"
down_revision = "c0113c7a0003"
branch_labels = None
depends_on = None

# Every source_record column except person_id and related_person_id (the register's links).
FROZEN_COLUMNS = (
    "record_id",
    "batch_id",
    "agency",
    "record_type",
    "source_key",
    "row_number",
    "file_hash",
    "received_at",
    "id_number",
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
    "event_date",
    "event_type",
    "related_id_number",
    "fields",
    "warnings",
)
_OF = ", ".join(f'"{c}"' for c in FROZEN_COLUMNS)
_WHY = "only person_id and related_person_id may be set"

PG_FUNCTION = "padis_source_record_append_only"
UPDATE_TRIGGER = "source_record_append_only_update"
DELETE_TRIGGER = "source_record_append_only_delete"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"    RAISE EXCEPTION 'source_record is append-only: % refused ({_WHY})', TG_OP;\n"
            "END;\n"
            "$$"
        )
        op.execute(
            f"CREATE TRIGGER {UPDATE_TRIGGER} BEFORE UPDATE OF {_OF} ON source_record "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {DELETE_TRIGGER} BEFORE DELETE OR TRUNCATE ON source_record "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        return
    op.execute(
        f"CREATE TRIGGER {UPDATE_TRIGGER} BEFORE UPDATE OF {_OF} ON source_record "
        f"BEGIN SELECT RAISE(ABORT, 'source_record is append-only: UPDATE refused ({_WHY})'); END"
    )
    op.execute(
        f"CREATE TRIGGER {DELETE_TRIGGER} BEFORE DELETE ON source_record "
        f"BEGIN SELECT RAISE(ABORT, 'source_record is append-only: DELETE refused ({_WHY})'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {DELETE_TRIGGER} ON source_record")
        op.execute(f"DROP TRIGGER IF EXISTS {UPDATE_TRIGGER} ON source_record")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {DELETE_TRIGGER}")
    op.execute(f"DROP TRIGGER IF EXISTS {UPDATE_TRIGGER}")
