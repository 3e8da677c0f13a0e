"""permits: agencies, procedures (versioned data), requirement rules, applications and their
thread, permits and draw-downs, waits, company documents, agency findings

Revision ID: 20261202_0012
Revises: 20261202_0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onewindow.db

revision: str = "20261202_0012"
down_revision: str | None = "20261202_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "permit_agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_agency")),
        sa.UniqueConstraint("code", name=op.f("uq_permit_agency_code")),
    )
    with op.batch_alter_table("permit_agency", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_agency_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "permit_requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=30), nullable=False),
        sa.Column("rule", onewindow.db.JSONType, nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("created_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_requirement")),
    )
    with op.batch_alter_table("permit_requirement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_requirement_procedure_code"), ["procedure_code"], unique=False
        )

    op.create_table(
        "permit_wait",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=70), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_wait")),
    )
    with op.batch_alter_table("permit_wait", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_wait_declaration_id"), ["declaration_id"], unique=False
        )
        batch_op.create_index("ix_permit_wait_reference", ["reference", "kind"], unique=False)

    op.create_table(
        "permit_agency_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("finding", sa.String(length=20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("asked_by", sa.String(length=200), nullable=False),
        sa.Column("asked_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["permit_agency.id"],
            name=op.f("fk_permit_agency_finding_agency_id_permit_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_agency_finding")),
        sa.UniqueConstraint(
            "declaration_id",
            "agency_id",
            name=op.f("uq_permit_agency_finding_declaration_id_agency_id"),
        ),
    )
    with op.batch_alter_table("permit_agency_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_agency_finding_declaration_id"), ["declaration_id"], unique=False
        )

    op.create_table(
        "permit_company_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=70), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("verified_by", sa.String(length=200), nullable=True),
        sa.Column("verified_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expiry_announced", sa.Boolean(), nullable=False),
        sa.Column("lodged_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["permit_agency.id"],
            name=op.f("fk_permit_company_document_agency_id_permit_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_company_document")),
    )
    with op.batch_alter_table("permit_company_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_company_document_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_permit_company_document_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "permit_procedure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document_type", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("definition", onewindow.db.JSONType, nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["permit_agency.id"],
            name=op.f("fk_permit_procedure_agency_id_permit_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_procedure")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_permit_procedure_code_version")),
    )
    with op.batch_alter_table("permit_procedure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_procedure_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_permit_procedure_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_permit_procedure_document_type"), ["document_type"], unique=False
        )

    op.create_table(
        "permit_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=True),
        sa.Column("item_sequence", sa.Integer(), nullable=True),
        sa.Column("data", onewindow.db.JSONType, nullable=False),
        sa.Column("from_declaration", onewindow.db.JSONType, nullable=False),
        sa.Column("steps", onewindow.db.JSONType, nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("lodged_by", sa.String(length=200), nullable=False),
        sa.Column("lodged_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", onewindow.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["permit_agency.id"],
            name=op.f("fk_permit_application_agency_id_permit_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["permit_procedure.id"],
            name=op.f("fk_permit_application_procedure_id_permit_procedure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_application")),
        sa.UniqueConstraint("number", name=op.f("uq_permit_application_number")),
    )
    with op.batch_alter_table("permit_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_permit_application_agency_status", ["agency_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_permit_application_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_permit_application_declaration_id"), ["declaration_id"], unique=False
        )

    op.create_table(
        "permit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=30), nullable=False),
        sa.Column("document_type", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("hs_prefixes", onewindow.db.JSONType, nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=True),
        sa.Column("unit", sa.String(length=10), nullable=True),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("conditions", sa.Text(), nullable=True),
        sa.Column("details", onewindow.db.JSONType, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("verification_code", sa.String(length=40), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("issued_at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["permit_agency.id"], name=op.f("fk_permit_agency_id_permit_agency")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["permit_application.id"],
            name=op.f("fk_permit_application_id_permit_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit")),
        sa.UniqueConstraint("number", name=op.f("uq_permit_number")),
        sa.UniqueConstraint("verification_code", name=op.f("uq_permit_verification_code")),
    )
    with op.batch_alter_table("permit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_permit_holder_id"), ["holder_id"], unique=False)

    op.create_table(
        "permit_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["permit_application.id"],
            name=op.f("fk_permit_message_application_id_permit_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_message")),
    )
    with op.batch_alter_table("permit_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_message_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "permit_drawdown",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("item_sequence", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=True),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("at", onewindow.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permit.id"], name=op.f("fk_permit_drawdown_permit_id_permit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_drawdown")),
        sa.UniqueConstraint(
            "permit_id",
            "declaration_id",
            "item_sequence",
            name=op.f("uq_permit_drawdown_permit_id_declaration_id_item_sequence"),
        ),
    )
    with op.batch_alter_table("permit_drawdown", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_drawdown_permit_id"), ["permit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("permit_drawdown", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_drawdown_permit_id"))

    op.drop_table("permit_drawdown")
    with op.batch_alter_table("permit_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_message_application_id"))

    op.drop_table("permit_message")
    with op.batch_alter_table("permit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_holder_id"))
        batch_op.drop_index(batch_op.f("ix_permit_application_id"))

    op.drop_table("permit")
    with op.batch_alter_table("permit_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_application_declaration_id"))
        batch_op.drop_index(batch_op.f("ix_permit_application_applicant_id"))
        batch_op.drop_index("ix_permit_application_agency_status")

    op.drop_table("permit_application")
    with op.batch_alter_table("permit_procedure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_procedure_document_type"))
        batch_op.drop_index(batch_op.f("ix_permit_procedure_code"))
        batch_op.drop_index(batch_op.f("ix_permit_procedure_agency_id"))

    op.drop_table("permit_procedure")
    with op.batch_alter_table("permit_company_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_company_document_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_permit_company_document_agency_id"))

    op.drop_table("permit_company_document")
    with op.batch_alter_table("permit_agency_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_agency_finding_declaration_id"))

    op.drop_table("permit_agency_finding")
    with op.batch_alter_table("permit_wait", schema=None) as batch_op:
        batch_op.drop_index("ix_permit_wait_reference")
        batch_op.drop_index(batch_op.f("ix_permit_wait_declaration_id"))

    op.drop_table("permit_wait")
    with op.batch_alter_table("permit_requirement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_requirement_procedure_code"))

    op.drop_table("permit_requirement")
    with op.batch_alter_table("permit_agency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_agency_organisation_id"))

    op.drop_table("permit_agency")
