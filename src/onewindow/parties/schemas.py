"""Shapes of the parties API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from onewindow.parties.service import TOKEN_DAYS_DEFAULT, TOKEN_DAYS_MAX


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    identifier_scheme: str = Field(max_length=10, description="EORI, LEI or TIN", examples=["EORI"])
    identifier: str = Field(min_length=3, max_length=40, examples=["TW12345678"])
    country: str = Field(min_length=2, max_length=2, examples=["TW"])
    roles: list[Annotated[str, Field(max_length=40)]] = Field(
        min_length=1, max_length=20, examples=[["trader"]]
    )


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    identifier_scheme: str
    identifier: str
    country: str
    roles: list[str] = Field(validation_alias="role_names")
    active: bool
    created_at: datetime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    full_name: str = Field(min_length=1, max_length=200)
    role: str = Field(max_length=20, description="admin, staff or viewer")
    password: str = Field(min_length=1, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    email: str
    full_name: str
    role: str
    active: bool
    last_login_at: datetime | None
    created_at: datetime


class Me(BaseModel):
    organisation_id: int
    organisation_name: str
    organisation_roles: list[str]
    user_id: int | None
    user_name: str
    user_role: str
    scopes: list[str]
    via: str


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=50)
    expires_in_days: int = Field(
        default=TOKEN_DAYS_DEFAULT,
        ge=1,
        le=TOKEN_DAYS_MAX,
        description=f"Every token expires: in 1 to {TOKEN_DAYS_MAX} days",
    )


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class IssuedToken(TokenOut):
    token: str = Field(description="The secret: shown this once only")


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    recorded_at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    reason: str
    data: dict[str, object]


class MandateIn(BaseModel):
    """A mandate for a customs broker to lodge declarations in your name."""

    model_config = ConfigDict(extra="forbid")

    representative: str = Field(
        min_length=3, max_length=40, description="the broker's registered identifier (EORI, TIN)"
    )
    representation: Literal["direct", "indirect"]
    flows: list[Literal["IM", "EX", "TR"]] = Field(
        default=[], max_length=3, description="import, export, transit; empty: all"
    )
    procedures: list[Annotated[str, StringConstraints(pattern=r"^\d{2}$")]] = Field(
        default=[], max_length=50, description="requested procedure codes, e.g. 40; empty: all"
    )
    valid_from: date | None = Field(default=None, description="today when not given")
    valid_to: date | None = None


class MandatePartyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    identifier: str


class MandateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    represented: MandatePartyOut
    representative: MandatePartyOut
    representation: str
    flows: list[str]
    procedures: list[str]
    valid_from: date
    valid_to: date | None
    granted_by: str
    granted_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    revoke_reason: str | None
    in_force: bool


class RevocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=512)
