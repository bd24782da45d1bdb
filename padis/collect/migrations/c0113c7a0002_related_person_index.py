"""Index source_record by related_person_id (second parties looked up during golden builds).

Revision ID: c0113c7a0002
Revises: c0113c7a0001
"""

from __future__ import annotations

from alembic import op

revision = "c0113c7a0002"
down_revision = "c0113c7a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_source_record_related_person_id", "source_record", ["related_person_id"])


def downgrade() -> None:
    op.drop_index("ix_source_record_related_person_id", table_name="source_record")
