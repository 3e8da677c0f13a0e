"""data versions: what each process holds in memory follows the database

Revision ID: 20261202_0018
Revises: 20261202_0017
Create Date: 2026-12-02 14:00:00

The reference data, the tariff, the exchange rates and the risk rules are read by every
lodging. Each process now keeps them in memory, under the version of their data set in
``data_version``, which every change to them replaces in its own transaction. Existing databases
get a first version for each data set, so that their processes cache from the start.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_0018"
down_revision: str | None = "20261202_0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA_SETS = ("reference", "tariff", "exchange-rates", "risk-rules")


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_version")),
    )
    op.bulk_insert(table, [{"name": n, "version": secrets.randbits(62)} for n in DATA_SETS])


def downgrade() -> None:
    op.drop_table("data_version")
