"""The formats domain's door: standard messages in, our shapes out (and back)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from onewindow.db import utcnow
from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import Conflict, FieldError, InvalidInput
from onewindow.formats import cuscar, cusdec, cusres, edifact, wco

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
    return _model(wco.map_declaration(data).body)


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


# UN/EDIFACT ------------------------------------------------------------------------------------


EDIFACT = "application/edifact"
"""The media type of UN/EDIFACT interchanges (RFC 1767)."""

EDIFACT_BODY = {
    "requestBody": {
        "required": True,
        "content": {EDIFACT: {"schema": {"type": "string", "format": "binary"}}},
    }
}


class EdifactInvalid(InvalidInput):
    """An interchange refused: every error names its segment, and ``contrl`` is the CONTRL
    report a sender's software reads (``Accept: application/edifact``)."""

    def __init__(self, detail: str, errors: Sequence[edifact.EdifactError], contrl: str) -> None:
        super().__init__(
            detail,
            [
                FieldError(
                    f"/segments/{e.segment_position}/{e.segment_tag}"
                    + (f"/{e.element}" if e.element else ""),
                    e.text,
                    f"edifact-{e.code}",
                )
                for e in errors[:MAX_SCHEMA_ERRORS]
            ],
        )
        self.contrl = contrl


def _refused(
    data: bytes | str, what: str, errors: Sequence[edifact.EdifactError]
) -> EdifactInvalid:
    return EdifactInvalid(f"The interchange is refused: {what}.", errors, contrl_for(data, errors))


def contrl_for(data: bytes | str, errors: Sequence[edifact.EdifactError] = ()) -> str:
    """The CONTRL report answering an interchange: accepted, or rejected naming each error."""
    interchange, found = edifact.parse_interchange(data)
    return edifact.contrl_report(interchange, list(errors) or found, prepared=utcnow())


def is_edifact(data: bytes) -> bool:
    """Whether a file is a UN/EDIFACT interchange (it opens with UNA or UNB)."""
    return data.lstrip()[:3] in (b"UNA", b"UNB")


def manifest_from_cuscar(data: bytes) -> dict[str, Any]:
    """A CUSCAR cargo report as the manifest the cargo domain takes (JSON shape); raises
    :class:`EdifactInvalid` naming each segment in error."""
    manifest, errors = cuscar.parse_cuscar(data)
    if manifest is None or errors:
        raise _refused(data, "the CUSCAR cargo report has errors", errors)
    return manifest


def declaration_from_cusdec(data: bytes) -> DeclarationIn:
    """A CUSDEC customs declaration mapped into our model (the same rules as every lodging);
    raises :class:`EdifactInvalid` naming each segment in error, or :class:`InvalidInput`."""
    body, errors = cusdec.parse_cusdec(data)
    if body is None or errors:
        raise _refused(data, "the CUSDEC declaration has errors", errors)
    return _model(body)


CUSRES_STATES: dict[str, cusres.State] = {
    "lodged": "accepted",
    "accepted": "accepted",
    "assessed": "accepted",
    "awaiting_payment": "accepted",
    "paid": "accepted",
    "guaranteed": "accepted",
    "under_control": "under_control",
    "rejected": "rejected",
    "released": "released",
}
"""Which CUSRES answers a declaration in each state (cancelled and invalidated: none)."""


def cusres_response(
    *,
    status: str,
    reference: str,
    number: str | None,
    issued_at: datetime,
    recipient: str,
    errors: Sequence[Mapping[str, str]] = (),
    total: tuple[Decimal, str] | None = None,
) -> str:
    """The CUSRES interchange that tells a declarant's software where the declaration stands."""
    state = CUSRES_STATES.get(status)
    if state is None:
        raise Conflict(f"A declaration that is {status} has no CUSRES response message.")
    response = cusres.CusresResponse(
        declaration_number=number or reference,
        state=state,
        errors=tuple(
            wco.ResponseError(e["pointer"], e.get("code", ""), e["detail"]) for e in errors
        ),
        duties_total=total[0] if total else None,
        currency=total[1] if total else None,
        issued_at=issued_at,
        declarant_reference=reference,
    )
    return cusres.write_cusres(
        response,
        sender="ONEWINDOW",
        recipient=recipient[:35] or "UNKNOWN",
        control_reference=f"{issued_at:%y%m%d%H%M%S}"[:14],
    )
