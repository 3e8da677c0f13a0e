"""What a person reads about an event: a title, a sentence and a portal link.

Pure functions, no database. A topic without a template gets a generic sentence, so a new event
never goes untold.

>>> compose("declaration.released", "declaration", "17", {"number": "24GB0000000017"}).title
'Declaration 24GB0000000017 released'
>>> compose("cargo.gated_out", "container", "MSCU1234565", {}).title
'Container MSCU1234565: gated out'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from onewindow.money import Money

TITLE_LENGTH = 200
BODY_LENGTH = 2000
VALUE_LENGTH = 200


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str | None
    subject: str = ""
    """What the event is about, as a person names it ("Declaration 24GB0000000017"): the
    heading its notifications are grouped under ("" when the event does not say)."""
    thread: str = ""
    """The group its notification joins: ``declaration:17`` for every event about declaration
    17, its payments' included; else the event's own subject (``manifest:4``)."""


SUBJECT_NAMES: dict[str, str] = {
    "declaration": "Declaration",
    "manifest": "Manifest",
    "call": "Call",
    "entry_summary": "Entry summary",
    "container": "Container",
    "document": "Transport document",
    "permit_application": "Application",
    "company_document": "Company document",
    "payment_request": "Payment request",
    "organisation": "Your organisation",
}
"""How a subject type is named in a group's heading."""


SUBJECT_HEADINGS: dict[str, str] = {
    "organisation": "Your organisation",
    "mandate": "Mandate: {representative} for {represented}",
}
"""Headings of subjects a person knows by names rather than by a number."""


def subject_name(subject_type: str, number: str, payload: Mapping[str, Any] | None = None) -> str:
    """The heading of a subject's notifications.

    >>> subject_name("declaration", "24GB0000000017"), subject_name("organisation", "3")
    ('Declaration 24GB0000000017', 'Your organisation')
    >>> subject_name("mandate", "4", {"represented": "Acme", "representative": "Brokers Ltd"})
    'Mandate: Brokers Ltd for Acme'
    """
    if subject_type in SUBJECT_HEADINGS and (payload or subject_type == "organisation"):
        return _fill(SUBJECT_HEADINGS[subject_type], number, payload or {})[:TITLE_LENGTH]
    kind = SUBJECT_NAMES.get(subject_type, subject_type.replace("_", " ").capitalize())
    return f"{kind} {number}"[:TITLE_LENGTH]


