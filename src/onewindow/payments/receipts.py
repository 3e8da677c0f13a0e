"""Receipts: issued when a bank payment settles a request, numbered per year; read on a page and
as a PDF by the payer, the parties of its declaration and customs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.errors import NotFound
from onewindow.money import Money
from onewindow.parties import service as parties
from onewindow.payments.ledger import BANK_CLEARING
from onewindow.payments.models import LedgerEntry, Payment, PaymentRequest, Receipt
from onewindow.payments.numbers import next_number
from onewindow.payments.requests import sees_all
from onewindow.security import Principal
from onewindow.tariff import service as tariff

METHODS = {"simulated-bank": "Electronic payment (bank transfer)"}
"""How a payment's provider is named on a receipt; any other bank: "Electronic payment (name)"."""


def issue_receipt(session: Session, request: PaymentRequest, payment: Payment) -> Receipt:
    issued_at = utcnow()
    number = next_number(session, f"RC-{issued_at.year}")
    receipt = Receipt(
        number=f"RC-{issued_at.year}-{number:06d}",
        payment_request=request,
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        issued_at=issued_at,
        lines=[dict(line) for line in request.lines],
    )
    session.add(receipt)
    session.flush()
    return receipt


def _may_see(session: Session, principal: Principal, request: PaymentRequest) -> bool:
    """Customs, the payer, and the organisations its declaration names (the importer a broker
    paid for, the representative that acts for the payer)."""
    if sees_all(principal) or request.organisation_id == principal.organisation_id:
        return True
    if request.declaration_id is None:  # another domain's fee: the payer's alone
        return False
    declaration = declarations.find(session, request.declaration_id)
    if declaration is None:
        return False
    named = declarations.parties_of(session, declaration).values()
    return principal.organisation_id in named


def get_receipt(session: Session, principal: Principal, number: str) -> Receipt:
    """A receipt the principal may read (its payer's, its declaration's parties', customs');
    404 for anyone else, as for a receipt that does not exist."""
    receipt = session.scalar(select(Receipt).where(Receipt.number == number.strip().upper()))
    if receipt is None or not _may_see(session, principal, receipt.payment_request):
        raise NotFound(f"No receipt {number}.")
    return receipt


def receipts_for(
    session: Session, principal: Principal, payment_request_ids: Sequence[int]
) -> dict[int, list[Receipt]]:
    """The receipts of these payment requests the principal may read, by request, oldest first."""
    found: dict[int, list[Receipt]] = {}
    if not payment_request_ids:
        return found
    rows = session.scalars(
        select(Receipt)
        .where(Receipt.payment_request_id.in_(list(payment_request_ids)))
        .order_by(Receipt.id)
    )
    for receipt in rows:
        if _may_see(session, principal, receipt.payment_request):
            found.setdefault(receipt.payment_request_id, []).append(receipt)
    return found


@dataclass(frozen=True)
class ReceiptView:
    """Everything a receipt shows, as a person reads it."""

    number: str
    issued_at: datetime
    payer: str
    payer_identifier: str
    declaration_id: int | None
    declaration_number: str
    subject: str
    payment_request: str
    lines: list[tuple[str, Money]]
    total: Money
    method: str
    bank_reference: str
    paid_at: datetime | None
    ledger_reference: str


def receipt_view(session: Session, receipt: Receipt) -> ReceiptView:
    """What the receipt page and its PDF show, taxes by their names."""
    tax_labels = {m.value: m.label for m in tariff.MeasureType}
    request = receipt.payment_request
    payment = session.get(Payment, receipt.payment_id)
    payer = parties.organisations_by_id(session, [request.organisation_id]).get(
        request.organisation_id
    )
    subject = request.description or f"declaration {request.declaration_number}"
    memo = f"{request.reference} {subject}"
    ledger = session.scalar(
        select(LedgerEntry.transaction_id)
        .where(
            LedgerEntry.payment_request_id == request.id,
            LedgerEntry.account == BANK_CLEARING,
            LedgerEntry.memo == memo[:200],
        )
        .order_by(LedgerEntry.id)
        .limit(1)
    )
    provider = payment.provider if payment else ""
    return ReceiptView(
        number=receipt.number,
        issued_at=receipt.issued_at,
        payer=payer.name if payer else "",
        payer_identifier=payer.identifier if payer else "",
        declaration_id=request.declaration_id,
        declaration_number=request.declaration_number,
        subject=subject,
        payment_request=request.reference,
        lines=[
            (
                tax_labels.get(line["tax_type"], line["tax_type"].replace("_", " ").capitalize()),
                Money(Decimal(line["amount"]), receipt.currency),
            )
            for line in receipt.lines
        ],
        total=Money(receipt.amount, receipt.currency),
        method=METHODS.get(provider, f"Electronic payment ({provider})"),
        bank_reference=(payment.provider_reference or "") if payment else "",
        paid_at=payment.confirmed_at if payment else None,
        ledger_reference=ledger or "",
    )


def _latin(text: str) -> str:
    """Text the PDF's built-in fonts can write (Windows-1252); anything else becomes '?'."""
    return text.encode("cp1252", errors="replace").decode("cp1252")


def receipt_pdf(view: ReceiptView, country: str) -> bytes:
    """The receipt as a one-page A4 PDF, written with the library's built-in fonts (no file or
    network is read)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"Receipt {view.number}")
    pdf.set_creator("onewindow")
    pdf.set_creation_date(view.issued_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"Receipt {view.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(
        0,
        6,
        _latin(f"onewindow single window, customs of {country}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    facts = [
        ("Issued", f"{view.issued_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("Payer", f"{view.payer} ({view.payer_identifier})"),
        ("Declaration", view.declaration_number)
        if view.declaration_id is not None
        else ("For", view.subject),
        ("Payment request", view.payment_request),
        ("Method", view.method),
        ("Bank reference", view.bank_reference),
        ("Paid", f"{view.paid_at:%Y-%m-%d %H:%M:%S} UTC" if view.paid_at else ""),
        ("Ledger reference", view.ledger_reference),
    ]
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(45, 7, _latin(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 7, _latin(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(110, 8, "Tax", border="B")
    pdf.cell(0, 8, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for label, amount in view.lines:
        pdf.cell(110, 7, _latin(label))
        pdf.cell(0, 7, str(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(110, 8, "Total paid", border="T")
    pdf.cell(0, 8, str(view.total), border="T", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
