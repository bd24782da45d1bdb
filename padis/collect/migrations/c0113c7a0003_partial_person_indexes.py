"""Index source_record's person_id and related_person_id only where set (partial indexes).

A batch arrives with both null on every row: full indexes made each collected row pay two index
inserts of a null key that no lookup ever uses (the register looks rows up by a given person id).

Revision ID: c0113c7a0003
Revises: c0113c7a0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0113c7a0003"
down_revision = "c0113c7a0002"
branch_labels = None
depends_on = None

COLUMNS = ("person_id", "related_person_id")


def upgrade() -> None:
    for col in COLUMNS:
        where = sa.text(f"{col} IS NOT NULL")
        op.drop_index(f"ix_source_record_{col}", table_name="source_record")
        op.create_index(
            f"ix_source_record_{col}", "source_record", [col], postgresql_where=where, sqlite_where=where
        )


def downgrade() -> None:
    for col in COLUMNS:
        op.drop_index(f"ix_source_record_{col}", table_name="source_record")
        op.create_index(f"ix_source_record_{col}", "source_record", [col])