TEMPLATES: dict[str, tuple[str, str]] = {
    "aeo.application_submitted": (
        "AEO application {number} submitted",
        "Customs has received your application and will review it.",
    ),
    "aeo.information_requested": (
        "AEO application {number}: customs asks",
        "Customs asks for information: answer in the application's thread.",
    ),
    "aeo.answered": ("AEO application {number}: answered", "Your answer was sent to customs."),
    "aeo.visit_planned": (
        "AEO application {number}: validation visit planned",
        "Customs will visit your premises to validate the application.",
    ),
    "aeo.visit_recorded": (
        "AEO application {number}: visit recorded",
        "Customs recorded the validation visit's findings.",
    ),
    "aeo.application_granted": (
        "AEO application {number} granted",
        "Your AEO certificate is issued.",
    ),
    "aeo.application_refused": (
        "AEO application {number} refused",
        "Customs refused the application.",
    ),
    "aeo.status_changed": (
        "AEO certificate {number}: status changed",
        "The status of your AEO certificate changed.",
    ),
    "aeo.reassessment_due": (
        "AEO certificate {number}: reassessment due",
        "Customs will reassess your company soon.",
    ),
    "aeo.certificate_reassessed": (
        "AEO certificate {number} reassessed",
        "Customs recorded the reassessment.",
    ),
    "organisation.registered": (
        "Your organisation is registered",
        "Welcome to the single window: you can now lodge and follow your formalities here.",
    ),
    "declaration.lodged": (
        "Declaration {number} lodged",
        "The declaration was received and is being checked.",
    ),
    "declaration.accepted": (
        "Declaration {number} accepted",
        "Customs accepted the declaration.",
    ),
    "declaration.rejected": (
        "Declaration {number} rejected",
        "The declaration was rejected: correct what is pointed out and lodge it again.",
    ),
    "declaration.hold_placed": (
        "Hold placed on declaration {number}",
        "The goods cannot be released until the hold is lifted.",
    ),
    "declaration.hold_lifted": (
        "Hold lifted on declaration {number}",
        "The hold on the declaration has been lifted.",
    ),
    "declaration.under_control": (
        "Declaration {number} selected for control",
        "Customs will check the declaration before release.",
    ),
    "declaration.assessed": (
        "Declaration {number} assessed",
        "Duties and taxes on the declaration have been assessed.",
    ),
    "declaration.awaiting_payment": (
        "Payment requested for declaration {number}",
        "Pay the amount due, or secure it by a guarantee, so that the goods can be released.",
    ),
    "declaration.amended": (
        "Declaration {number} amended",
        "A new version of the declaration was recorded.",
    ),
    "declaration.paid": (
        "Declaration {number} paid",
        "The payment was received.",
    ),
    "declaration.guaranteed": (
        "Declaration {number} secured by guarantee",
        "The amount due is secured by your guarantee.",
    ),
    "declaration.released": (
        "Declaration {number} released",
        "The goods are released: the terminal may let them out.",
    ),
    "declaration.cancelled": (
        "Declaration {number} cancelled",
        "The declaration was cancelled.",
    ),
    "declaration.invalidated": (
        "Declaration {number} invalidated",
        "The declaration was invalidated.",
    ),
    "risk.channel_selected": (
        "Channel chosen for declaration {number}",
        "Customs risk assessment chose the declaration's channel.",
    ),
    "risk.ipr_suspected": (
        "Declaration {number} held: your trade mark may be infringed",
        "A declaration matches a trade mark you recorded; customs holds the goods for your view.",
    ),
    "cargo.entry_summary_accepted": (
        "Entry summary {number} accepted",
        "The entry summary declaration was accepted and assessed before arrival.",
    ),
    "cargo.entry_summary_rejected": (
        "Entry summary {number} refused",
        "The entry summary declaration was refused: correct each error shown and lodge it again.",
    ),
    "cargo.do_not_load": (
        "Do not load: entry summary {number}",
        "Customs asks that these goods are not loaded (or stay on board) until it says otherwise. "
        "Contact the customs office for the next steps.",
    ),
    "cargo.inspect": (
        "Inspect on arrival: entry summary {number}",
        "Customs will inspect these goods when they arrive; keep them available at the terminal.",
    ),
    "cargo.control_resolved": (
        "Control of entry summary {number} resolved",
        "Customs has ended its control of these goods before arrival.",
    ),
    "cargo.manifest_lodged": (
        "Manifest {number} received",
        "The manifest was recorded; its documents can now be declared.",
    ),
    "cargo.manifest_amended": (
        "Manifest {number} amended",
        "A new version of the manifest was recorded.",
    ),
    "cargo.manifest_cancelled": ("Manifest {number} cancelled", "The manifest was cancelled."),
    "cargo.unreleased_gate_out": (
        "Left the terminal unreleased: {number}",
        "A terminal reported that cargo customs has not released left its gate. Act now.",
    ),
    "cargo.released": (
        "Released: declaration {number}",
        "Customs released the goods of this declaration: the cargo you hold may leave the gate.",
    ),
    "cargo.call_registered": ("Call {number} registered", "The call was announced."),
    "cargo.call_arrived": ("Arrived: call {number}", "The arrival was recorded."),
    "cargo.call_cleared": ("Cleared to depart: call {number}", "The port cleared the departure."),
    "cargo.call_departed": ("Departed: call {number}", "The departure was recorded."),
    "permits.application_lodged": (
        "Application {number} lodged",
        "The agency received your application; you can follow each step here.",
    ),
    "permits.application_received": (
        "New application {number}",
        "An application waits in your agency's queue.",
    ),
    "permits.step_done": ("Application {number}: a step is done", "The application moved on."),
    "permits.information_requested": (
        "Application {number}: the agency asks for information",
        "Answer in the application's messages: the agency waits for you.",
    ),
    "permits.answered": (
        "Application {number}: the applicant answered",
        "The applicant answered your question.",
    ),
    "permits.approved": (
        "Application {number} approved",
        "The permit is issued; goods that wait for it are released by themselves.",
    ),
    "permits.rejected": ("Application {number} refused", "The agency refused the application."),
    "permits.company_document_verified": (
        "Company document {number} verified",
        "Every application that needs it uses it until it expires.",
    ),
    "permits.company_document_refused": (
        "Company document {number} refused",
        "The agency could not verify the document.",
    ),
    "payment.requested": (
        "Payment request {number} for declaration {declaration_number}",
        "Pay the amount, or secure it on a deferred-payment account, to have the goods released.",
    ),
    "payment.started": (
        "Payment of {amount} {currency} sent to the bank",
        "The bank is processing the payment; the receipt follows its confirmation.",
    ),
    "payment.settled": (
        "Payment received for declaration {declaration_number}",
        "Receipt {receipt_number} is issued.",
    ),
    "payment.failed": ("Payment refused by the bank", "Nothing was paid: pay again."),
    "payment.secured": (
        "Declaration {declaration_number} secured on your deferred account",
        "The amount is charged to your deferred-payment account.",
    ),
    "mandate.granted": (
        "Mandate: {representative} acts for {represented}",
        "The mandate is in force: {representative} may lodge declarations for {represented}.",
    ),
    "mandate.revoked": (
        "Mandate revoked: {representative} no longer acts for {represented}",
        "Declarations lodged under the mandate stay as they are.",
    ),
    "permits.company_document_expiring": (
        "Company document {number} expires soon",
        "Lodge its renewal before it expires: applications that need it will stop.",
    ),
    "permits.inspection_invited": (
        "Customs asks your agency into the inspection of declaration {number}",
        "Record your findings on the inspection page.",
    ),
}
"""Title and sentence per topic; ``{number}`` is the subject's reference (a declaration's number,
an entry summary's movement reference, a manifest's reference); other names are the event's own
values (a mandate's ``{represented}`` and ``{representative}``), empty when it has none."""


