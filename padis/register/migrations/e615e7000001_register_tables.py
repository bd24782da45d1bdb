"""register: person_key, person, person_field, conflict, change_feed

Revision ID: e615e7000001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e615e7000001"
down_revision = None
branch_labels = ("register",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_feed",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("division", sa.String(length=12), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_feed")),
        sa.UniqueConstraint("event_id", name=op.f("uq_change_feed_event_id")),
    )
    op.create_index("ix_change_feed_person_id", "change_feed", ["person_id"], unique=False)
    op.create_index("ix_change_feed_record_id", "change_feed", ["record_id"], unique=False)
    op.create_table(
        "conflict",
        sa.Column(
            "conflict_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("golden_value", sa.Text(), nullable=True),
        sa.Column("golden_agency", sa.String(length=32), nullable=True),
        sa.Column("other_value", sa.Text(), nullable=True),
        sa.Column("other_agency", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("conflict_id", name=op.f("pk_conflict")),
    )
    op.create_index("ix_conflict_person_id", "conflict", ["person_id", "field"], unique=False)
    op.create_index("ix_conflict_status", "conflict", ["status"], unique=False)
    op.create_table(
        "person",
        sa.Column("person_id", sa.BigInteger(), autoincrement=False, nullable=False),
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
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person")),
    )
    op.create_index("ix_person_id_number", "person", ["id_number"], unique=False)
    op.create_table(
        "person_field",
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("field", "person_id", name=op.f("pk_person_field")),
    )
    op.create_table(
        "person_key",
        sa.Column(
            "key_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_person_key")),
        sa.UniqueConstraint("key", name=op.f("uq_person_key_key")),
    )
    op.create_index("ix_person_key_person_id", "person_key", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_person_key_person_id", table_name="person_key")
    op.drop_table("person_key")
    op.drop_table("person_field")
    op.drop_index("ix_person_id_number", table_name="person")
    op.drop_table("person")
    op.drop_index("ix_conflict_status", table_name="conflict")
    op.drop_index("ix_conflict_person_id", table_name="conflict")
    op.drop_table("conflict")
    op.drop_index("ix_change_feed_record_id", table_name="change_feed")
    op.drop_index("ix_change_feed_person_id", table_name="change_feed")
    op.drop_table("change_feed")
