"""exchange: our signing keys, partner single windows and their pinned certificates, messages in
and out with their acknowledgements, certificates of origin and export data from partners

Revision ID: 20261202_0016
Revises: 20261202_0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onewindow.db

revision: str = "20261202_0016"
down_revision: str | None = "20261202_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("message_id", sa.String(length=70), nullable=False),
        sa.Column("partner_country", sa.String(length=2), nullable=False),
        sa.Column("message_type", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=70), nullable=False),
        sa.Column("created", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("key_name", sa.String(length=64), nullable=False),
        sa.Column("signature_check", sa.Text(), nullable=False),
        sa.Column("acknowledgement", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("recorded_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_message")),
        sa.UniqueConstraint(
            "direction",
            "partner_country",
            "message_id",
            name=op.f("uq_exchange_message_direction_partner_country_message_id"),
        ),
    )
    with op.batch_alter_table("exchange_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_message_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_message_message_type"), ["message_type"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_message_partner_country"), ["partner_country"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_message_recorded_at"), ["recorded_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_message_reference"), ["reference"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_exchange_message_status"), ["status"], unique=False)

    op.create_table(
        "exchange_partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_partner")),
        sa.UniqueConstraint("country", name=op.f("uq_exchange_partner_country")),
    )
    op.create_table(
        "exchange_signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("key_path", sa.String(length=500), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("valid_from", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_to", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signing", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_signing_key")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_exchange_signing_key_fingerprint")),
    )
    op.create_table(
        "exchange_origin_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=70), nullable=False),
        sa.Column("issuing_country", sa.String(length=2), nullable=False),
        sa.Column("issuing_authority", sa.String(length=512), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("exporter", sa.String(length=512), nullable=False),
        sa.Column("importer", sa.String(length=512), nullable=True),
        sa.Column("destination_country", sa.String(length=2), nullable=False),
        sa.Column("criterion", sa.String(length=70), nullable=False),
        sa.Column("goods", onewindow.db.JSONType, nullable=False),
        sa.Column("received_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["exchange_message.id"],
            name=op.f("fk_exchange_origin_certificate_message_id_exchange_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_origin_certificate")),
        sa.UniqueConstraint("number", name=op.f("uq_exchange_origin_certificate_number")),
    )
    op.create_table(
        "exchange_partner_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("valid_from", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_to", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["exchange_partner.id"],
            name=op.f("fk_exchange_partner_certificate_partner_id_exchange_partner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_partner_certificate")),
        sa.UniqueConstraint(
            "fingerprint", name=op.f("uq_exchange_partner_certificate_fingerprint")
        ),
    )
    with op.batch_alter_table("exchange_partner_certificate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_partner_certificate_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "exchange_partner_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("export_country", sa.String(length=2), nullable=False),
        sa.Column("number", sa.String(length=70), nullable=False),
        sa.Column("released", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("exporter", sa.String(length=512), nullable=False),
        sa.Column("consignee", sa.String(length=512), nullable=True),
        sa.Column("data", onewindow.db.JSONType, nullable=False),
        sa.Column("received_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["exchange_message.id"],
            name=op.f("fk_exchange_partner_export_message_id_exchange_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_partner_export")),
        sa.UniqueConstraint(
            "export_country",
            "number",
            name=op.f("uq_exchange_partner_export_export_country_number"),
        ),
    )
    with op.batch_alter_table("exchange_partner_export", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_partner_export_number"), ["number"], unique=False
        )

    op.create_table(
        "exchange_partner_export_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=70), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["exchange_partner_export.id"],
            name=op.f("fk_exchange_partner_export_document_export_id_exchange_partner_export"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_partner_export_document")),
    )
    with op.batch_alter_table("exchange_partner_export_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_partner_export_document_export_id"), ["export_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_partner_export_document_reference"), ["reference"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_partner_export_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_partner_export_document_reference"))
        batch_op.drop_index(batch_op.f("ix_exchange_partner_export_document_export_id"))

    op.drop_table("exchange_partner_export_document")
    with op.batch_alter_table("exchange_partner_export", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_partner_export_number"))

    op.drop_table("exchange_partner_export")
    with op.batch_alter_table("exchange_partner_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_partner_certificate_partner_id"))

    op.drop_table("exchange_partner_certificate")
    op.drop_table("exchange_origin_certificate")
    op.drop_table("exchange_signing_key")
    op.drop_table("exchange_partner")
    with op.batch_alter_table("exchange_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_message_status"))
        batch_op.drop_index(batch_op.f("ix_exchange_message_reference"))
        batch_op.drop_index(batch_op.f("ix_exchange_message_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_exchange_message_partner_country"))
        batch_op.drop_index(batch_op.f("ix_exchange_message_message_type"))
        batch_op.drop_index(
            "ix_exchange_message_due",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    op.drop_table("exchange_message")
