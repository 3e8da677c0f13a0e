"""notifications per party: an event tells each organisation it concerns once

Revision ID: 20261202_0017
Revises: 20261202_0016
Create Date: 2026-12-02 10:30:00

A declaration's event is told to every organisation the declaration names (the importer a broker
lodges for, the representative), not only to its lodger: a notification is now unique per event
and organisation, not per event. The notifications of one subject are read (and marked read)
together (``thread``: a declaration's payments join the declaration) under its name
(``subject_label``), hence the index by organisation and thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0017"
down_revision: str | None = "20261202_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_label", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("thread", sa.String(length=150), nullable=True))
    op.execute("UPDATE notification SET thread = subject_type || ':' || subject_id")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("thread", existing_type=sa.String(length=150), nullable=False)
        batch_op.drop_constraint(op.f("uq_notification_event_id"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_notification_event_id_organisation_id"), ["event_id", "organisation_id"]
        )
        batch_op.create_index(
            "ix_notification_organisation_thread", ["organisation_id", "thread"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_organisation_thread")
        batch_op.drop_constraint(op.f("uq_notification_event_id_organisation_id"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_notification_event_id"), ["event_id"])
        batch_op.drop_column("thread")
        batch_op.drop_column("subject_label")
