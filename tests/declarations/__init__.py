"""Builders the access matrix shares: a declaration lodged by an organisation of the test."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from onewindow.clearance import service as clearance
from onewindow.db import session_scope
from onewindow.declarations.schemas import DeclarationIn
from onewindow.parties import service as parties
from tests.declarations.factory import declaration


@lru_cache(maxsize=256)
def lodged_by(email: str) -> tuple[int, str]:
    """One accepted declaration lodged by the user's organisation (made once): id and body."""
    with session_scope() as session:
        user = parties.find_user(session, email)
        assert user is not None
        principal = parties.principal_for_user(user, "test")
        body = declaration()
        lodgement = clearance.lodge(session, principal, DeclarationIn.model_validate(body))
        return lodgement.declaration.id, json.dumps(body)


def amendment_for(email: str) -> dict[str, Any]:
    """An amendment of that declaration which changes one description."""
    body = json.loads(lodged_by(email)[1])
    body["items"][0]["description"] += " (amended)"
    return {"reason": "better description", "declaration": body}