class _Values(dict[str, str]):
    """An event's values for a template: a name the event lacks is written as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, number: str, payload: Mapping[str, Any]) -> str:
    values = _Values({k: _text(v) for k, v in payload.items() if isinstance(v, str | int)})
    values["number"] = number
    return template.format_map(values)


SUBJECT_LINKS: dict[str, str] = {
    "declaration": "/declarations/{subject_id}",
    "manifest": "/cargo/manifests/{subject_id}",
    "call": "/cargo",
    "entry_summary": "/cargo",
    "container": "/cargo/track?q={subject_id}",
    "document": "/cargo/track?q={subject_id}",
    "permit_application": "/permits/applications/{subject_id}",
    "company_document": "/permits",
}
"""Portal page of a subject, by subject type."""


def _text(value: Any) -> str:
    return str(value).strip()[:VALUE_LENGTH]


def reference(subject_id: str, payload: Mapping[str, Any]) -> str:
    """The reference a person knows the subject by: its number if the event gives one.

    >>> reference("17", {"number": "24GB0000000017"})
    '24GB0000000017'
    >>> reference("17", {})
    '17'
    """
    for key in ("number", "reference", "mrn"):
        value = payload.get(key)
        if value not in (None, ""):
            return _text(value)
    return _text(subject_id)


def _amount(amount: Any, currency: Any) -> str:
    """An amount as people read it ("GBP 1,234.50"), or as given when it is no amount.

    >>> _amount("1234.5", "GBP"), _amount("12", "JPY"), _amount("n/a", "GBP")
    ('GBP 1,234.50', 'JPY 12', 'n/a GBP')
    """
    try:
        return str(Money(Decimal(str(amount)), str(currency)))
    except (InvalidOperation, ValueError):
        return f"{_text(amount)} {_text(currency)}"


def _details(payload: Mapping[str, Any]) -> list[str]:
    details = []
    if payload.get("reason"):
        details.append(f"Reason: {_text(payload['reason']).rstrip('.')}.")
    if payload.get("channel"):
        details.append(f"Channel: {_text(payload['channel'])}.")
    errors = payload.get("errors")
    if isinstance(errors, list) and errors:
        details.append(f"{len(errors)} error{'s' if len(errors) > 1 else ''} to correct.")
    if payload.get("amount") not in (None, "") and payload.get("currency"):
        details.append(f"Amount: {_amount(payload['amount'], payload['currency'])}.")
    return details


def _link(subject_type: str, subject_id: str, payload: Mapping[str, Any]) -> str | None:
    given = payload.get("portal_path")
    # Only a path inside the portal: never another site ("//host" or "https://...").
    if (
        isinstance(given, str)
        and given.startswith("/")
        and not given.startswith("//")
        and "\\" not in given
        and len(given) <= 300
    ):
        return given
    pattern = SUBJECT_LINKS.get(subject_type)
    return pattern.format(subject_id=subject_id) if pattern else None


def _thread(subject_type: str, subject_id: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """The group of an event and its heading: events that name a declaration (its payments)
    join the declaration's."""
    declaration_id = str(payload.get("declaration_id") or "")
    if subject_type != "declaration" and declaration_id.isdigit():
        number = _text(payload.get("declaration_number") or "")
        return f"declaration:{declaration_id}", f"Declaration {number}" if number else ""
    return f"{subject_type}:{subject_id}"[:150], ""


def compose(topic: str, subject_type: str, subject_id: str, payload: Mapping[str, Any]) -> Message:
    """The title, sentence and link of an event; details (reason, amount, ...) are appended.

    >>> m = compose("declaration.rejected", "declaration", "5", {"errors": [{}, {}]})
    >>> m.title, m.link
    ('Declaration 5 rejected', '/declarations/5')
    >>> m.body.endswith("lodge it again. 2 errors to correct.")
    True
    """
    number = reference(subject_id, payload)
    template = TEMPLATES.get(topic)
    if template is not None:
        title = _fill(template[0], number, payload)
        sentence = _fill(template[1], number, payload)
    else:
        subject = subject_type.replace("_", " ").capitalize() or "Subject"
        action = topic.rsplit(".", 1)[-1].replace("_", " ")
        title = f"{subject} {number}: {action}"
        sentence = f"Event {topic} was recorded for {subject.lower()} {number}."
    body = " ".join([sentence, *_details(payload)])
    thread, heading = _thread(subject_type, subject_id, payload)
    link = _link(subject_type, subject_id, payload)
    if thread.startswith("declaration:") and subject_type != "declaration":
        receipt = _text(payload.get("receipt_number") or "")
        link = f"/payments/receipts/{receipt}" if receipt else f"/declarations/{thread[12:]}"
        subject = heading
    else:
        subject = subject_name(subject_type, number, payload)
    return Message(title[:TITLE_LENGTH], body[:BODY_LENGTH], link, subject, thread)
