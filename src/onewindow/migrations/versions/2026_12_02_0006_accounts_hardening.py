"""accounts hardening: every API token expires, webhook hosts allowed by administrators

Revision ID: 20261202_0006
Revises: 20261123_0005
Create Date: 2026-12-02 04:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import onewindow.db

revision: str = "20261202_0006"
down_revision: str | None = "20261123_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tokens made without an expiry keep working for this long after the upgrade, then stop.
GRACE_DAYS = 90


def upgrade() -> None:
    op.create_table(
        "webhook_allowed_host",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("allowed_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_allowed_host")),
        sa.UniqueConstraint("host", name=op.f("uq_webhook_allowed_host_host")),
    )
    api_token = sa.table(
        "api_token", sa.column("expires_at", onewindow.db.UTCDateTime(timezone=True))
    )
    op.execute(
        api_token.update()
        .where(api_token.c.expires_at.is_(None))
        .values(expires_at=datetime.now(UTC) + timedelta(days=GRACE_DAYS))
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=onewindow.db.UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    op.drop_table("webhook_allowed_host")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=onewindow.db.UTCDateTime(timezone=True), nullable=True
        )
