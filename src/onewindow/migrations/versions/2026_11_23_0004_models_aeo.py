"""risk model versions and AEO status

Revision ID: 20261123_0004
Revises: 20261123_0003
Create Date: 2026-11-23 19:43:32.653562
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onewindow.db

revision: str = "20261123_0004"
down_revision: str | None = "20261123_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "risk_model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=60), nullable=False),
        sa.Column("trained_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("training_rows", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("metrics", onewindow.db.JSONType, nullable=False),
        sa.Column("thresholds", onewindow.db.JSONType, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_model_version")),
        sa.UniqueConstraint("version", name=op.f("uq_risk_model_version_version")),
    )
    with op.batch_alter_table("risk_model_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_model_version_status"), ["status"], unique=False)

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("aeo_status", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("aeo_valid_until", sa.Date(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("aeo_valid_until")
        batch_op.drop_column("aeo_status")

    with op.batch_alter_table("risk_model_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_model_version_status"))

    op.drop_table("risk_model_version")
