"""Public look-ups: HS nomenclature, countries, currencies, locations, code lists."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from onewindow.config import get_settings
from onewindow.deps import PrincipalDep, SessionDep
from onewindow.parties import service as parties
from onewindow.reference import picks, service
from onewindow.reference.schemas import (
    CodeListOut,
    CodeOut,
    CountryOut,
    CurrencyOut,
    ExchangeRateIn,
    ExchangeRateOut,
    HsEntryOut,
    LocationOut,
)

router = APIRouter(prefix="/api/v1/reference", tags=["reference"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/hs", response_model=list[HsEntryOut])
def search_hs(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="code prefix or words")],
    limit: Limit = 50,
) -> list[HsEntryOut]:
    """HS codes by code prefix (``0101``) or words (``live horses``), each with its path."""
    return [HsEntryOut.model_validate(e) for e in service.search_hs(session, q, limit)]


@router.get("/hs/{code}", response_model=HsEntryOut)
def read_hs(
    session: SessionDep, code: Annotated[str, Path(pattern=r"^\d{2}(\d{2}){0,2}$")]
) -> HsEntryOut:
    """One chapter, heading or subheading with the path up the tree and its children."""
    return HsEntryOut.model_validate(service.hs_entry(session, code))


@router.get("/countries", response_model=list[CountryOut])
def list_countries(session: SessionDep) -> list[CountryOut]:
    return [CountryOut.model_validate(c) for c in service.list_countries(session)]


@router.get("/countries/{code}", response_model=CountryOut)
def read_country(
    session: SessionDep, code: Annotated[str, Path(pattern=r"^[A-Za-z]{2}$")]
) -> CountryOut:
    return CountryOut.model_validate(service.get_country(session, code))


@router.get("/currencies", response_model=list[CurrencyOut])
def list_currencies(session: SessionDep) -> list[CurrencyOut]:
    return [CurrencyOut.model_validate(c) for c in service.list_currencies(session)]


@router.get("/currencies/{code}", response_model=CurrencyOut)
def read_currency(
    session: SessionDep, code: Annotated[str, Path(pattern=r"^[A-Za-z]{3}$")]
) -> CurrencyOut:
    return CurrencyOut.model_validate(service.get_currency(session, code))


@router.get("/locations", response_model=list[LocationOut])
def search_locations(
    session: SessionDep,
    q: Annotated[str, Query(max_length=100, description="UN/LOCODE or start of the name")] = "",
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    function: Annotated[
        str | None,
        Query(max_length=20, description="port, rail, road, airport, postal, multimodal, ..."),
    ] = None,
    limit: Limit = 50,
) -> list[LocationOut]:
    """UN/LOCODE locations by code or name, optionally in one country with one function."""
    rows = service.search_locations(
        session, query=q, country=country, function=function, limit=limit
    )
    return [LocationOut.model_validate(r) for r in rows]


@router.get("/locations/{locode}", response_model=LocationOut)
def read_location(
    session: SessionDep, locode: Annotated[str, Path(pattern=r"^[A-Za-z]{2} ?[A-Za-z0-9]{3}$")]
) -> LocationOut:
    return LocationOut.model_validate(service.get_location(session, locode))


@router.get("/code-lists", response_model=list[str])
def list_code_lists(session: SessionDep) -> list[str]:
    """The names of the code lists."""
    return service.code_list_names(session)


@router.get("/code-lists/{name}", response_model=CodeListOut)
def read_code_list(
    session: SessionDep, name: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,50}$")]
) -> CodeListOut:
    rows = service.code_list_entries(session, name)
    return CodeListOut(name=name, codes=[CodeOut.model_validate(r) for r in rows])


@router.get("/exchange-rates", response_model=list[ExchangeRateOut])
def exchange_rates(
    session: SessionDep,
    on: Annotated[date | None, Query(description="rates in force on this day")] = None,
) -> list[ExchangeRateOut]:
    """The customs exchange rates (national currency per unit), as in force on a day."""
    rows = service.list_exchange_rates(session, on or date.today())
    return [ExchangeRateOut.model_validate(r) for r in rows]


@router.post("/exchange-rates", response_model=ExchangeRateOut, status_code=201)
def set_exchange_rate(
    body: ExchangeRateIn, session: SessionDep, principal: PrincipalDep
) -> ExchangeRateOut:
    """Customs sets the rate of a currency for a period (declarations are assessed with it)."""
    row = service.set_exchange_rate_by(session, principal, **body.model_dump())
    return ExchangeRateOut.model_validate(row)


class ChoiceOut(BaseModel):
    """One entry of a pick list: the code for the field and what a person reads."""

    code: str
    label: str


PickQuery = Annotated[str, Query(max_length=100, description="code or words, as typed")]
PickLimit = Annotated[int, Query(ge=1, le=50)]


@router.get("/pick/parties", response_model=list[ChoiceOut])
def pick_parties(
    session: SessionDep, principal: PrincipalDep, q: PickQuery = "", limit: PickLimit = 20
) -> list[ChoiceOut]:
    """The companies the caller works with (itself, its mandates' principals and
    representatives), by identifier or name: no other company ever appears."""
    return [
        ChoiceOut(code=p.identifier, label=f"{p.name} ({p.relation})")
        for p in parties.working_parties(session, principal, q, limit)
    ]


@router.get("/pick/{name}", response_model=list[ChoiceOut])
def pick(
    session: SessionDep,
    name: Annotated[str, Path(pattern=r"^(" + "|".join(picks.LISTS) + r")$")],
    q: PickQuery = "",
    limit: PickLimit = 20,
) -> list[ChoiceOut]:
    """A pick list as a person types: countries, currencies, offices (customs offices of the
    national country), locations (UN/LOCODE), package-types, procedures; best matches first."""
    national = get_settings().country
    return [
        ChoiceOut(code=c.code, label=c.label)
        for c in picks.pick(session, name, q, limit, national=national)
    ]
