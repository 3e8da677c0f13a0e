"""risk: profiles, watch list, fast lanes, IPR, selectivity, inspections

Revision ID: 20261123_0003
Revises: 20261123_0002
Create Date: 2026-11-23 19:17:08.431539
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onewindow.db

revision: str = "20261123_0003"
down_revision: str | None = "20261123_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "risk_fast_lane",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hs_prefix", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_fast_lane")),
    )
    with op.batch_alter_table("risk_fast_lane", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_fast_lane_hs_prefix"), ["hs_prefix"], unique=False
        )

    op.create_table(
        "risk_inspection_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("finding", sa.String(length=10), nullable=False),
        sa.Column("revenue_recovered", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("goods_seized", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_inspection_result")),
        sa.UniqueConstraint(
            "declaration_id", name=op.f("uq_risk_inspection_result_declaration_id")
        ),
    )
    op.create_table(
        "risk_ipr_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("right_holder_organisation_id", sa.Integer(), nullable=False),
        sa.Column("trade_mark", sa.String(length=200), nullable=False),
        sa.Column("hs_prefixes", onewindow.db.JSONType, nullable=False),
        sa.Column("keywords", onewindow.db.JSONType, nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_ipr_record")),
    )
    with op.batch_alter_table("risk_ipr_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_ipr_record_right_holder_organisation_id"),
            ["right_holder_organisation_id"],
            unique=False,
        )

    op.create_table(
        "risk_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("conditions", onewindow.db.JSONType, nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_profile")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_risk_profile_code_version")),
    )
    with op.batch_alter_table("risk_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_profile_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_profile_code"), ["code"], unique=False)

    op.create_table(
        "risk_selectivity_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("reasons", onewindow.db.JSONType, nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("random_selected", sa.Boolean(), nullable=False),
        sa.Column("for_learning", sa.Boolean(), nullable=False),
        sa.Column("decided_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_selectivity_decision")),
        sa.UniqueConstraint(
            "declaration_id", name=op.f("uq_risk_selectivity_decision_declaration_id")
        ),
    )
    with op.batch_alter_table("risk_selectivity_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_selectivity_decision_channel"), ["channel"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_selectivity_decision_decided_at"), ["decided_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_selectivity_decision_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "risk_watched_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_watched_party")),
    )
    with op.batch_alter_table("risk_watched_party", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_watched_party_identifier"), ["identifier"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("risk_watched_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_watched_party_identifier"))

    op.drop_table("risk_watched_party")
    with op.batch_alter_table("risk_selectivity_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_selectivity_decision_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_risk_selectivity_decision_decided_at"))
        batch_op.drop_index(batch_op.f("ix_risk_selectivity_decision_channel"))

    op.drop_table("risk_selectivity_decision")
    with op.batch_alter_table("risk_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_profile_code"))
        batch_op.drop_index(batch_op.f("ix_risk_profile_active"))

    op.drop_table("risk_profile")
    with op.batch_alter_table("risk_ipr_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_ipr_record_right_holder_organisation_id"))

    op.drop_table("risk_ipr_record")
    op.drop_table("risk_inspection_result")
    with op.batch_alter_table("risk_fast_lane", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_fast_lane_hs_prefix"))

    op.drop_table("risk_fast_lane")
