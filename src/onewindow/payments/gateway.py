"""Payment gateways: how the single window asks a bank to charge, and how the bank answers.

A bank answers with a callback whose raw JSON body is signed with HMAC-SHA256; the signature
travels in the ``X-Bank-Signature`` header as ``sha256=<hex>``. Whatever the callback's path (the
HTTP endpoint, or the outbox for the simulated bank), it is verified by the same function
(:func:`onewindow.payments.service.apply_bank_callback`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy.orm import Session

from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.events import record_event
from onewindow.money import Money, amount_text

SIGNATURE_HEADER = "X-Bank-Signature"
BANK_CALLBACK_TOPIC = "bank.callback"
# A fixed label: the callback key is derived from the secret key, never the secret key itself.
_CALLBACK_KEY_LABEL = b"onewindow/payments/bank-callback/v1"

CallbackStatus = Literal["confirmed", "failed"]


class PaymentGateway(Protocol):
    """A payment provider: it charges the payer and later confirms or refuses by callback."""

    @property
    def name(self) -> str:
        """The provider's name, recorded on each payment (``simulated-bank``)."""
        ...

    def charge(self, payment_reference: str, amount: Money, payer: str) -> str:
        """Ask for ``amount``, quoting ``payment_reference``; return the provider's reference."""
        ...


def callback_key() -> bytes:
    """The key that signs bank callbacks, derived from the application's secret key."""
    secret = get_settings().require_secret()
    return hmac.new(secret.encode(), _CALLBACK_KEY_LABEL, hashlib.sha256).digest()


def sign_callback(raw_body: bytes) -> str:
    """The ``X-Bank-Signature`` value for ``raw_body``: ``sha256=`` and the hex HMAC."""
    return "sha256=" + hmac.new(callback_key(), raw_body, hashlib.sha256).hexdigest()


def signature_matches(raw_body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is the callback key's signature of exactly these bytes."""
    if not signature:
        return False
    # Compared as bytes in constant time, so the answer's timing reveals nothing of the key.
    return hmac.compare_digest(sign_callback(raw_body).encode(), signature.strip().encode())


def callback_body(
    provider_reference: str, amount: Money, status: CallbackStatus, paid_at: datetime
) -> bytes:
    """The JSON body a bank sends back; the amount is a string, never a float."""
    content = {
        "provider_reference": provider_reference,
        "amount": amount_text(amount),
        "currency": amount.currency,
        "status": status,
        "paid_at": paid_at.isoformat(),
    }
    return json.dumps(content, separators=(",", ":")).encode()


class SimulatedBank:
    """A bank built into the single window, for demonstrations, training and tests.

    It accepts every charge at once and answers with a signed callback, delivered through the
    outbox in the same transaction as the payment: no network, and the callback exists if and only
    if the payment does. ``outcome="failed"`` simulates a refused card or an empty account.
    """

    name = "simulated-bank"

    def __init__(self, session: Session, *, outcome: CallbackStatus = "confirmed") -> None:
        self.session = session
        self.outcome: CallbackStatus = outcome

    def charge(self, payment_reference: str, amount: Money, payer: str) -> str:
        """Accept the charge and queue the signed callback; return the bank's transaction id."""
        provider_reference = "SB-" + uuid.uuid4().hex[:20].upper()
        body = callback_body(provider_reference, amount, self.outcome, utcnow())
        record_event(
            self.session,
            BANK_CALLBACK_TOPIC,
            "bank_callback",
            provider_reference,
            {
                "body": body.decode(),
                "signature": sign_callback(body),
                "payment_reference": payment_reference,
                "payer": payer,
            },
        )
        return provider_reference
