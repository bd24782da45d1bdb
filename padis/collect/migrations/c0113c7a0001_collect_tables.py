"""collect: batch, source_record, quarantine

Revision ID: c0113c7a0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0113c7a0001"
down_revision = None
branch_labels = ("collect",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch",
        sa.Column("batch_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("dataset", sa.String(length=100), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=16), nullable=True),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("parent_batch_id", sa.Integer(), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_stored", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("committed_at", sa.DateTime(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_batch_id"], ["batch.batch_id"], name=op.f("fk_batch_parent_batch_id_batch")
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_batch")),
        sa.UniqueConstraint("agency", "file_hash", name=op.f("uq_batch_agency")),
    )
    op.create_table(
        "source_record",
        sa.Column(
            "record_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("source_key", sa.String(length=100), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
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
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("event_type", sa.String(length=20), nullable=True),
        sa.Column("related_id_number", sa.String(length=18), nullable=True),
        sa.Column("related_person_id", sa.BigInteger(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=True),
        sa.Column("warnings", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_source_record")),
    )
    op.create_index("ix_source_record_batch_id", "source_record", ["batch_id"], unique=False)
    op.create_index("ix_source_record_person_id", "source_record", ["person_id"], unique=False)
    op.create_table(
        "quarantine",
        sa.Column(
            "quarantine_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=100), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fixes", sa.Text(), nullable=True),
        sa.Column("resubmitted_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.batch_id"], name=op.f("fk_quarantine_batch_id_batch")),
        sa.ForeignKeyConstraint(
            ["resubmitted_batch_id"],
            ["batch.batch_id"],
            name=op.f("fk_quarantine_resubmitted_batch_id_batch"),
        ),
        sa.PrimaryKeyConstraint("quarantine_id", name=op.f("pk_quarantine")),
    )
    op.create_index("ix_quarantine_batch_id", "quarantine", ["batch_id"], unique=False)
    op.create_index("ix_quarantine_status", "quarantine", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_quarantine_status", table_name="quarantine")
    op.drop_index("ix_quarantine_batch_id", table_name="quarantine")
    op.drop_table("quarantine")
    op.drop_index("ix_source_record_person_id", table_name="source_record")
    op.drop_index("ix_source_record_batch_id", table_name="source_record")
    op.drop_table("source_record")
    op.drop_table("batch")
