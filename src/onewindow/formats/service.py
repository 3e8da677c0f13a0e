"""The formats domain's door: standard messages in, our shapes out (and back)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import Conflict, FieldError, InvalidInput
from onewindow.formats import wco

MAX_SCHEMA_ERRORS = 20


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
