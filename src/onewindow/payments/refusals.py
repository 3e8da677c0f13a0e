"""The payments domain's refusals that stay on record: the boundary commits them, then answers."""

from __future__ import annotations

from onewindow.errors import Conflict, DomainError, Forbidden, InvalidInput


class RefusalOnRecord(DomainError):
    """A refusal whose audit entry must outlive it: the boundary commits, then answers."""

    kept_on_record = True


class CallbackRefused(RefusalOnRecord, Forbidden):
    """A bank callback whose signature does not match its body."""


class CallbackMalformed(RefusalOnRecord, InvalidInput):
    """A correctly signed bank callback that does not say what a callback must say."""


class PaymentMismatch(RefusalOnRecord, Conflict):
    """The bank reports another amount, currency or outcome than the payment recorded."""


class DefermentRefused(RefusalOnRecord, Conflict):
    """A deferred account cannot carry a payment request (the reason says why)."""
