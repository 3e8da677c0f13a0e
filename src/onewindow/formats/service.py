"""The formats domain's door: standard messages in, our shapes out (and back)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import Conflict, FieldError, InvalidInput
from onewindow.formats import wco

MAX_SCHEMA_ERRORS = 20


@dataclass(frozen=True)
class WcoDeclaration:
    """A declaration read from a WCO message: its body, and the repairs made to read it."""

    body: DeclarationIn
    repairs: tuple[str, ...] = ()


def _schema_checked(data: bytes, recover: bool) -> bytes:
    """The message once it follows the schema (repaired first, when ``recover`` allows and it is
    not well-formed as written); InvalidInput naming what is wrong otherwise."""
    problems = wco.validate_xml(data)
    if problems and recover and problems[0].startswith("The document is not well-formed"):
        repaired, repairs = wco.repair(data)
        if repairs and not wco.validate_xml(repaired):
            return repaired
    if problems:
        raise InvalidInput(
            "The file does not follow the WCO Data Model 3.6 declaration schema.",
            [FieldError("/xml", p, "schema") for p in problems[:MAX_SCHEMA_ERRORS]],
        )
    return data


def _model(body: dict[str, Any]) -> DeclarationIn:
    try:
        return DeclarationIn.model_validate(body)
    except ValidationError as exc:
        raise InvalidInput(
            "The declaration could not be mapped into the single window's model.",
            [
                FieldError("/" + "/".join(str(p) for p in e["loc"]), str(e["msg"]), str(e["type"]))
                for e in exc.errors()
            ],
        ) from None


def message_from_wco(data: bytes, *, recover: bool = False) -> WcoDeclaration | wco.WcoRequest:
    """Any WCO DEC message, schema-checked: a declaration mapped into our model, or a request
    (amendment, cancellation) about a lodged one. ``recover`` reads a document that is not
    well-formed as written after the safe repairs of :func:`wco.repair` (a dry run does).

    Raises :class:`InvalidInput` naming what is wrong, or :class:`wco.WcoRefusal`.
    """
    checked = _schema_checked(data, recover)
    message = wco.read_message(checked, recover=recover)
    if isinstance(message, wco.WcoRequest):
        return message
    repairs = message.repairs or (() if checked is data else tuple(wco.repair(data)[1]))
    return WcoDeclaration(_model(message.body), repairs)


def declaration_from_wco(data: bytes) -> DeclarationIn:
    """A WCO Data Model 3.6 declaration, schema-checked and mapped into our model.

    Raises :class:`InvalidInput` naming what is wrong (schema or mapping), or
    :class:`wco.WcoRefusal` when the document is not a new declaration (an amendment, say).
    """
    problems = wco.validate_xml(data)
    if problems:
        raise InvalidInput(
            "The file does not follow the WCO Data Model 3.6 declaration schema.",
            [FieldError("/xml", p, "schema") for p in problems[:MAX_SCHEMA_ERRORS]],
        )
    mapped = wco.map_declaration(data)
    try:
        return DeclarationIn.model_validate(mapped.body)
    except ValidationError as exc:
        raise InvalidInput(
            "The declaration could not be mapped into the single window's model.",
            [
                FieldError("/" + "/".join(str(p) for p in e["loc"]), str(e["msg"]), str(e["type"]))
                for e in exc.errors()
            ],
        ) from None


RESPONSE_KINDS: dict[str, wco.ResponseKind] = {
    "lodged": "acceptance",
    "accepted": "acceptance",
    "under_control": "acceptance",
    "rejected": "rejection",
    "assessed": "assessment",
    "awaiting_payment": "assessment",
    "paid": "assessment",
    "guaranteed": "assessment",
    "released": "release",
}
"""Which WCO response answers a declaration in each state (cancelled and invalidated: none)."""


def wco_response(
    *,
    status: str,
    reference: str,
    number: str | None,
    issued_at: datetime,
    errors: Sequence[Mapping[str, str]] = (),
    assessment_items: Sequence[Mapping[str, Any]] = (),
    total: tuple[Decimal, str] | None = None,
) -> bytes:
    """The WCO RES document that tells a declarant where the declaration stands."""
    kind = RESPONSE_KINDS.get(status)
    if kind is None:
        raise Conflict(f"A declaration that is {status} has no WCO response message.")
    currency = total[1] if total else ""
    duties = [
        wco.DutyLine(
            tax_type=duty["tax_type"],
            base=Decimal(duty["base"]) if duty.get("base") else None,
            rate_text=duty.get("rate", ""),
            amount=Decimal(duty["amount"]),
            currency=currency,
            item=int(item["sequence"]),
        )
        for item in assessment_items
        for duty in item.get("duties", [])
        if duty["tax_type"] in wco.TAX_TYPE_CODES
    ]
    return wco.render_response(
        kind,
        declaration_reference=reference,
        number=number,
        issued_at=issued_at,
        errors=[wco.ResponseError(e["pointer"], e["code"], e["detail"]) for e in errors],
        duties=duties if kind in {"assessment", "release"} else [],
        total=total if kind in {"assessment", "release"} else None,
    )
