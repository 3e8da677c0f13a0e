"""CUSRES, the UN/EDIFACT customs response (D.96B), written from a response description.

:func:`write_cusres` answers a declaration: its state (accepted, rejected, released, under
control), the errors found (each with its JSON pointer into the declaration, code and text) and
the duties to pay, in an interchange built by :func:`onewindow.formats.edifact.write_interchange`.

Segments written (element positions count from 1 after the tag)::

    UNH  1 message reference, 2 CUSRES:D:96B:UN
    BGM  2 document number (the declaration number), 3 message function 9 (original),
         4 response type (4343): AP accepted (accepted, released), CA conditionally accepted
         (under control: accepted, the goods held for a check), RE rejected
    DTM  137 (document date) in format 203, CCYYMMDDHHMM, UTC
    GIS  1:1 the response function code of the WCO data model (as the WCO RES adapter writes
         it, :data:`~onewindow.formats.wco.RESPONSE_FUNCTION_CODES`; 05 for goods under control),
         1:3 agency ZZZ (mutually defined): what tells "released" from "accepted"
    for each error (segment group 1):
    ERP  1:1 message section (1 heading, 2 detail), 1:2 the goods item number when the
         pointer names one (``/items/0/...`` is item 1)
    ERC  1:1 the error code (its first eight characters: 9321 is an..8)
    FTX  AAO (error description), 4 free text of five components of 70 characters at most
         (4440 is an..70): the whole error code, the pointer, then the text over the
         remaining three
    when duties are assessed (segment group 4):
    TAX  1 function 7 (tax)
    MOA  176 (message total duty/tax/fee amount), amount, currency
    segment group 5:
    RFF  ABE (declarant's reference number) when known, else ABT (customs declaration number)
    UNT

A pointer longer than 70 characters, or a text longer than 210, is cut to fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from onewindow.formats.edifact import Element, OutgoingMessage, write_interchange
from onewindow.formats.wco import RESPONSE_FUNCTION_CODES, ResponseError

__all__ = ["RESPONSE_TYPES", "CusresResponse", "ResponseError", "State", "write_cusres"]

State = Literal["accepted", "rejected", "released", "under_control"]

RESPONSE_TYPES: dict[str, tuple[str, str]] = {
    "accepted": ("AP", RESPONSE_FUNCTION_CODES["acceptance"]),
    "rejected": ("RE", RESPONSE_FUNCTION_CODES["rejection"]),
    "released": ("AP", RESPONSE_FUNCTION_CODES["release"]),
    "under_control": ("CA", "05"),
}
"""Each state's BGM response type (4343) and GIS response function code."""


@dataclass(frozen=True)
class CusresResponse:
    """What the response says: ``duties_total`` in ``currency`` when duties were assessed."""

    declaration_number: str
    state: State
    errors: Sequence[ResponseError] = field(default_factory=tuple)
    duties_total: Decimal | None = None
    currency: str | None = None
    issued_at: datetime | None = None
    declarant_reference: str | None = None


def write_cusres(
    response: CusresResponse,
    *,
    sender: str,
    recipient: str,
    control_reference: str,
    message_reference: str = "1",
    syntax: str = "UNOC",
) -> str:
    """The CUSRES interchange answering a declaration.

    Raises ValueError for a state it does not know, duties without a currency, or a character
    outside the syntax identifier's repertoire.
    """
    if response.state not in RESPONSE_TYPES:
        raise ValueError(f"unknown response state {response.state!r}")
    if response.duties_total is not None and not response.currency:
        raise ValueError("duties need their currency")
    when = (response.issued_at or datetime.now(UTC)).astimezone(UTC)
    response_type, function_code = RESPONSE_TYPES[response.state]
    segments: list[tuple[str, Sequence[Element]]] = [
        ("BGM", [None, response.declaration_number, "9", response_type]),
        ("DTM", [["137", when.strftime("%Y%m%d%H%M"), "203"]]),
        ("GIS", [[function_code, "", "ZZZ"]]),
    ]
    for error in response.errors:
        segments += _error_segments(error)
    if response.duties_total is not None:
        segments.append(("TAX", ["7"]))
        amount = f"{response.duties_total:f}"
        segments.append(("MOA", [["176", amount, response.currency or ""]]))
    if response.declarant_reference:
        segments.append(("RFF", [["ABE", response.declarant_reference]]))
    else:
        segments.append(("RFF", [["ABT", response.declaration_number]]))
    message = OutgoingMessage(message_reference, ("CUSRES", "D", "96B", "UN"), segments)
    return write_interchange(
        [message],
        sender=sender,
        recipient=recipient,
        control_reference=control_reference,
        prepared=when,
        syntax=syntax,
    )


_ITEM = re.compile(r"^/items/(\d+)(?:/|$)")


def _error_segments(error: ResponseError) -> list[tuple[str, Sequence[Element]]]:
    """ERP, ERC and FTX for one error."""
    item = _ITEM.match(error.pointer)
    point: list[str] = ["2", str(int(item.group(1)) + 1)] if item else ["1"]
    return [
        ("ERP", [point]),
        ("ERC", [error.code[:8]]),
        (
            "FTX",
            ["AAO", None, None, [error.code[:70], error.pointer[:70], *_chunks(error.description)]],
        ),
    ]


def _chunks(text: str, size: int = 70, count: int = 3) -> list[str]:
    """The text in at most ``count`` pieces of ``size`` characters.

    >>> _chunks("abcdef", size=2, count=2)
    ['ab', 'cd']
    """
    return [text[i : i + size] for i in range(0, min(len(text), size * count), size)]
