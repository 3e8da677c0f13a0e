"""The one error base class: every refusal carries its HTTP status and a sentence.

The app turns these (and FastAPI's validation errors) into RFC 9457 problem documents with one
entry per invalid field: its JSON pointer and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class FieldError:
    """One invalid field: ``pointer`` is a JSON pointer into the request (``/body/name``)."""

    pointer: str
    detail: str
    code: str = "invalid"
    rule: str | None = None
    """The rule that found it, where a rule set names its checks (``item-value-required``)."""


class DomainError(Exception):
    """Base of the refusals a service may raise; never a 500."""

    status_code = 400
    title = "Bad request"
    type_slug = "bad-request"
    # A refusal whose audit entry must outlive it: the boundary commits it, then answers.
    kept_on_record = False

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidInput(DomainError):
    status_code = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class NotAuthenticated(DomainError):
    status_code = 401
    title = "Not authenticated"
    type_slug = "not-authenticated"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(DomainError):
    status_code = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"
    type_slug = "conflict"


class ProblemError(BaseModel):
    """One invalid field of a problem document."""

    pointer: str = Field(description="JSON pointer into the request, e.g. /body/items/0/origin")
    detail: str
    code: str


class Problem(BaseModel):
    """An RFC 9457 problem document: the shape of every refusal and error of the API."""

    type: str = Field(description="a URI reference naming the kind, e.g. /problems/not-found")
    title: str
    status: int
    detail: str
    instance: str = Field(description="the path of the request")
    errors: list[ProblemError] = Field(default=[], description="one entry per invalid field")
