"""statistics watermark: how far the Parquet files of each day of acceptance are exported

Revision ID: 20261202_0011
Revises: 20261202_0010
Create Date: 2026-12-02 09:00:00

The statistics domain exports accepted declarations, their items, cargo times and decisions to
Parquet files, one file per table and day of acceptance. This table keeps, for each day, how many
changes were noted and which of them the files on disk reflect.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from onewindow.db import UTCDateTime

revision: str = "20261202_0011"
down_revision: str | None = "20261202_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statistics_watermark",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("exported", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("exported_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_statistics_watermark")),
    )


def downgrade() -> None:
    op.drop_table("statistics_watermark")
