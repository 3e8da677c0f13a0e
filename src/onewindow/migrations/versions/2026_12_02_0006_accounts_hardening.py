"""accounts hardening: login throttling by source, every API token expires, webhook allow-list

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
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("failed_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_failed_at", ["failed_at"], unique=False)
        batch_op.create_index("ix_login_failure_source", ["source", "failed_at"], unique=False)
        batch_op.create_index(
            "ix_login_failure_source_email", ["source", "email_digest", "failed_at"], unique=False
        )
    # The per-account lock is gone: it told who had an account and let anyone lock one.
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
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
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("locked_until", onewindow.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_source_email")
        batch_op.drop_index("ix_login_failure_source")
        batch_op.drop_index("ix_login_failure_failed_at")
    op.drop_table("login_failure")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=onewindow.db.UTCDateTime(timezone=True), nullable=True
        )
