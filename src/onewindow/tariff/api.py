"""Public tariff look-up: what applies to goods under a commodity code."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from onewindow.deps import SessionDep
from onewindow.tariff import service

router = APIRouter(prefix="/api/v1/tariff", tags=["tariff"])


class MeasureOut(BaseModel):
    measure_type: str
    rate: str
    origin_group: str
    requires_proof_of_origin: bool
    valid_from: date
    valid_to: date | None
    label: str
    legal_reference: str


@router.get("/measures/{code}", response_model=list[MeasureOut])
def measures(
    session: SessionDep,
    code: Annotated[str, Path(pattern=r"^\d{2}(\d{2}){0,4}$")],
    on: Annotated[date | None, Query(description="only measures in force on this day")] = None,
) -> list[MeasureOut]:
    """Duties and taxes that apply to goods under ``code`` (from every level of the tariff)."""
    found = service.measures_for(session, code)
    if on is not None:
        found = [m for m in found if m.in_force(on)]
    return [
        MeasureOut(
            measure_type=m.measure_type.value,
            rate=str(m.rate),
            origin_group=m.origin_group,
            requires_proof_of_origin=m.requires_proof_of_origin,
            valid_from=m.valid_from,
            valid_to=m.valid_to,
            label=m.title,
            legal_reference=m.legal_reference,
        )
        for m in found
    ]
