"""HTTP routes of the risk domain: profiles, watch list, fast lanes, IPR records, decisions,
inspections and hit rates. Rules, decisions and inspections are for customs offices (targeting is
confidential); a right holder records its own trade marks and sees the detentions they caused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from onewindow.db import utcnow
from onewindow.deps import Id, PrincipalDep, SessionDep
from onewindow.errors import Conflict
from onewindow.parties.service import require_scope
from onewindow.risk import service
from onewindow.risk.schemas import (
    BacktestIn,
    BacktestOut,
    DecisionDetail,
    FastLaneIn,
    FastLaneOut,
    HitRateOut,
    IprDetentionOut,
    IprIn,
    IprOut,
    ModelVersionOut,
    ProfileIn,
    ProfileOut,
    ProfileVersionIn,
    PromotionOut,
    RatesIn,
    RatesOut,
    WatchIn,
    WatchOut,
    Why,
)
from onewindow.security import Principal

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])


def _officer(principal: Principal, scope: str) -> None:
    require_scope(principal, scope)
    service.require_customs(principal)


@router.get("/profiles", response_model=list[ProfileOut])
def list_profiles(
    session: SessionDep, principal: PrincipalDep, include_inactive: bool = False
) -> list[ProfileOut]:
    """Risk profiles, active ones unless asked (customs offices only)."""
    _officer(principal, "risk:read")
    rows = service.list_profiles(session, include_inactive=include_inactive)
    return [ProfileOut.model_validate(p) for p in rows]


@router.post("/profiles", response_model=ProfileOut, status_code=201)
def create_profile(body: ProfileIn, session: SessionDep, principal: PrincipalDep) -> ProfileOut:
    """A new profile; bad conditions are refused with a pointer at the clause."""
    _officer(principal, "risk:write")
    return ProfileOut.model_validate(
        service.create_profile(session, principal, **body.model_dump())
    )


@router.get("/profiles/{profile_id}", response_model=ProfileOut)
def read_profile(profile_id: Id, session: SessionDep, principal: PrincipalDep) -> ProfileOut:
    _officer(principal, "risk:read")
    return ProfileOut.model_validate(service.get_profile(session, profile_id))


@router.post("/profiles/{profile_id}/versions", response_model=ProfileOut, status_code=201)
def new_profile_version(
    profile_id: Id, body: ProfileVersionIn, session: SessionDep, principal: PrincipalDep
) -> ProfileOut:
    """Edit a profile: a new version takes over, the old one is kept inactive."""
    _officer(principal, "risk:write")
    profile = service.new_profile_version(session, principal, profile_id, **body.model_dump())
    return ProfileOut.model_validate(profile)


@router.post("/profiles/{profile_id}/deactivate", response_model=ProfileOut)
def deactivate_profile(
    profile_id: Id, body: Why, session: SessionDep, principal: PrincipalDep
) -> ProfileOut:
    _officer(principal, "risk:write")
    profile = service.deactivate_profile(session, principal, profile_id, why=body.why)
    return ProfileOut.model_validate(profile)


@router.post("/backtest", response_model=BacktestOut)
def backtest(body: BacktestIn, session: SessionDep, principal: PrincipalDep) -> BacktestOut:
    """How many past accepted declarations these conditions would have selected."""
    _officer(principal, "risk:read")
    figures = service.backtest(session, body.conditions, body.since, body.until, limit=body.limit)
    return BacktestOut.model_validate(figures)


@router.get("/watch-list", response_model=list[WatchOut])
def watch_list(session: SessionDep, principal: PrincipalDep) -> list[WatchOut]:
    _officer(principal, "risk:read")
    return [WatchOut.model_validate(w) for w in service.watch_list(session)]


@router.post("/watch-list", response_model=WatchOut, status_code=201)
def watch_party(body: WatchIn, session: SessionDep, principal: PrincipalDep) -> WatchOut:
    _officer(principal, "risk:write")
    return WatchOut.model_validate(service.watch_party(session, principal, **body.model_dump()))


@router.delete("/watch-list/{watch_id}", status_code=204)
def unwatch_party(watch_id: Id, session: SessionDep, principal: PrincipalDep) -> Response:
    _officer(principal, "risk:write")
    service.unwatch_party(session, principal, watch_id, why="removed from the watch list")
    return Response(status_code=204)


@router.get("/fast-lanes", response_model=list[FastLaneOut])
def fast_lanes(session: SessionDep, principal: PrincipalDep) -> list[FastLaneOut]:
    _officer(principal, "risk:read")
    return [FastLaneOut.model_validate(f) for f in service.fast_lanes(session)]


@router.post("/fast-lanes", response_model=FastLaneOut, status_code=201)
def open_fast_lane(body: FastLaneIn, session: SessionDep, principal: PrincipalDep) -> FastLaneOut:
    _officer(principal, "risk:write")
    lane = service.open_fast_lane(session, principal, **body.model_dump())
    return FastLaneOut.model_validate(lane)


@router.delete("/fast-lanes/{lane_id}", status_code=204)
def close_fast_lane(lane_id: Id, session: SessionDep, principal: PrincipalDep) -> Response:
    _officer(principal, "risk:write")
    service.close_fast_lane(session, principal, lane_id, why="fast lane closed")
    return Response(status_code=204)


@router.get("/ipr-records", response_model=list[IprOut])
def ipr_records(session: SessionDep, principal: PrincipalDep) -> list[IprOut]:
    """IPR records in force: a right holder's own, or all of them for customs."""
    require_scope(principal, "risk:read")
    return [IprOut.model_validate(r) for r in service.ipr_records(session, principal)]


