"""security: person ids of large audit entries (batch jobs) stored compressed.

Revision ID: sec_0002
Revises: sec_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sec_0002"
down_revision = "sec_0001"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create audit_blob."""
    op.create_table(
        "audit_blob",
        sa.Column("seq", BigInt, nullable=False, autoincrement=False),
        sa.Column("person_count", sa.Integer(), nullable=False),
        sa.Column("ids", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_blob"),
    )


def downgrade() -> None:
    """Drop audit_blob."""
    op.drop_table("audit_blob")
