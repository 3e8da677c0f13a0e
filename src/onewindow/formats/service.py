"""The formats domain's door: standard messages in, our shapes out (and back)."""

from __future__ import annotations

from pydantic import ValidationError

from onewindow.declarations.schemas import DeclarationIn
from onewindow.errors import FieldError, InvalidInput
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
