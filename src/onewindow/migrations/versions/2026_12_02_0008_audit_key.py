"""audit chain keyed: the head records from which entry hashes are keyed; outbox due index

Revision ID: 20261202_0008
Revises: 20261202_0007
Create Date: 2026-12-02 10:00:00

Entries already in the chain keep their plain SHA-256 hashes; the head records that new ones are
keyed from the next seq, sealed with the audit key (so the key must be configured to upgrade a
database that already holds audit entries). The outbox's pending index becomes a partial index
of undelivered rows in due order, so that the worker's one-event claims stay cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0008"
down_revision: str | None = "20261202_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("keyed_from", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("keyed_from_seal", sa.String(length=64), nullable=True))
    head = op.get_bind().execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    if head is not None and head.seq > 0:
        from onewindow.audit import chain_key, keyed_from_seal

        keyed_from = head.seq + 1
        op.get_bind().execute(
            sa.text("UPDATE audit_head SET keyed_from = :n, keyed_from_seal = :seal WHERE id = 1"),
            {"n": keyed_from, "seal": keyed_from_seal(chain_key(), keyed_from, head.hash)},
        )

    op.drop_index("ix_outbox_event_pending", table_name="outbox_event")
    op.create_index(
        "ix_outbox_event_due",
        "outbox_event",
        ["next_attempt_at"],
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_event_due", table_name="outbox_event")
    op.create_index("ix_outbox_event_pending", "outbox_event", ["delivered_at", "next_attempt_at"])
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("keyed_from_seal")
        batch.drop_column("keyed_from")
