"""The path of a goods declaration across domains, in one readable place.

lodge -> validate (accepted or rejected) -> controls placed? (under control until lifted)
-> assess duties and taxes -> payment requested (a payment hold) -> paid or secured
-> released the moment no hold is open.

Routes, the CLI and event consumers call these functions; the domains they call know nothing of
each other.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from onewindow import events
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.lifecycle import Status
from onewindow.declarations.models import Declaration
from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import Conflict
from onewindow.events import Event
from onewindow.parties import service as parties
from onewindow.payments import service as payments
from onewindow.reference import service as reference
from onewindow.risk import service as risk
from onewindow.security import Principal
from onewindow.tariff import service as tariff
from onewindow.tariff.engine import AssessmentError, Money
from onewindow.tariff.valuation import ItemPrice, customs_values

SYSTEM = "system"


def lodge(
    session: Session, principal: Principal, body: DeclarationIn, *, today: date | None = None
) -> declarations.Lodgement:
    """Lodge a declaration and carry it as far as it can go without a person."""
    settings = get_settings()
    today = today or date.today()
    lodgement = declarations.lodge(session, principal, body, country=settings.country, today=today)
    if lodgement.created and lodgement.declaration.status == Status.ACCEPTED:
        _select(session, lodgement.declaration, body)
        advance(session, lodgement.declaration)
    return lodgement


CHANNEL_HOLDS = {"yellow": "documentary-check", "red": "physical-inspection"}


def _select(session: Session, declaration: Declaration, body: DeclarationIn) -> None:
    """Risk assessment: the channel, and for yellow or red the hold that puts it under control."""
    selection = risk.select_channel(
        session,
        declaration.id,
        body,
        organisation_id=declaration.organisation_id,
        organisation_is_aeo=parties.is_aeo(session, declaration.organisation_id, utcnow().date()),
    )
    decision = selection.decision
    declarations.set_channel(declaration, decision.channel)
    if selection.ipr_hit:
        texts = [r["text"] for r in decision.reasons if r["source"] == "ipr"]
        declarations.place_hold(
            session, declaration, kind="ipr", actor=risk.ENGINE, reason="; ".join(texts)
        )
    if decision.channel in CHANNEL_HOLDS:
        declarations.place_hold(
            session,
            declaration,
            kind=CHANNEL_HOLDS[decision.channel],
            actor=risk.ENGINE,
            reason="; ".join(r["text"] for r in decision.reasons),
        )


def advance(session: Session, declaration: Declaration) -> Declaration:
    """Take the declaration to its next step if nothing stops it (idempotent)."""
    status = Status(declaration.status)
    controls = [
        h for h in declarations.open_holds(declaration) if h.kind in declarations.CONTROL_HOLDS
    ]
    if status == Status.ACCEPTED and controls:
        declarations.transition(
            session,
            declaration,
            Status.UNDER_CONTROL,
            actor=SYSTEM,
            reason="; ".join(h.reason for h in controls),
        )
        return declaration
    if status in {Status.ACCEPTED, Status.UNDER_CONTROL} and not controls:
        assess(session, declaration)
        status = Status(declaration.status)
    if status in {Status.ASSESSED, Status.PAID, Status.GUARANTEED}:
        release_if_clear(session, declaration)
    return declaration


def _items_to_assess(
    session: Session, body: DeclarationIn, on: date, national: str
) -> tuple[list[tariff.ItemToAssess], list[tuple[str, ...]]]:
    currencies = {i.value.currency for i in body.items if i.value}
    currencies |= {c.currency for c in (body.freight, body.insurance) if c is not None}
    rates = reference.exchange_rates_on(session, currencies, on)
    prices = [
        ItemPrice(
            Money(item.value.amount, item.value.currency) if item.value else Money.zero(national),
            item.net_mass_kg,
        )
        for item in body.items
    ]
    values = customs_values(
        prices,
        freight=Money(body.freight.amount, body.freight.currency) if body.freight else None,
        insurance=Money(body.insurance.amount, body.insurance.currency) if body.insurance else None,
        incoterm=body.delivery_terms.incoterm if body.delivery_terms else None,
        national=national,
        rates=rates,
    )
    items = []
    for item, value in zip(body.items, values, strict=True):
        quantities: dict[str, Decimal] = {}
        if item.net_mass_kg is not None:
            quantities["KGM"] = item.net_mass_kg
        supplementary = item.supplementary_quantity
        if supplementary is not None and supplementary.unit is not None:
            quantities[supplementary.unit] = supplementary.value
        items.append(
            tariff.ItemToAssess(
                commodity_code=item.commodity_code,
                customs_value=value.customs_value,
                origin=item.origin or "",
                quantities=quantities,
                preference=item.preference,
                proof_of_origin=item.proof_of_origin is not None,
                description=item.description,
            )
        )
    return items, [v.steps for v in values]


def _compute(session: Session, declaration: Declaration, on: date | None = None) -> Money | None:
    """Assess the current version and keep the result; None when it needs an officer."""
    national = get_settings().currency
    on = on or (declaration.accepted_at.date() if declaration.accepted_at else date.today())
    body = DeclarationIn.model_validate(declaration.content)
    try:
        items, build_up = _items_to_assess(session, body, on, national)
        result = tariff.assess(session, items, on)
    except AssessmentError as exc:
        declarations.place_hold(
            session,
            declaration,
            kind="other",
            actor=SYSTEM,
            reason=f"Cannot be assessed automatically: {exc}. An officer assesses it.",
        )
        return None
    lines: list[dict[str, Any]] = [
        {
            "sequence": body.items[i].sequence,
            "commodity_code": line.item.commodity_code,
            "customs_value": str(line.item.customs_value.amount),
            "value_build_up": list(build_up[i]),
            "amounts": {t.value: str(m.amount) for t, m in line.amounts.items()},
            "trace": [step.text for step in line.trace],
            "duties": [
                {
                    "tax_type": step.measure_type.value,
                    "rate": step.rate_text,
                    "base": str(step.base.amount) if step.base else None,
                    "amount": str(step.amount.amount),
                }
                for step in line.trace
                if step.amount is not None
            ],
            "preference": (
                {
                    "claimed": line.preference.claimed,
                    "granted": line.preference.granted,
                    "reason": line.preference.reason,
                }
                if line.preference
                else None
            ),
        }
        for i, line in enumerate(result.lines)
    ]
    total = result.total
    declarations.record_assessment(
        session,
        declaration,
        currency=total.currency,
        total=total.amount,
        amounts={t.value: str(m.amount) for t, m in result.amounts.items()},
        items=lines,
        trace=[step.text for step in result.trace],
        on=on,
    )
    if total.amount > 0:
        payments.request_payment(
            session,
            organisation_id=declaration.organisation_id,
            declaration_id=declaration.id,
            declaration_number=declaration.number or "",
            lines=[(t.value, m) for t, m in result.amounts.items() if m.amount > 0],
            actor=SYSTEM,
        )
    return total


def _await_payment(session: Session, declaration: Declaration, total: Money) -> None:
    declarations.place_hold(
        session, declaration, kind="payment", actor=SYSTEM, reason=f"{total} to pay or secure"
    )
    declarations.transition(
        session, declaration, Status.AWAITING_PAYMENT, actor=SYSTEM, reason=f"{total} due"
    )


def assess(session: Session, declaration: Declaration, on: date | None = None) -> Declaration:
    """Compute duties and taxes; request payment when something is due, else move on."""
    total = _compute(session, declaration, on)
    if total is None:
        return declaration
    declarations.transition(
        session, declaration, Status.ASSESSED, actor=SYSTEM, reason=f"duties and taxes {total}"
    )
    if total.amount > 0:
        _await_payment(session, declaration, total)
    else:
        release_if_clear(session, declaration)
    return declaration


def reassess(session: Session, declaration: Declaration) -> Declaration:
    """After an amendment: assess again and settle the difference in the payment request."""
    status = Status(declaration.status)
    if status not in {Status.ASSESSED, Status.AWAITING_PAYMENT}:
        return advance(session, declaration)
    total = _compute(session, declaration)
    if total is None:
        return declaration
    if status == Status.ASSESSED and total.amount > 0:
        _await_payment(session, declaration, total)
    elif status == Status.AWAITING_PAYMENT and total.amount == 0:
        declarations.lift_holds_of_kind(
            session, declaration, "payment", reason="nothing due after amendment", actor=SYSTEM
        )
        declarations.transition(
            session,
            declaration,
            Status.ASSESSED,
            actor=SYSTEM,
            reason="nothing due after amendment",
        )
        release_if_clear(session, declaration)
    return declaration


def release_if_clear(session: Session, declaration: Declaration) -> bool:
    """Release the moment nothing is owed and no hold is open."""
    if Status(declaration.status) not in {Status.ASSESSED, Status.PAID, Status.GUARANTEED}:
        return False
    if declarations.open_holds(declaration):
        return False
    declarations.transition(
        session, declaration, Status.RELEASED, actor=SYSTEM, reason="all conditions met"
    )
    return True


def settle(session: Session, declaration_id: int, *, secured: bool, reference_text: str) -> None:
    """Payment was received or secured by a guarantee: lift the payment hold and move on."""
    declaration = declarations.get_for_update(session, declaration_id)
    if Status(declaration.status) != Status.AWAITING_PAYMENT:
        return  # already settled: a redelivered event changes nothing
    target = Status.GUARANTEED if secured else Status.PAID
    declarations.transition(session, declaration, target, actor=SYSTEM, reason=reference_text)
    declarations.lift_holds_of_kind(
        session, declaration, "payment", reason=reference_text, actor=SYSTEM
    )
    release_if_clear(session, declaration)


def place_hold(
    session: Session, principal: Principal, declaration_id: int, *, kind: str, reason: str
) -> Declaration:
    """A person (or another domain) holds the declaration; controls put it under control."""
    declaration = declarations.get_for_update(session, declaration_id)
    declarations.place_hold(session, declaration, kind=kind, reason=reason, actor=principal.actor)
    return advance(session, declaration)


def lift_hold(
    session: Session, principal: Principal, declaration_id: int, hold_id: int, *, reason: str
) -> Declaration:
    """Lift a hold; the declaration moves on (assessment, release) if nothing else stops it."""
    declaration = declarations.get_for_update(session, declaration_id)
    hold = next((h for h in declaration.holds if h.id == hold_id), None)
    if hold is not None and hold.kind == "payment":
        raise Conflict("The payment hold is lifted by paying or securing the amount due.")
    declarations.lift_hold(session, declaration, hold_id, reason=reason, actor=principal.actor)
    return advance(session, declaration)


def release(
    session: Session, principal: Principal, declaration_id: int, *, reason: str
) -> Declaration:
    """An officer releases: every control hold is lifted with the reason; payment must be done."""
    declaration = declarations.get_for_update(session, declaration_id)
    if any(h.kind == "payment" for h in declarations.open_holds(declaration)):
        raise Conflict(
            "Duties and taxes are not paid or secured yet: the goods cannot be released."
        )
    for hold in declarations.open_holds(declaration):
        declarations.lift_hold(session, declaration, hold.id, reason=reason, actor=principal.actor)
    advance(session, declaration)
    if declaration.status != Status.RELEASED:
        raise Conflict(f"A declaration that is {declaration.status} cannot be released yet.")
    return declaration


def cancel(session: Session, principal: Principal, declaration_id: int, reason: str) -> Declaration:
    """The declarant withdraws the declaration: nothing is owed any more."""
    declaration = declarations.cancel(session, principal, declaration_id, reason)
    _close(session, declaration, principal.actor, f"declaration cancelled: {reason}")
    return declaration


def invalidate(
    session: Session, principal: Principal, declaration_id: int, reason: str
) -> Declaration:
    """Customs invalidates the declaration: nothing is owed any more."""
    declaration = declarations.invalidate(session, principal, declaration_id, reason)
    _close(session, declaration, principal.actor, f"declaration invalidated: {reason}")
    return declaration


def _close(session: Session, declaration: Declaration, actor: str, reason: str) -> None:
    payments.withdraw_payment_request(session, declaration.id, actor=actor, reason=reason)
    declarations.lift_holds_of_kind(session, declaration, "payment", reason=reason, actor=actor)


def _on_payment(session: Session, event: Event) -> None:
    declaration_id = event.payload.get("declaration_id")
    if declaration_id is None or event.topic not in {"payment.settled", "payment.secured"}:
        return
    reference_text = (
        f"paid, receipt {event.payload.get('receipt_number')}"
        if event.topic == "payment.settled"
        else "secured by deferred-payment account"
    )
    settle(
        session,
        int(declaration_id),
        secured=event.topic == "payment.secured",
        reference_text=reference_text,
    )


def register_consumers() -> None:
    """Subscribe the flow to the events that move declarations on (once per process)."""
    events.unsubscribe("clearance.payments")
    events.subscribe("clearance.payments", "payment.", _on_payment)