@router.post("/ipr-records", response_model=IprOut, status_code=201)
def record_ipr(body: IprIn, session: SessionDep, principal: PrincipalDep) -> IprOut:
    """A right holder records its own trade mark; customs may record anyone's."""
    require_scope(principal, "risk:write")
    fields = body.model_dump()
    fields["right_holder_organisation_id"] = (
        body.right_holder_organisation_id or principal.organisation_id
    )
    return IprOut.model_validate(service.record_ipr(session, principal, **fields))


@router.delete("/ipr-records/{record_id}", status_code=204)
def remove_ipr(record_id: Id, session: SessionDep, principal: PrincipalDep) -> Response:
    require_scope(principal, "risk:write")
    service.remove_ipr(session, principal, record_id, why="withdrawn")
    return Response(status_code=204)


@router.get("/decisions/{declaration_id}", response_model=DecisionDetail)
def read_decision(
    declaration_id: Id, session: SessionDep, principal: PrincipalDep
) -> DecisionDetail:
    """A declaration's channel, its reasons and the model's score (customs offices only)."""
    _officer(principal, "risk:read")
    return DecisionDetail.model_validate(service.decision_for(session, principal, declaration_id))


@router.get("/ipr-detentions", response_model=list[IprDetentionOut])
def ipr_detentions(session: SessionDep, principal: PrincipalDep) -> list[IprDetentionOut]:
    """Goods held because they may infringe your recorded rights (all of them for customs)."""
    require_scope(principal, "risk:read")
    return [IprDetentionOut.model_validate(d) for d in service.ipr_detentions(session, principal)]


@router.get("/inspections/queue", response_model=list[DecisionDetail])
def inspection_queue(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DecisionDetail]:
    """Yellow and red declarations waiting for their inspection result, oldest first."""
    _officer(principal, "risk:read")
    return [
        DecisionDetail.model_validate(d) for d in service.inspection_queue(session, limit=limit)
    ]


@router.get("/hit-rates", response_model=list[HitRateOut])
def hit_rates(
    session: SessionDep,
    principal: PrincipalDep,
    since: datetime | None = None,
) -> list[HitRateOut]:
    """Selected, inspected and found at fault, per channel and source (last 30 days by default)."""
    _officer(principal, "risk:read")
    since = since or utcnow() - timedelta(days=30)
    return [HitRateOut.model_validate(r) for r in service.hit_rates(session, since)]


@router.get("/models", response_model=list[ModelVersionOut])
def model_versions(session: SessionDep, principal: PrincipalDep) -> list[ModelVersionOut]:
    """Stored risk models with how they were judged, newest first."""
    _officer(principal, "risk:read")
    return [ModelVersionOut.model_validate(m) for m in service.model_versions(session)]


@router.post("/models/{model_id}/promote", response_model=PromotionOut)
def promote_model(model_id: Id, session: SessionDep, principal: PrincipalDep) -> PromotionOut:
    """Promote a candidate if it beats the model in use on recently inspected declarations;
    409 when there are too few of them to tell."""
    _officer(principal, "risk:write")
    row = service.get_model_version(session, model_id)
    since = utcnow() - timedelta(days=service.RECENT_DAYS)
    recent = service.training_frame_from_inspections(session, since)
    why_not = service.enough_recent_data(recent)
    if why_not is not None:
        raise Conflict(why_not)
    promoted, reason = service.promote_if_better(
        session, model_id, recent_frame=recent, actor=principal.actor
    )
    return PromotionOut(promoted=promoted, reason=reason, model=ModelVersionOut.model_validate(row))


@router.get("/drift")
def drift(
    session: SessionDep,
    principal: PrincipalDep,
    since: datetime | None = None,
    model_id: Id | None = None,
) -> dict[str, Any]:
    """How recent declarations differ from what the model learned on (last 30 days by default)."""
    _officer(principal, "risk:read")
    return service.drift_report(session, model_id, since)


def _rates_out(rates: service.Rates) -> RatesOut:
    return RatesOut(**{name: getattr(rates, name) for name in service.SETTABLE})


@router.get("/settings", response_model=RatesOut)
def read_rates(session: SessionDep, principal: PrincipalDep) -> RatesOut:
    """The selectivity rates in force: random selection, learning share, targets."""
    _officer(principal, "risk:read")
    return _rates_out(service.refresh_rates(session, force=True))


@router.put("/settings", response_model=RatesOut)
def set_rates(body: RatesIn, session: SessionDep, principal: PrincipalDep) -> RatesOut:
    """Change selectivity rates (audited); every server applies them within 30 seconds."""
    _officer(principal, "risk:write")
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    return _rates_out(service.configure_rates(session, principal, **changes))
