"""The lifecycle of a goods declaration: its states and the transitions allowed, in one place.

>>> allowed("accepted", "assessed")
True
>>> allowed("released", "lodged")
False
"""

from __future__ import annotations

from enum import StrEnum

from onewindow.errors import Conflict


class Status(StrEnum):
    LODGED = "lodged"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNDER_CONTROL = "under_control"
    ASSESSED = "assessed"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    GUARANTEED = "guaranteed"
    RELEASED = "released"
    CANCELLED = "cancelled"
    INVALIDATED = "invalidated"


LABELS: dict[Status, str] = {
    Status.LODGED: "Lodged",
    Status.ACCEPTED: "Accepted",
    Status.REJECTED: "Rejected",
    Status.UNDER_CONTROL: "Under control",
    Status.ASSESSED: "Assessed",
    Status.AWAITING_PAYMENT: "Awaiting payment",
    Status.PAID: "Paid",
    Status.GUARANTEED: "Secured by guarantee",
    Status.RELEASED: "Released",
    Status.CANCELLED: "Cancelled",
    Status.INVALIDATED: "Invalidated",
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.LODGED: frozenset({Status.ACCEPTED, Status.REJECTED}),
    Status.ACCEPTED: frozenset(
        {Status.UNDER_CONTROL, Status.ASSESSED, Status.CANCELLED, Status.INVALIDATED}
    ),
    Status.UNDER_CONTROL: frozenset({Status.ASSESSED, Status.CANCELLED, Status.INVALIDATED}),
    Status.ASSESSED: frozenset(
        {Status.AWAITING_PAYMENT, Status.RELEASED, Status.CANCELLED, Status.INVALIDATED}
    ),
    Status.AWAITING_PAYMENT: frozenset(
        {Status.PAID, Status.GUARANTEED, Status.ASSESSED, Status.CANCELLED, Status.INVALIDATED}
    ),
    Status.PAID: frozenset({Status.RELEASED, Status.INVALIDATED}),
    Status.GUARANTEED: frozenset({Status.RELEASED, Status.INVALIDATED}),
    Status.REJECTED: frozenset(),
    Status.RELEASED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.INVALIDATED: frozenset(),
}
"""Which state may follow which. A declaration under control is assessed once its controls are
done; it is released only from a state where nothing is owed and no hold is open."""

AMENDABLE = frozenset(
    {Status.ACCEPTED, Status.UNDER_CONTROL, Status.ASSESSED, Status.AWAITING_PAYMENT}
)
"""States in which the declarant may still amend (before release, before payment)."""

FINAL = frozenset({Status.REJECTED, Status.RELEASED, Status.CANCELLED, Status.INVALIDATED})


def allowed(current: str, target: str) -> bool:
    """Whether ``current`` may move to ``target``."""
    return Status(target) in TRANSITIONS[Status(current)]


def check(current: str, target: str) -> None:
    """Refuse a transition the lifecycle does not allow, saying what is allowed instead."""
    if not allowed(current, target):
        options = ", ".join(sorted(TRANSITIONS[Status(current)])) or "nothing (it is final)"
        raise Conflict(
            f"A declaration that is {LABELS[Status(current)].lower()} cannot become "
            f"{LABELS[Status(target)].lower()}; from here it can become: {options}."
        )
