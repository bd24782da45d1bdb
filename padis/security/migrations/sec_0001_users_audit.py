"""security: staff users and the audit chain.

Revision ID: sec_0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sec_0001"
down_revision = None
branch_labels = ("security",)
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create staff_user, audit_log, audit_person and audit_head."""
    op.create_table(
        "staff_user",
        sa.Column("user_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("division", sa.String(12)),
        sa.Column("clearance", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_staff_user"),
        sa.UniqueConstraint("username", name="uq_staff_user_username"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", BigInt, nullable=False, autoincrement=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("client", sa.String(64)),
        sa.Column("user_name", sa.String(64)),
        sa.Column("purpose", sa.String(128)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("person_count", sa.Integer(), nullable=False),
        sa.Column("persons_digest", sa.String(64), nullable=False),
        sa.Column("result", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_table(
        "audit_person",
        sa.Column("seq", BigInt, nullable=False),
        sa.Column("person_id", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("seq", "person_id", name="pk_audit_person"),
    )
    op.create_index("ix_audit_person_person_id", "audit_person", ["person_id"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", BigInt, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )


def downgrade() -> None:
    """Drop the security tables."""
    for name in ("audit_head", "audit_person", "audit_log", "staff_user"):
        op.drop_table(name)
