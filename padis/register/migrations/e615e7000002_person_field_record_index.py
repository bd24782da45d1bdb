"""Index person_field by record_id (the change feed's "did this record win?" probe).

Revision ID: e615e7000002
Revises: e615e7000001
"""

from __future__ import annotations

from alembic import op

revision = "e615e7000002"
down_revision = "e615e7000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_person_field_record_id", "person_field", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_person_field_record_id", table_name="person_field")
