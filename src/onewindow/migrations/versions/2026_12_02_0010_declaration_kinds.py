"""declaration kinds: what a declaration is, the one it follows, and its warnings

Revision ID: 20261202_0010
Revises: 20261202_0009
Create Date: 2026-12-02 08:00:00

Each declaration records its kind (a goods declaration, a simplified or supplementary one, a
customs clearance request, a final supplementary declaration, a special fiscal territories
declaration), the earlier declaration it follows as the message named it (a supplementary
declaration's simplified declaration) and, when that one is lodged here, its id; and the
warnings the national rule set returned beside its acceptance. Declarations lodged before are
goods declarations without warnings.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from onewindow.db import JSONType

revision: str = "20261202_0010"
down_revision: str | None = "20261202_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("declaration") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=30), server_default="goods", nullable=False)
        )
        batch.add_column(sa.Column("previous_reference", sa.String(length=70), nullable=True))
        batch.add_column(sa.Column("previous_declaration_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("warnings", JSONType, nullable=True))
        batch.create_index("ix_declaration_previous_declaration_id", ["previous_declaration_id"])


def downgrade() -> None:
    with op.batch_alter_table("declaration") as batch:
        batch.drop_index("ix_declaration_previous_declaration_id")
        batch.drop_column("warnings")
        batch.drop_column("previous_declaration_id")
        batch.drop_column("previous_reference")
        batch.drop_column("kind")
