"""exchange: members, agreements, verification jobs, subscriptions and the webhook outbox.

Revision ID: exc_0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "exc_0001"
down_revision = None
branch_labels = ("exchange",)
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the exchange tables."""
    op.create_table(
        "member",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("rate_limit", sa.Integer()),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("secret_rotated_at", sa.String(32)),
        sa.PrimaryKeyConstraint("client_id", name="pk_member"),
    )
    op.create_table(
        "agreement",
        sa.Column("agreement_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("services", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("divisions", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.String(10), nullable=False),
        sa.Column("valid_to", sa.String(10)),
        sa.Column("revoked_at", sa.String(32)),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", name="pk_agreement"),
    )
    op.create_index("ix_agreement_client_id", "agreement", ["client_id"])
    op.create_table(
        "verify_job",
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(64)),
        sa.Column("user_name", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("result_path", sa.Text()),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32)),
        sa.PrimaryKeyConstraint("job_id", name="pk_verify_job"),
    )
    op.create_table(
        "subscription",
        sa.Column("subscription_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("event_types", sa.Text(), nullable=False),
        sa.Column("divisions", sa.Text(), nullable=False),
        sa.Column("webhook_url", sa.Text()),
        sa.Column("enqueued_seq", BigInt, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name="pk_subscription"),
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("outbox_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("seq", BigInt, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", BigInt, nullable=False),
        sa.Column("delivered_at", sa.String(32)),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("outbox_id", name="pk_webhook_outbox"),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_outbox_sub_event"),
    )
    op.create_index("ix_webhook_outbox_next", "webhook_outbox", ["delivered_at", "next_attempt_at"])


def downgrade() -> None:
    """Drop the exchange tables."""
    for name in ("webhook_outbox", "subscription", "verify_job", "agreement", "member"):
        op.drop_table(name)
