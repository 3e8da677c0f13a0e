"""payment fees: a payment request may be another domain's fee (a permit application's), named
by its subject, instead of a declaration's duties

Revision ID: 20261202_0014
Revises: 20261202_0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0014"
down_revision: str | None = "20261202_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table("payment_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_type", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("description", sa.String(length=200), nullable=True))
        batch_op.alter_column("declaration_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            "uq_payment_request_open_subject",
            ["subject_type", "subject_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade() -> None:
    op.execute("DELETE FROM payment_request WHERE declaration_id IS NULL")
    with op.batch_alter_table("payment_request", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payment_request_open_subject", sqlite_where=OPEN, postgresql_where=OPEN
        )
        batch_op.alter_column("declaration_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("description")
        batch_op.drop_column("subject_id")
        batch_op.drop_column("subject_type")
