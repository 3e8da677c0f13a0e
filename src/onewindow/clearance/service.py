"""The path of a goods declaration across domains, in one readable place.

lodge -> validate (accepted or rejected) -> controls placed? (under control until lifted)
-> assess duties and taxes -> payment requested (a payment hold) -> paid or secured
-> released the moment no hold is open.

Routes, the CLI and event consumers call these functions; the domains they call know nothing of
each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from onewindow import audit, events
from onewindow.aeo import service as aeo
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.declarations import service as declarations
from onewindow.declarations.lifecycle import Status
from onewindow.declarations.models import Declaration
from onewindow.declarations.schemas import DeclarationIn, Party
from onewindow.declarations.service import Action
from onewindow.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import Event
from onewindow.exchange import service as exchange
from onewindow.money import Money
from onewindow.parties import service as parties
from onewindow.parties.models import Organisation
from onewindow.payments import service as payments
from onewindow.payments.gateway import PaymentGateway
from onewindow.permits import service as permits
from onewindow.permits.schemas import DeclaredApplicationIn
from onewindow.reference import service as reference
from onewindow.release import open_conditions, released
from onewindow.risk import service as risk
from onewindow.security import LODGING_ROLES, Principal
from onewindow.stages import stage
from onewindow.tariff import service as tariff
from onewindow.tariff.engine import AssessmentError
from onewindow.tariff.valuation import ItemPrice, customs_values

SYSTEM = "system"


def lodge(
    session: Session,
    principal: Principal,
    body: DeclarationIn,
    *,
    today: date | None = None,
    permit_applications: Sequence[DeclaredApplicationIn] = (),
) -> declarations.Lodgement:
    """Lodge a declaration and carry it as far as it can go without a person.

    Only importers, exporters and brokers lodge, in their own name or in the name of a company
    that mandated them (:func:`lodging_parties`). A retry of the same reference and body answers
    with the first declaration, whatever happened since.

    The permit applications it carries are checked with it (a problem names its place, and
    nothing is stored) and lodged with it, their fields taken from it; the declaration then
    waits for their permits (the permits release condition), and goes once they are granted.
    """
    settings = get_settings()
    today = today or date.today()
    _may_lodge(principal)
    with stage("parties"):
        found = declarations.previous_lodgement(session, principal, body)
        if found is not None:
            return found
        named = lodging_parties(session, principal, body, today)
    if permit_applications:
        permits.check_declared(
            session,
            principal,
            body.model_dump(mode="json"),
            {role: org.name for role, org in named.items()},
            permit_applications,
        )
    lodgement = declarations.lodge(
        session,
        principal,
        body,
        country=settings.country,
        today=today,
        parties={role: org.id for role, org in named.items()},
    )
    if lodgement.created and lodgement.declaration.status == Status.ACCEPTED:
        if permit_applications:
            permits.lodge_declared(
                session, principal, lodgement.declaration.id, permit_applications
            )
        with stage("risk"):
            _select(session, lodgement.declaration, body, named)
        with stage("assess"):
            advance(session, lodgement.declaration)
    return lodgement


def _may_lodge(principal: Principal) -> None:
    if "declarations:write" not in principal.scopes:
        raise Forbidden("This needs the scope 'declarations:write'.")
    if not principal.has_role(*LODGING_ROLES):
        raise Forbidden("Only importers, exporters and customs brokers lodge declarations.")


def _in_whose_name(body: DeclarationIn) -> dict[str, Party]:
    """The parties a declaration binds: the declarant, and the importer or the exporter."""
    named: dict[str, Party | None] = {
        "declarant": body.declarant,
        "importer": body.importer if body.type == "IM" else None,
        "exporter": body.exporter if body.type == "EX" else None,
    }
    return {role: party for role, party in named.items() if party is not None}


def lodging_parties(
    session: Session, principal: Principal, body: DeclarationIn, today: date
) -> dict[str, Organisation]:
    """The registered companies a declaration names, once the principal may lodge it.

    Parties are resolved whatever form names them (identifier, or name and country). Each
    registered company in whose name it is lodged is the principal itself, or has mandated the
    principal for this flow and these procedures, in force today, with the representation the
    declaration states; the representative it names is the principal. Unregistered parties bind
    nobody here and are lodged as named.
    """
    bound = _in_whose_name(body)
    roles = [*bound, *(["representative"] if body.representative else [])]
    people = [*bound.values(), *([body.representative] if body.representative else [])]
    orgs = parties.resolve_parties(
        session,
        [
            parties.NamedParty(p.identifier, p.name, p.address.country if p.address else None)
            for p in people
        ],
    )
    named = {role: org for role, org in zip(roles, orgs, strict=True) if org is not None}
    me = principal.organisation_id
    agent = named.get("representative")
    if agent is not None and agent.id != me:
        raise Forbidden(f"You cannot lodge as the representative {agent.name}.")
    others = {org.id: org for role, org in named.items() if role in bound and org.id != me}
    if not others:
        return named
    if body.representative is None:
        name = next(iter(others.values())).name
        raise InvalidInput(
            f"You lodge in the name of {name}: name yourself as its representative.",
            [FieldError("/representative", "is required when you lodge for another company")],
        )
    if agent is None:
        raise InvalidInput(
            "The representative must be your company.",
            [FieldError("/representative", f"name {principal.organisation_name} here")],
        )
    representation = parties.REPRESENTATION_CODES[body.representative.representation]
    procedures = {item.procedure[:2] for item in body.items}
    for org in others.values():
        mandate = parties.covering_mandate(
            session,
            represented_id=org.id,
            representative_id=me,
            representation=representation,
            flow=body.type,
            procedures=procedures,
            on=today,
        )
        if mandate is None:
            raise Forbidden(
                f"{org.name} has not mandated {principal.organisation_name} for "
                f"{parties.FLOWS[body.type].lower()} declarations under procedure "
                f"{', '.join(sorted(procedures))} in {representation} representation "
                f"on {today.isoformat()}."
            )
    return named


CHANNEL_HOLDS = {"yellow": "documentary-check", "red": "physical-inspection"}


def _foreign_operators(body: DeclarationIn) -> dict[str, str]:
    """The party abroad a declaration names, by the role it plays: the exporter (consignor) of
    an import, the importer (consignee) of an export."""
    party = {"IM": ("exporter", body.exporter), "EX": ("importer", body.importer)}.get(body.type)
    if party is None or party[1] is None or not party[1].identifier:
        return {}
    return {party[0]: party[1].identifier}


def _select(
    session: Session, declaration: Declaration, body: DeclarationIn, named: dict[str, Organisation]
) -> None:
    """Risk assessment: the channel, and for yellow or red the hold that puts it under control.

    Rules on parties see each registered party by its registered identifier too, however the
    declaration named it. The AEO benefits are those of the lodging company, of the importer or
    exporter it names, and of the foreign party (the exporter of an import, the importer of an
    export) when a partner's AEO recognised under an MRA.
    """
    treatment = aeo.risk_treatment(
        session,
        organisation_ids=[
            declaration.organisation_id,
            *(org.id for role, org in named.items() if role in ("importer", "exporter")),
        ],
        foreign_operators=_foreign_operators(body),
        on=utcnow().date(),
    )
    selection = risk.select_channel(
        session,
        declaration.id,
        body,
        organisation_id=declaration.organisation_id,
        aeo=treatment,
        party_identifiers={org.identifier for org in named.values()},
        declaration_number=declaration.number,
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


def advance(
    session: Session, declaration: Declaration, rates: Mapping[str, Decimal] | None = None
) -> Declaration:
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
            reason=" ".join(dict.fromkeys(declarations.told(h.kind, h.reason) for h in controls)),
        )
        return declaration
    if status in {Status.ACCEPTED, Status.UNDER_CONTROL} and not controls:
        assess(session, declaration, rates=rates)
        status = Status(declaration.status)
    if status in {Status.ASSESSED, Status.PAID, Status.GUARANTEED}:
        release_if_clear(session, declaration)
    return declaration


def _items_to_assess(
    session: Session,
    body: DeclarationIn,
    on: date,
    national: str,
    given_rates: Mapping[str, Decimal] | None = None,
) -> tuple[list[tariff.ItemToAssess], list[tuple[str, ...]]]:
    currencies = {i.value.currency for i in body.items if i.value}
    currencies |= {c.currency for c in (body.freight, body.insurance) if c is not None}
    rates = {**reference.exchange_rates_on(session, currencies, on), **(given_rates or {})}
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
        proof, refused = item.proof_of_origin is not None, ""
        if item.preference and item.proof_of_origin is not None:
            # A certificate of origin from a partner single window arrives by the exchange.
            found = exchange.origin_proof(
                session,
                item.proof_of_origin.reference,
                proof_type=item.proof_of_origin.type,
                commodity_code=item.commodity_code or "",
                origin=item.origin or "",
                on=on,
            )
            if found is not None and not found.holds:
                proof, refused = False, found.reason
        items.append(
            tariff.ItemToAssess(
                commodity_code=item.commodity_code or "",
                customs_value=value.customs_value,
                origin=item.origin or "",
                quantities=quantities,
                preference=item.preference,
                proof_of_origin=proof,
                description=item.description or "",
                proof_refused=refused,
            )
        )
    return items, [v.steps for v in values]


def _compute(
    session: Session,
    declaration: Declaration,
    on: date | None = None,
    rates: Mapping[str, Decimal] | None = None,
) -> Money | None:
    """Assess the current version and keep the result; None when it needs an officer.

    ``rates`` are exchange rates an officer gave for this declaration alone (assessing by hand):
    they stand before the customs rates of the day."""
    national = get_settings().currency
    on = on or (declaration.accepted_at.date() if declaration.accepted_at else date.today())
    body = DeclarationIn.model_validate(declaration.content)
    try:
        items, build_up = _items_to_assess(session, body, on, national, rates)
        result = tariff.assess(session, items, on)
    except AssessmentError as exc:
        if not any(h.kind == "assessment" for h in declarations.open_holds(declaration)):
            declarations.place_hold(
                session,
                declaration,
                kind="assessment",
                actor=SYSTEM,
                reason=f"Cannot be assessed automatically: {exc}. An officer sees to it.",
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


def assess(
    session: Session,
    declaration: Declaration,
    on: date | None = None,
    rates: Mapping[str, Decimal] | None = None,
) -> Declaration:
    """Compute duties and taxes; request payment when something is due, else move on."""
    total = _compute(session, declaration, on, rates)
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
    """Release the moment nothing is owed, no hold is open and no domain objects."""
    if Status(declaration.status) not in {Status.ASSESSED, Status.PAID, Status.GUARANTEED}:
        return False
    if declarations.open_holds(declaration) or open_conditions(
        session, declaration.id, for_update=True
    ):
        return False
    declarations.transition(
        session, declaration, Status.RELEASED, actor=SYSTEM, reason="all conditions met"
    )
    released(session, declaration.id)
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


def amend(
    session: Session,
    principal: Principal,
    declaration_id: int,
    body: DeclarationIn,
    *,
    reason: str,
    today: date | None = None,
) -> Declaration:
    """The lodger amends before release and payment; parties are checked again, duties redone."""
    today = today or date.today()
    declaration = declarations.authorize(
        session, principal, declaration_id, Action.AMEND, for_update=True
    )
    named = lodging_parties(session, principal, body, today)
    declarations.amend(
        session, declaration, body, actor=principal.actor, reason=reason, today=today
    )
    declarations.set_parties(session, declaration, {role: o.id for role, o in named.items()})
    return reassess(session, declaration)


def apply_request(
    session: Session,
    principal: Principal,
    kind: str,
    number: str | None,
    *,
    patch: dict[str, Any],
    reason: str | None,
    today: date | None = None,
) -> Declaration:
    """A request about a lodged declaration, named by its number: an ``amendment`` (its fields
    replace the lodged ones: a new version, through :func:`amend`) or a ``cancellation``
    (:func:`cancel`). The lifecycle decides as for any amendment or cancellation: one of an
    unknown declaration, or of one already released, is refused with the reason."""
    if not number:
        raise InvalidInput(
            f"The {kind} does not name the declaration it is about.",
            [FieldError("/ID", "give the declaration's number", "required")],
        )
    try:
        declaration = declarations.find_by_number(session, principal, number)
    except NotFound:
        raise Conflict(
            f"The {kind} names declaration {number}, which is not known here; "
            f"a {kind} is made to a lodged declaration."
        ) from None
    if kind == "cancellation":
        return cancel(session, principal, declaration.id, reason or "cancellation requested")
    content = declarations.patched(declaration.content, patch)
    try:
        body = DeclarationIn.model_validate(content)
    except ValidationError as exc:
        raise InvalidInput(
            "The amended declaration is not valid; the declaration is unchanged.",
            [FieldError("/" + "/".join(map(str, e["loc"])), str(e["msg"])) for e in exc.errors()],
        ) from None
    return amend(session, principal, declaration.id, body, reason=reason or "amended", today=today)


def pay(
    session: Session,
    principal: Principal,
    declaration_id: int,
    *,
    method: str,
    gateway: PaymentGateway,
    account: str | None = None,
) -> payments.PaymentOutcome:
    """Pay what a declaration owes, by bank or deferred account (the payer's only)."""
    declaration = declarations.authorize(session, principal, declaration_id, Action.READ)
    open_requests = payments.list_payment_requests(
        session, principal, declaration_id=declaration.id, status="open"
    )
    if not open_requests:
        raise Conflict(f"Nothing is due on declaration {declaration.number or declaration.id}.")
    return payments.pay(
        session,
        principal,
        open_requests[0].id,
        method=method,
        gateway=gateway,
        account=account,
    )


CONTROL_CHANNELS = {"documentary-check": "yellow", "physical-inspection": "red"}


def place_hold(
    session: Session, principal: Principal, declaration_id: int, *, kind: str, reason: str
) -> Declaration:
    """An officer holds the declaration; a control hold selects it for control, as risk would."""
    declaration = declarations.authorize(
        session, principal, declaration_id, Action.CONTROL, for_update=True
    )
    declarations.place_hold(session, declaration, kind=kind, reason=reason, actor=principal.actor)
    if kind in CONTROL_CHANNELS:
        channel = risk.select_by_officer(
            session, principal, declaration.id, CONTROL_CHANNELS[kind], reason
        )
        declarations.set_channel(declaration, channel)
    return advance(session, declaration)


def lift_hold(
    session: Session, principal: Principal, declaration_id: int, hold_id: int, *, reason: str
) -> Declaration:
    """Lift a hold; the declaration moves on (assessment, release) if nothing else stops it."""
    declaration = declarations.authorize(
        session, principal, declaration_id, Action.CONTROL, for_update=True
    )
    hold = next((h for h in declaration.holds if h.id == hold_id), None)
    if hold is not None and hold.lifted_at is None and hold.kind in declarations.LIFTED_BY:
        raise Conflict(f"This hold is lifted by {declarations.LIFTED_BY[hold.kind]}.")
    declarations.lift_hold(session, declaration, hold_id, reason=reason, actor=principal.actor)
    return advance(session, declaration)


RELEASABLE = frozenset(
    {
        Status.ACCEPTED,
        Status.UNDER_CONTROL,
        Status.ASSESSED,
        Status.AWAITING_PAYMENT,
        Status.PAID,
        Status.GUARANTEED,
    }
)


def release(
    session: Session, principal: Principal, declaration_id: int, *, reason: str
) -> Declaration:
    """An officer releases: the holds an officer may lift are lifted with the reason.

    All or nothing: when anything still stops the goods (a payment, an inspection result, a
    permit, an assessment), nothing is changed and the refusal says what is missing.
    """
    declaration = declarations.authorize(
        session, principal, declaration_id, Action.CONTROL, for_update=True
    )
    status = Status(declaration.status)
    if status == Status.RELEASED:
        raise Conflict("The goods are already released.")
    if status not in RELEASABLE:
        raise Conflict(f"A declaration that is {status.value} cannot be released.")
    missing = sorted(
        {
            declarations.LIFTED_BY[h.kind]
            for h in declarations.open_holds(declaration)
            if h.kind in declarations.LIFTED_BY
        }
    )
    if status == Status.AWAITING_PAYMENT and declarations.LIFTED_BY["payment"] not in missing:
        missing.append(declarations.LIFTED_BY["payment"])
    if any(h.kind == "seizure" for h in declarations.open_holds(declaration)):
        missing.append("the seizure to be lifted")
    missing += [c.text for c in open_conditions(session, declaration.id, for_update=True)]
    if missing:
        raise Conflict(f"The goods cannot be released yet: waiting for {'; '.join(missing)}.")
    if not reason.strip():
        raise InvalidInput("Say why.", [FieldError("/reason", "must not be empty")])
    mark = audit.pending_count(session)
    attempt = session.begin_nested()
    for hold in declarations.open_holds(declaration):
        declarations.lift_hold(session, declaration, hold.id, reason=reason, actor=principal.actor)
    advance(session, declaration)
    if declaration.status != Status.RELEASED:
        outcome = Status(declaration.status)
        attempt.rollback()
        audit.discard_pending(session, mark)
        session.refresh(declaration)
        why = (
            "duties and taxes are due first"
            if outcome == Status.AWAITING_PAYMENT
            else (f"it would be {outcome.value}")
        )
        raise Conflict(f"The goods cannot be released yet: {why}.")
    attempt.commit()
    return declaration


def record_inspection(
    session: Session,
    principal: Principal,
    declaration_id: int,
    *,
    finding: str,
    currency: str,
    revenue_recovered: Decimal = Decimal(0),
    goods_seized: bool = False,
    notes: str = "",
) -> risk.InspectionResult:
    """The officer's inspection result: it lifts the control holds; seized goods stay held."""
    declaration = declarations.authorize(
        session, principal, declaration_id, Action.CONTROL, for_update=True
    )
    result = risk.record_inspection(
        session,
        principal,
        declaration.id,
        finding=finding,
        currency=currency,
        revenue_recovered=revenue_recovered,
        goods_seized=goods_seized,
        notes=notes,
    )
    text = f"Inspection result: {risk.FINDINGS[finding]}" + (f". {notes}" if notes else "")
    if goods_seized:
        declarations.place_hold(
            session, declaration, kind="seizure", actor=principal.actor, reason=text
        )
    for hold in declarations.open_holds(declaration):
        if hold.kind in declarations.CONTROL_HOLDS:
            declarations.lift_hold(
                session, declaration, hold.id, reason=text, actor=principal.actor
            )
    advance(session, declaration)
    return result


def assess_again(
    session: Session,
    declaration: Declaration,
    actor: str,
    rates: Mapping[str, Decimal] | None = None,
) -> bool:
    """Retry an assessment that waited for customs (a missing exchange rate, say).

    The assessment hold is lifted only when the duties can now be computed; otherwise nothing
    changes. Returns whether it was assessed.
    """
    held = [h for h in declarations.open_holds(declaration) if h.kind == "assessment"]
    if not held:
        return False
    mark = audit.pending_count(session)
    attempt = session.begin_nested()
    for hold in held:
        declarations.lift_hold(
            session, declaration, hold.id, reason="assessed by customs", actor=actor
        )
    advance(session, declaration, rates)
    if any(h.kind == "assessment" for h in declarations.open_holds(declaration)):
        attempt.rollback()
        audit.discard_pending(session, mark)
        session.refresh(declaration)
        return False
    attempt.commit()
    return True


def assess_by_officer(
    session: Session,
    principal: Principal,
    declaration_id: int,
    *,
    rates: Mapping[str, Decimal] | None = None,
    reason: str = "",
) -> bool:
    """An officer assesses a declaration the tariff could not: again, after a customs rate was
    set, or by hand with the exchange rates the officer gives for this declaration alone (a
    reason is then required, and the rates and the reason are audited). Returns whether it was
    assessed; when not, nothing changed."""
    declaration = declarations.authorize(
        session, principal, declaration_id, Action.CONTROL, for_update=True
    )
    if not any(h.kind == "assessment" for h in declarations.open_holds(declaration)):
        raise Conflict("The declaration does not wait for an assessment.")
    given = dict(rates or {})
    if given:
        _check_rates(given)
        if not reason.strip():
            raise InvalidInput(
                "Say why you assess by hand.",
                [FieldError("/reason", "give the reason and the source of the rate")],
            )
    if not assess_again(session, declaration, principal.actor, given):
        return False
    if given:
        audit.record(
            session,
            actor=principal.actor,
            action="declaration.assessed_by_hand",
            subject_type="declaration",
            subject_id=declaration.id,
            organisation_id=declaration.organisation_id,
            reason=reason.strip(),
            data={"rates": {currency: str(rate) for currency, rate in sorted(given.items())}},
        )
    return True


def _check_rates(rates: Mapping[str, Decimal]) -> None:
    errors = [
        FieldError("/currency", f"{currency!r} is not a currency code like USD")
        for currency in rates
        if not (len(currency) == 3 and currency.isascii() and currency.isalpha())
    ]
    errors += [
        FieldError("/rate", f"the rate of {currency} must be a number above 0, like 0.79")
        for currency, rate in rates.items()
        if not rate.is_finite() or rate <= 0
    ]
    if errors:
        raise InvalidInput("The exchange rate cannot be used.", errors)


def cancel(session: Session, principal: Principal, declaration_id: int, reason: str) -> Declaration:
    """The declarant (or the importer or exporter) withdraws it: nothing is owed any more."""
    declaration = declarations.authorize(
        session, principal, declaration_id, Action.CANCEL, for_update=True
    )
    declarations.transition(
        session, declaration, Status.CANCELLED, actor=principal.actor, reason=reason
    )
    _close(session, declaration, principal.actor, f"declaration cancelled: {reason}")
    return declaration


def invalidate(
    session: Session, principal: Principal, declaration_id: int, reason: str
) -> Declaration:
    """Customs invalidates the declaration (e.g. goods never presented): nothing is owed."""
    declaration = declarations.authorize(
        session, principal, declaration_id, Action.CONTROL, for_update=True
    )
    declarations.transition(
        session, declaration, Status.INVALIDATED, actor=principal.actor, reason=reason
    )
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


def _on_exchange_rate(session: Session, event: Event) -> None:
    """A customs exchange rate was set: declarations that waited for one are assessed again."""
    currency = str(event.payload.get("currency", ""))
    for declaration_id in declarations.held_for(session, "assessment"):
        declaration = declarations.get_for_update(session, declaration_id)
        if currency in {c.get("currency") for c in _currencies(declaration)}:
            assess_again(session, declaration, SYSTEM)


def _currencies(declaration: Declaration) -> list[dict[str, Any]]:
    content = declaration.content
    amounts = [content.get(k) for k in ("invoice", "freight", "insurance")]
    amounts += [item.get("value") for item in content.get("items", [])]
    return [a for a in amounts if isinstance(a, dict)]


def _on_conditions_changed(session: Session, event: Event) -> None:
    """A domain says what stopped a declaration may have changed: release it if nothing does."""
    declaration = declarations.get_for_update(session, int(event.subject_id))
    release_if_clear(session, declaration)


def register_consumers() -> None:
    """Subscribe the flow to the events that move declarations on (once per process)."""
    for name, prefix, consumer in (
        ("clearance.payments", "payment.", _on_payment),
        ("clearance.exchange_rates", "exchange_rate.set", _on_exchange_rate),
        ("clearance.conditions", "release.conditions_changed", _on_conditions_changed),
    ):
        events.unsubscribe(name)
        events.subscribe(name, prefix, consumer)
