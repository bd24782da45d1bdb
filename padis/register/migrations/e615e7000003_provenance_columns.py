"""Per-field provenance as columns of ``person`` (``<field>_record``); ``person_field`` becomes a view.

One wide golden row instead of ~11 provenance rows per person: a full rebuild writes a tenth of the
rows. On SQLite ``person`` is rebuilt so that ``person_id`` is the row id (no second index).
Existing provenance is carried over from the old table.

Revision ID: e615e7000003
Revises: e615e7000002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e615e7000003"
down_revision = "e615e7000002"
branch_labels = None
depends_on = "c0113c7a0001"  # the view reads source_record

FIELDS = (
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
)
VALUE_COLUMNS = (*FIELDS, "status", "updated_at")


def _view_sql(dialect: str) -> str:
    received = "CAST(s.received_at AS DATE)" if dialect == "postgresql" else "DATE(s.received_at)"
    parts = [
        f"SELECT '{f}' AS field, p.person_id AS person_id, CAST(p.{f} AS TEXT) AS value, s.agency AS agency, "
        f"p.{f}_record AS record_id, COALESCE(s.event_date, {received}) AS as_of "
        f"FROM person p JOIN source_record s ON s.record_id = p.{f}_record"
        for f in FIELDS
    ]
    return "CREATE VIEW person_field AS " + " UNION ALL ".join(parts)


def _carry(f: str) -> str:
    return (
        "(SELECT pf.record_id FROM person_field pf "
        f"WHERE pf.person_id = person.person_id AND pf.field = '{f}')"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.create_table(
            "person_new",
            sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("id_number", sa.String(length=18), nullable=True),
            sa.Column("name", sa.String(length=100), nullable=True),
            sa.Column("sex", sa.String(length=8), nullable=True),
            sa.Column("birth_date", sa.Date(), nullable=True),
            sa.Column("ethnicity", sa.String(length=8), nullable=True),
            sa.Column("education", sa.String(length=8), nullable=True),
            sa.Column("marital_status", sa.String(length=8), nullable=True),
            sa.Column("hukou_type", sa.String(length=8), nullable=True),
            sa.Column("registered_division", sa.String(length=12), nullable=True),
            sa.Column("residence_division", sa.String(length=12), nullable=True),
            sa.Column("death_date", sa.Date(), nullable=True),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            *[sa.Column(f"{f}_record", sa.BigInteger(), nullable=True) for f in FIELDS],
            sa.PrimaryKeyConstraint("person_id", name="pk_person"),
        )
        cols = ", ".join(VALUE_COLUMNS)
        records = ", ".join(f"{f}_record" for f in FIELDS)
        carried = ", ".join(_carry(f) for f in FIELDS)
        op.execute(
            f"INSERT INTO person_new (person_id, {cols}, {records}) "
            f"SELECT person_id, {cols}, {carried} FROM person"
        )
        op.drop_index("ix_person_id_number", table_name="person")
        op.drop_table("person")
        op.rename_table("person_new", "person")
        op.create_index("ix_person_id_number", "person", ["id_number"], unique=False)
    else:
        for f in FIELDS:
            op.add_column("person", sa.Column(f"{f}_record", sa.BigInteger(), nullable=True))
        op.execute("UPDATE person SET " + ", ".join(f"{f}_record = {_carry(f)}" for f in FIELDS))
    op.drop_index("ix_person_field_record_id", table_name="person_field")
    op.drop_table("person_field")
    op.execute(_view_sql(dialect))


def downgrade() -> None:
    op.create_table(
        "person_field_old",
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("field", "person_id", name="pk_person_field"),
    )
    op.execute(
        "INSERT INTO person_field_old (field, person_id, value, agency, record_id, as_of) "
        "SELECT field, person_id, value, agency, record_id, as_of FROM person_field"
    )
    op.execute("DROP VIEW person_field")
    op.rename_table("person_field_old", "person_field")
    op.create_index("ix_person_field_record_id", "person_field", ["record_id"], unique=False)
    with op.batch_alter_table("person") as batch:
        for f in FIELDS:
            batch.drop_column(f"{f}_record")
