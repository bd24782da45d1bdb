"""The change feed names each event's source record by agency and the agency's own key.

An agency that sends a life-event record again (a cumulative monthly export, or the same file
re-encoded) must not make a second event, also when the person is not known yet (a newborn's
birth certificate carries no identity number): the feed recognises the record by (agency,
source_key), looked up through this index instead of through the much larger source_record.

Revision ID: e615e7000005
Revises: e615e7000004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e615e7000005"
down_revision = "e615e7000004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("change_feed", sa.Column("agency", sa.String(32), nullable=True))
    op.add_column("change_feed", sa.Column("source_key", sa.String(100), nullable=True))
    op.execute(
        "UPDATE change_feed SET "
        "agency = (SELECT s.agency FROM source_record s WHERE s.record_id = change_feed.record_id), "
        "source_key = (SELECT s.source_key FROM source_record s WHERE s.record_id = change_feed.record_id) "
        "WHERE record_id IS NOT NULL"
    )
    op.create_index("ix_change_feed_source", "change_feed", ["agency", "source_key"])


def downgrade() -> None:
    op.drop_index("ix_change_feed_source", table_name="change_feed")
    with op.batch_alter_table("change_feed") as batch:
        batch.drop_column("source_key")
        batch.drop_column("agency")
