"""Record who settled a conflict (staff user, or the CLI operator).

Revision ID: e615e7000004
Revises: e615e7000003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e615e7000004"
down_revision = "e615e7000003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conflict") as batch:
        batch.add_column(sa.Column("resolved_by", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conflict") as batch:
        batch.drop_column("resolved_by")
