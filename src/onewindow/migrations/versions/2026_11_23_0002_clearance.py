"""clearance: declarations, tariff, exchange rates, payments, notifications

Revision ID: 20261123_0002
Revises: 20261123_0001
Create Date: 2026-11-23 18:41:59.279130
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onewindow.db

revision: str = "20261123_0002"
down_revision: str | None = "20261123_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "de_minimis_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("relieves", onewindow.db.JSONType, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("legal_reference", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_de_minimis_rule")),
    )
    op.create_table(
        "declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("declarant_reference", sa.String(length=35), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("type", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", onewindow.db.JSONType, nullable=False),
        sa.Column("errors", onewindow.db.JSONType, nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("lodged_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration")),
        sa.UniqueConstraint("number", name=op.f("uq_declaration_number")),
        sa.UniqueConstraint(
            "organisation_id",
            "declarant_reference",
            name=op.f("uq_declaration_organisation_id_declarant_reference"),
        ),
    )
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declaration_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_declaration_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_declaration_status_updated", ["status", "updated_at"], unique=False
        )

    op.create_table(
        "deferred_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=35), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("guarantee_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("drawn_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("guarantee_reference", sa.String(length=60), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("opened_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "drawn_amount <= guarantee_amount", name=op.f("ck_deferred_account_within_guarantee")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deferred_account")),
        sa.UniqueConstraint("number", name=op.f("uq_deferred_account_number")),
    )
    with op.batch_alter_table("deferred_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deferred_account_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
        sa.UniqueConstraint(
            "currency", "valid_from", name=op.f("uq_exchange_rate_currency_valid_from")
        ),
    )
    with op.batch_alter_table("exchange_rate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_rate_currency"), ["currency"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("subject_type", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("occurred_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("event_id", name=op.f("uq_notification_event_id")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_organisation_newest", ["organisation_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_notification_organisation_unread", ["organisation_id", "read_at"], unique=False
        )

    op.create_table(
        "origin_group_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=40), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_origin_group_member")),
        sa.UniqueConstraint(
            "group_code", "country", name=op.f("uq_origin_group_member_group_code_country")
        ),
    )
    with op.batch_alter_table("origin_group_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_origin_group_member_group_code"), ["group_code"], unique=False
        )

    op.create_table(
        "payment_number_series",
        sa.Column("series", sa.String(length=20), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", name=op.f("pk_payment_number_series")),
    )
    op.create_table(
        "payment_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("declaration_number", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("lines", onewindow.db.JSONType, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_by", sa.String(length=140), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_request")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_request_reference")),
    )
    with op.batch_alter_table("payment_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_request_declaration_id"), ["declaration_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_request_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_request_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_payment_request_open_declaration",
            ["declaration_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "tariff_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("commodity_code", sa.String(length=10), nullable=False),
        sa.Column("subheading", sa.String(length=6), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("declarable", sa.Boolean(), nullable=False),
        sa.Column("units", onewindow.db.JSONType, nullable=False),
        sa.Column("notes", onewindow.db.JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_line")),
        sa.UniqueConstraint(
            "source", "commodity_code", name=op.f("uq_tariff_line_source_commodity_code")
        ),
    )
    with op.batch_alter_table("tariff_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tariff_line_commodity_code"), ["commodity_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tariff_line_subheading"), ["subheading"], unique=False)

    op.create_table(
        "tariff_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("commodity_code", sa.String(length=10), nullable=False),
        sa.Column("measure_type", sa.String(length=30), nullable=False),
        sa.Column("rate_text", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("origin_group", sa.String(length=40), nullable=False),
        sa.Column("requires_proof_of_origin", sa.Boolean(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("legal_reference", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_measure")),
    )
    with op.batch_alter_table("tariff_measure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tariff_measure_commodity_code"), ["commodity_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tariff_measure_source"), ["source"], unique=False)

    op.create_table(
        "tariff_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("commodity_code", sa.String(length=10), nullable=False),
        sa.Column("rate_column", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_rejection")),
    )
    with op.batch_alter_table("tariff_rejection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tariff_rejection_source"), ["source"], unique=False)

    op.create_table(
        "tariff_source",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("measures", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("loaded_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tariff_source")),
    )
    op.create_table(
        "declaration_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("amounts", onewindow.db.JSONType, nullable=False),
        sa.Column("items", onewindow.db.JSONType, nullable=False),
        sa.Column("trace", onewindow.db.JSONType, nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name=op.f("fk_declaration_assessment_declaration_id_declaration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration_assessment")),
    )
    with op.batch_alter_table("declaration_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declaration_assessment_declaration_id"), ["declaration_id"], unique=False
        )

    op.create_table(
        "declaration_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name=op.f("fk_declaration_status_change_declaration_id_declaration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration_status_change")),
    )
    with op.batch_alter_table("declaration_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declaration_status_change_declaration_id"),
            ["declaration_id"],
            unique=False,
        )

    op.create_table(
        "declaration_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", onewindow.db.JSONType, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name=op.f("fk_declaration_version_declaration_id_declaration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration_version")),
        sa.UniqueConstraint(
            "declaration_id", "version", name=op.f("uq_declaration_version_declaration_id_version")
        ),
    )
    with op.batch_alter_table("declaration_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declaration_version_declaration_id"), ["declaration_id"], unique=False
        )

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=False),
        sa.Column("debit", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("credit", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_request_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)",
            name=op.f("ck_ledger_entry_one_side"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_request_id"],
            ["payment_request.id"],
            name=op.f("fk_ledger_entry_payment_request_id_payment_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entry_account"), ["account"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ledger_entry_payment_request_id"), ["payment_request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entry_transaction_id"), ["transaction_id"], unique=False
        )

    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_request_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_request_id"],
            ["payment_request.id"],
            name=op.f("fk_payment_payment_request_id_payment_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("provider_reference", name=op.f("uq_payment_provider_reference")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_payment_request_id"), ["payment_request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_status"), ["status"], unique=False)

    op.create_table(
        "release_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("placed_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=200), nullable=True),
        sa.Column("lifted_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name=op.f("fk_release_hold_declaration_id_declaration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_hold")),
    )
    with op.batch_alter_table("release_hold", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_release_hold_declaration_id"), ["declaration_id"], unique=False
        )

    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("topics", onewindow.db.JSONType, nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_webhook_subscription_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    with op.batch_alter_table("webhook_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_subscription_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("payment_request_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lines", onewindow.db.JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_receipt_payment_id_payment")
        ),
        sa.ForeignKeyConstraint(
            ["payment_request_id"],
            ["payment_request.id"],
            name=op.f("fk_receipt_payment_request_id_payment_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt")),
        sa.UniqueConstraint("number", name=op.f("uq_receipt_number")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_receipt_payment_id")),
    )
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_payment_request_id"), ["payment_request_id"], unique=False
        )

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", onewindow.db.JSONType, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name=op.f("fk_webhook_delivery_subscription_id_webhook_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint(
            "subscription_id", "event_id", name=op.f("uq_webhook_delivery_subscription_id_event_id")
        ),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_delivery_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_subscription_id"))
        batch_op.drop_index("ix_webhook_delivery_due")

    op.drop_table("webhook_delivery")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_payment_request_id"))

    op.drop_table("receipt")
    with op.batch_alter_table("webhook_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscription_organisation_id"))

    op.drop_table("webhook_subscription")
    with op.batch_alter_table("release_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_hold_declaration_id"))

    op.drop_table("release_hold")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_status"))
        batch_op.drop_index(batch_op.f("ix_payment_payment_request_id"))

    op.drop_table("payment")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entry_payment_request_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entry_account"))

    op.drop_table("ledger_entry")
    with op.batch_alter_table("declaration_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_version_declaration_id"))

    op.drop_table("declaration_version")
    with op.batch_alter_table("declaration_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_status_change_declaration_id"))

    op.drop_table("declaration_status_change")
    with op.batch_alter_table("declaration_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_assessment_declaration_id"))

    op.drop_table("declaration_assessment")
    op.drop_table("tariff_source")
    with op.batch_alter_table("tariff_rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_rejection_source"))

    op.drop_table("tariff_rejection")
    with op.batch_alter_table("tariff_measure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_measure_source"))
        batch_op.drop_index(batch_op.f("ix_tariff_measure_commodity_code"))

    op.drop_table("tariff_measure")
    with op.batch_alter_table("tariff_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_line_subheading"))
        batch_op.drop_index(batch_op.f("ix_tariff_line_commodity_code"))

    op.drop_table("tariff_line")
    with op.batch_alter_table("payment_request", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payment_request_open_declaration",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_payment_request_status"))
        batch_op.drop_index(batch_op.f("ix_payment_request_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_payment_request_declaration_id"))

    op.drop_table("payment_request")
    op.drop_table("payment_number_series")
    with op.batch_alter_table("origin_group_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_origin_group_member_group_code"))

    op.drop_table("origin_group_member")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_organisation_unread")
        batch_op.drop_index("ix_notification_organisation_newest")

    op.drop_table("notification")
    with op.batch_alter_table("exchange_rate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_rate_currency"))

    op.drop_table("exchange_rate")
    with op.batch_alter_table("deferred_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deferred_account_organisation_id"))

    op.drop_table("deferred_account")
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.drop_index("ix_declaration_status_updated")
        batch_op.drop_index(batch_op.f("ix_declaration_status"))
        batch_op.drop_index(batch_op.f("ix_declaration_organisation_id"))

    op.drop_table("declaration")
    op.drop_table("de_minimis_rule")
