"""linkage: linkage_person, linkage_review

Revision ID: a1f3c0de0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a1f3c0de0001"
down_revision = None
branch_labels = ("linkage",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "linkage_person",
        sa.Column("link_id", BigId, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_linkage_person")),
        sa.UniqueConstraint("source", "record_id", name="uq_linkage_person_record"),
    )
    op.create_index(op.f("ix_linkage_person_person_id"), "linkage_person", ["person_id"])
    op.create_table(
        "linkage_review",
        sa.Column("review_id", BigId, autoincrement=True, nullable=False),
        sa.Column("source_l", sa.String(length=100), nullable=False),
        sa.Column("record_id_l", sa.String(length=100), nullable=False),
        sa.Column("source_r", sa.String(length=100), nullable=False),
        sa.Column("record_id_r", sa.String(length=100), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_linkage_review")),
        sa.UniqueConstraint(
            "source_l", "record_id_l", "source_r", "record_id_r", name="uq_linkage_review_pair"
        ),
    )
    op.create_index(op.f("ix_linkage_review_status"), "linkage_review", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_linkage_review_status"), table_name="linkage_review")
    op.drop_table("linkage_review")
    op.drop_index(op.f("ix_linkage_person_person_id"), table_name="linkage_person")
    op.drop_table("linkage_person")
