"""Every API route is scoped: an organisation never sees another's data.

The matrix below must list every route of the API; a new route without an entry fails
``test_every_route_is_in_the_matrix``, so the matrix grows with the API.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select

from onewindow import events
from onewindow.cargo import service as cargo
from onewindow.cargo.schemas import CallIn, ManifestIn
from onewindow.clearance import service as clearance
from onewindow.db import session_scope, utcnow
from onewindow.exchange import envelope
from onewindow.exchange.models import Message
from onewindow.notifications import service as notifications
from onewindow.parties import service as parties
from onewindow.payments import service as payments
from onewindow.risk import service as risk
from onewindow.risk.models import RiskModelVersion
from onewindow.security import Principal
from tests.aeo import answers as aeo_answers
from tests.cargo import call_body, container, imo, manifest_body
from tests.conftest import Party, api_operations, make_party
from tests.declarations import amendment_for, lodged_by
from tests.declarations.factory import declaration
from tests.exchange import certificate_body, partner_key
from tests.exchange import partner as exchange_partner
from tests.notifications import UNREACHABLE, notification_of, webhook_of
from tests.payments import open_request_for, payment_state_of, receipt_for, unsigned_claim_for


@dataclass(frozen=True)
class Public:
    """Open to everybody, anonymous included (reference look-ups)."""

    path: str


@dataclass(frozen=True)
class Own:
    """Answers about the caller's organisation only; B's markers must never appear for A."""

    path: str
    body: Callable[[Party], object] | None = None


@dataclass(frozen=True)
class ById:
    """Addresses one of B's resources: A gets 404, B gets it."""

    path: Callable[[Party], str]
    ok_status: int = 200
    body: Callable[[Party], object] | None = None


@dataclass(frozen=True)
class Signed:
    """Authenticated by a signature over the body, not by a principal (a bank's callback).

    An unsigned call gets 403 and leaves B's ``state`` as it was.
    """

    path: str
    body: Callable[[Party], bytes]
    state: Callable[[Party], object]


@dataclass(frozen=True)
class CustomsOnly:
    """A customs decision: anonymous 401, a trader 403 even on its own declaration, customs ok."""

    path: Callable[[Party], str]
    body: Callable[[Party], object]
    ok_status: int = 200


@dataclass(frozen=True)
class AdminOnly:
    """A single window administrator's decision: anonymous 401, anyone else 403, an admin ok."""

    path: Callable[[], str]
    body: Callable[[], object]
    ok_status: int = 200


@dataclass(frozen=True)
class RoleWork:
    """Work of some roles (cargo): anonymous 401; a trader ``outsider_status`` and never the
    owner's markers; another organisation of the owner's role 404 when ``owned``; the owner (an
    organisation of ``roles[0]``) ``ok_status``."""

    roles: tuple[str, ...]
    path: Callable[[Party], str]
    body: Callable[[Party], object] = lambda owner: None
    ok_status: int = 200
    outsider_status: int = 403
    owned: bool = False


Access = Public | Own | ById | Signed | CustomsOnly | AdminOnly | RoleWork


def _declaration(b: Party, suffix: str = "") -> str:
    return f"/api/v1/declarations/{lodged_by(b.email)[0]}{suffix}"


def _hold(b: Party) -> str:
    declaration_id = lodged_by(b.email)[0]
    customs = make_party(("customs-office",), user_role="staff")
    with session_scope() as session:
        user = parties.find_user(session, customs.email)
        assert user is not None
        declaration = clearance.place_hold(
            session,
            parties.principal_for_user(user, "test"),
            declaration_id,
            kind="documentary-check",
            reason="matrix",
        )
        hold_id = declaration.holds[-1].id
    return f"/api/v1/declarations/{declaration_id}/holds/{hold_id}/lift"


def _officer() -> Principal:
    customs = make_party(("customs-office",), user_role="staff")
    with session_scope() as session:
        user = parties.find_user(session, customs.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


# Risk rules made here match nothing real: other tests' declarations must not be selected.
_NOBODY = [{"field": "declarant", "op": "eq", "value": "MATRIX-NOBODY"}]


def _profile() -> int:
    with session_scope() as session:
        return risk.create_profile(
            session,
            _officer(),
            code="MATRIX-" + uuid.uuid4().hex[:8].upper(),
            title="matrix",
            reason="matrix",
            conditions=_NOBODY,
            channel="yellow",
        ).id


def _candidate_model() -> int:
    """A stored candidate model (never loaded: the promotion is refused for want of data)."""
    with session_scope() as session:
        row = RiskModelVersion(
            version="matrix-" + uuid.uuid4().hex[:8],
            trained_at=utcnow(),
            training_rows=0,
            source="matrix",
            metrics={},
            thresholds={"red": 1.0, "yellow": 1.0},
            status="candidate",
            blob=b"{}",
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return row.id


def _risk_profile(suffix: str = "") -> str:
    return f"/api/v1/risk/profiles/{_profile()}{suffix}"


def _watch() -> str:
    with session_scope() as session:
        row = risk.watch_party(session, _officer(), identifier="MATRIX-NOBODY", reason="matrix")
        return f"/api/v1/risk/watch-list/{row.id}"


def _fast_lane() -> str:
    with session_scope() as session:
        row = risk.open_fast_lane(session, _officer(), hs_prefix="0101", reason="matrix")
        return f"/api/v1/risk/fast-lanes/{row.id}"


def _ipr_of(b: Party) -> str:
    with session_scope() as session:
        user = parties.find_user(session, b.email)
        assert user is not None
        row = risk.record_ipr(
            session,
            parties.principal_for_user(user, "test"),
            right_holder_organisation_id=b.org_id,
            trade_mark="MATRIX",
            hs_prefixes=["0101"],
            keywords=["matrix-nothing"],
        )
        return f"/api/v1/risk/ipr-records/{row.id}"


def _nothing(b: Party) -> None:
    return None


@functools.cache
def _broker() -> Party:
    return make_party(("customs-broker",))


def _mandate_of(b: Party) -> int:
    """A mandate granted by B to a broker that is not A."""
    broker = _broker()
    with session_scope() as session:
        user = parties.find_user(session, b.email)
        assert user is not None
        return parties.grant_mandate(
            session,
            parties.principal_for_user(user, "test"),
            representative=broker.identifier,
            representation="direct",
        ).id


def _administrator() -> Principal:
    admin = make_party(("administrator",))
    with session_scope() as session:
        user = parties.find_user(session, admin.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


def _allowed_host() -> str:
    with session_scope() as session:
        row = notifications.allow_host(
            session, _administrator(), host=f"matrix-{uuid.uuid4().hex[:8]}.invalid", reason="m"
        )
        return f"/api/v1/webhook-allowed-hosts/{row.id}"


MATRIX: dict[tuple[str, str], Access] = {
    ("GET", "/api/v1/reference/hs"): Public("/api/v1/reference/hs?q=0901"),
    ("GET", "/api/v1/reference/hs/{code}"): Public("/api/v1/reference/hs/0901"),
    ("GET", "/api/v1/reference/countries"): Public("/api/v1/reference/countries"),
    ("GET", "/api/v1/reference/countries/{code}"): Public("/api/v1/reference/countries/TW"),
    ("GET", "/api/v1/reference/currencies"): Public("/api/v1/reference/currencies"),
    ("GET", "/api/v1/reference/currencies/{code}"): Public("/api/v1/reference/currencies/TWD"),
    ("GET", "/api/v1/reference/locations"): Public("/api/v1/reference/locations?q=SG"),
    ("GET", "/api/v1/reference/locations/{locode}"): Public("/api/v1/reference/locations/SGSIN"),
    ("GET", "/api/v1/reference/code-lists"): Public("/api/v1/reference/code-lists"),
    ("GET", "/api/v1/reference/code-lists/{name}"): Public(
        "/api/v1/reference/code-lists/transport-mode"
    ),
    ("GET", "/api/v1/me"): Own("/api/v1/me"),
    ("GET", "/api/v1/organisations"): Own("/api/v1/organisations"),
    ("POST", "/api/v1/organisations"): Own("/api/v1/organisations"),
    ("GET", "/api/v1/organisations/{organisation_id}"): ById(
        lambda b: f"/api/v1/organisations/{b.org_id}"
    ),
    ("GET", "/api/v1/users"): Own("/api/v1/users"),
    ("POST", "/api/v1/users"): Own("/api/v1/users"),
    ("GET", "/api/v1/users/{user_id}"): ById(lambda b: f"/api/v1/users/{b.user_id}"),
    ("GET", "/api/v1/tokens"): Own("/api/v1/tokens"),
    ("POST", "/api/v1/tokens"): Own(
        "/api/v1/tokens", lambda a: {"name": "matrix", "scopes": ["organisation:read"]}
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): ById(lambda b: f"/api/v1/tokens/{b.token_id}"),
    ("GET", "/api/v1/audit"): Own("/api/v1/audit"),
    ("GET", "/api/v1/payment-requests"): Own("/api/v1/payment-requests"),
    ("GET", "/api/v1/payment-requests/{payment_request_id}"): ById(
        lambda b: f"/api/v1/payment-requests/{open_request_for(b.org_id)}"
    ),
    ("POST", "/api/v1/payment-requests/{payment_request_id}/pay"): ById(
        lambda b: f"/api/v1/payment-requests/{open_request_for(b.org_id)}/pay",
        ok_status=202,
        body=lambda b: {"method": "bank"},
    ),
    ("GET", "/api/v1/receipts/{number}"): ById(
        lambda b: f"/api/v1/receipts/{receipt_for(b.org_id)}"
    ),
    ("GET", "/api/v1/receipts/{number}/pdf"): ById(
        lambda b: f"/api/v1/receipts/{receipt_for(b.org_id)}/pdf"
    ),
    ("GET", "/api/v1/deferred-accounts"): Own("/api/v1/deferred-accounts"),
    ("POST", "/api/v1/deferred-accounts"): Own(
        "/api/v1/deferred-accounts",
        lambda a: {
            "organisation_id": a.org_id,
            "number": f"DAN-MATRIX-{a.org_id}",
            "currency": "GBP",
            "guarantee_amount": "1000",
            "guarantee_reference": "GUA-MATRIX",
            "valid_until": "2099-12-31",
        },
    ),
    ("POST", "/api/v1/payments/bank-callback"): Signed(
        "/api/v1/payments/bank-callback",
        lambda b: unsigned_claim_for(b.org_id),
        lambda b: payment_state_of(b.org_id),
    ),
    ("GET", "/api/v1/ledger/balances"): Own("/api/v1/ledger/balances"),
    ("GET", "/api/v1/tariff/measures/{code}"): Public("/api/v1/tariff/measures/4202210000"),
    ("GET", "/api/v1/reference/exchange-rates"): Public("/api/v1/reference/exchange-rates"),
    ("GET", "/api/v1/reference/pick/{name}"): Public("/api/v1/reference/pick/countries?q=bra"),
    ("GET", "/api/v1/reference/pick/parties"): Own("/api/v1/reference/pick/parties?q=test"),
    ("GET", "/api/v1/statistics/months"): Public("/api/v1/statistics/months"),
    ("GET", "/api/v1/statistics/trade"): Public(
        "/api/v1/statistics/trade?flow=import&month=2026-03&by=hs2"
    ),
    ("GET", "/api/v1/statistics/trade/series"): Public(
        "/api/v1/statistics/trade/series?flow=export&from=2026-01&to=2026-12"
    ),
    ("GET", "/api/v1/statistics/time-release"): Public(
        "/api/v1/statistics/time-release?from=2026-01&to=2026-12&by=channel"
    ),
    ("POST", "/api/v1/reference/exchange-rates"): CustomsOnly(
        lambda b: "/api/v1/reference/exchange-rates",
        lambda b: {"currency": "SEK", "rate": "0.074", "valid_from": "2026-01-01"},
        ok_status=201,
    ),
    ("GET", "/api/v1/declarations"): Own("/api/v1/declarations"),
    ("POST", "/api/v1/declarations"): Own("/api/v1/declarations", lambda a: declaration()),
    ("GET", "/api/v1/declarations/{declaration_id}"): ById(_declaration),
    ("POST", "/api/v1/declarations/wco"): Own("/api/v1/declarations/wco?dry_run=true"),
    ("GET", "/api/v1/declarations/{declaration_id}/response.xml"): ById(
        lambda b: _declaration(b, "/response.xml")
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/response.edi"): ById(
        lambda b: _declaration(b, "/response.edi")
    ),
    ("POST", "/api/v1/declarations/cusdec"): Own("/api/v1/declarations/cusdec"),
    ("GET", "/api/v1/declarations/{declaration_id}/assessment"): ById(
        lambda b: _declaration(b, "/assessment")
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/timeline"): ById(
        lambda b: _declaration(b, "/timeline")
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/versions"): ById(
        lambda b: _declaration(b, "/versions")
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/versions/{version}/changes"): ById(
        lambda b: _declaration(b, "/versions/1/changes"), ok_status=404
    ),
    ("POST", "/api/v1/declarations/{declaration_id}/amendments"): ById(
        lambda b: _declaration(b, "/amendments"), body=lambda b: amendment_for(b.email)
    ),
    ("POST", "/api/v1/declarations/{declaration_id}/cancel"): ById(
        lambda b: _declaration(b, "/cancel"), body=lambda b: {"reason": "matrix"}
    ),
    ("POST", "/api/v1/declarations/{declaration_id}/holds"): CustomsOnly(
        lambda b: _declaration(b, "/holds"),
        lambda b: {"kind": "documentary-check", "reason": "matrix"},
        ok_status=201,
    ),
    ("POST", "/api/v1/declarations/{declaration_id}/holds/{hold_id}/lift"): CustomsOnly(
        _hold, lambda b: {"reason": "matrix"}
    ),
    ("POST", "/api/v1/declarations/{declaration_id}/invalidate"): CustomsOnly(
        lambda b: _declaration(b, "/invalidate"), lambda b: {"reason": "matrix"}
    ),
    ("POST", "/api/v1/declarations/{declaration_id}/release"): CustomsOnly(
        lambda b: _declaration(b, "/release"), lambda b: {"reason": "matrix"}, ok_status=409
    ),
    ("GET", "/api/v1/risk/settings"): CustomsOnly(
        lambda b: "/api/v1/risk/settings", lambda b: None
    ),
    ("PUT", "/api/v1/risk/settings"): CustomsOnly(
        lambda b: "/api/v1/risk/settings", lambda b: {"target_yellow": 0.07}
    ),
    ("GET", "/api/v1/notifications"): Own("/api/v1/notifications"),
    ("POST", "/api/v1/notifications/read-all"): Own("/api/v1/notifications/read-all"),
    ("POST", "/api/v1/notifications/{notification_id}/read"): ById(
        lambda b: f"/api/v1/notifications/{notification_of(b)}/read"
    ),
    ("GET", "/api/v1/webhooks"): Own("/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks"): Own(
        "/api/v1/webhooks", lambda a: {"url": UNREACHABLE, "topics": ["declaration."]}
    ),
    ("DELETE", "/api/v1/webhooks/{subscription_id}"): ById(
        lambda b: f"/api/v1/webhooks/{webhook_of(b)}", ok_status=204
    ),
    ("GET", "/api/v1/webhooks/{subscription_id}/deliveries"): ById(
        lambda b: f"/api/v1/webhooks/{webhook_of(b)}/deliveries"
    ),
    ("GET", "/api/v1/webhook-allowed-hosts"): AdminOnly(
        lambda: "/api/v1/webhook-allowed-hosts", lambda: None
    ),
    ("POST", "/api/v1/webhook-allowed-hosts"): AdminOnly(
        lambda: "/api/v1/webhook-allowed-hosts",
        lambda: {"host": f"matrix-{uuid.uuid4().hex[:8]}.invalid", "reason": "matrix"},
        ok_status=201,
    ),
    ("DELETE", "/api/v1/webhook-allowed-hosts/{entry_id}"): AdminOnly(
        _allowed_host, lambda: None, ok_status=204
    ),
    ("GET", "/api/v1/risk/profiles"): CustomsOnly(lambda b: "/api/v1/risk/profiles", _nothing),
    ("POST", "/api/v1/risk/profiles"): CustomsOnly(
        lambda b: "/api/v1/risk/profiles",
        lambda b: {
            "code": "MATRIX-" + uuid.uuid4().hex[:8].upper(),
            "title": "matrix",
            "reason": "matrix",
            "conditions": _NOBODY,
            "channel": "yellow",
        },
        ok_status=201,
    ),
    ("GET", "/api/v1/risk/profiles/{profile_id}"): CustomsOnly(lambda b: _risk_profile(), _nothing),
    ("POST", "/api/v1/risk/profiles/{profile_id}/versions"): CustomsOnly(
        lambda b: _risk_profile("/versions"),
        lambda b: {
            "title": "matrix",
            "reason": "matrix",
            "conditions": _NOBODY,
            "channel": "red",
            "why": "matrix",
        },
        ok_status=201,
    ),
    ("POST", "/api/v1/risk/profiles/{profile_id}/deactivate"): CustomsOnly(
        lambda b: _risk_profile("/deactivate"), lambda b: {"why": "matrix"}
    ),
    ("POST", "/api/v1/risk/backtest"): CustomsOnly(
        lambda b: "/api/v1/risk/backtest",
        lambda b: {
            "conditions": _NOBODY,
            "since": "2020-01-01T00:00:00Z",
            "until": "2020-01-02T00:00:00Z",
        },
    ),
    ("GET", "/api/v1/risk/watch-list"): CustomsOnly(lambda b: "/api/v1/risk/watch-list", _nothing),
    ("POST", "/api/v1/risk/watch-list"): CustomsOnly(
        lambda b: "/api/v1/risk/watch-list",
        lambda b: {"identifier": "MATRIX-NOBODY", "reason": "matrix"},
        ok_status=201,
    ),
    ("DELETE", "/api/v1/risk/watch-list/{watch_id}"): CustomsOnly(
        lambda b: _watch(), _nothing, ok_status=204
    ),
    ("GET", "/api/v1/risk/fast-lanes"): CustomsOnly(lambda b: "/api/v1/risk/fast-lanes", _nothing),
    ("POST", "/api/v1/risk/fast-lanes"): CustomsOnly(
        lambda b: "/api/v1/risk/fast-lanes",
        lambda b: {"hs_prefix": "0101", "reason": "matrix"},
        ok_status=201,
    ),
    ("DELETE", "/api/v1/risk/fast-lanes/{lane_id}"): CustomsOnly(
        lambda b: _fast_lane(), _nothing, ok_status=204
    ),
    ("GET", "/api/v1/risk/ipr-records"): Own("/api/v1/risk/ipr-records"),
    ("POST", "/api/v1/risk/ipr-records"): Own(
        "/api/v1/risk/ipr-records",
        lambda a: {"trade_mark": "MATRIX", "hs_prefixes": ["0101"], "keywords": ["matrix-none"]},
    ),
    ("DELETE", "/api/v1/risk/ipr-records/{record_id}"): ById(_ipr_of, ok_status=204),
    # Targeting is confidential: even the declarant does not read its decision.
    ("GET", "/api/v1/risk/decisions/{declaration_id}"): CustomsOnly(
        lambda b: f"/api/v1/risk/decisions/{lodged_by(b.email)[0]}", _nothing
    ),
    ("GET", "/api/v1/risk/ipr-detentions"): Own("/api/v1/risk/ipr-detentions"),
    # Nothing waits for an assessment on a plain declaration: 409 once customs may ask.
    ("POST", "/api/v1/declarations/{declaration_id}/assess"): CustomsOnly(
        lambda b: _declaration(b, "/assess"), _nothing, ok_status=409
    ),
    ("GET", "/api/v1/mandates"): Own("/api/v1/mandates"),
    ("POST", "/api/v1/mandates"): Own(
        "/api/v1/mandates",
        lambda a: {"representative": _broker().identifier, "representation": "direct"},
    ),
    ("GET", "/api/v1/mandates/{mandate_id}"): ById(lambda b: f"/api/v1/mandates/{_mandate_of(b)}"),
    ("POST", "/api/v1/mandates/{mandate_id}/revoke"): ById(
        lambda b: f"/api/v1/mandates/{_mandate_of(b)}/revoke", body=lambda b: {"reason": "matrix"}
    ),
    ("GET", "/api/v1/risk/inspections/queue"): CustomsOnly(
        lambda b: "/api/v1/risk/inspections/queue", _nothing
    ),
    ("POST", "/api/v1/risk/inspections"): CustomsOnly(
        lambda b: "/api/v1/risk/inspections",
        lambda b: {"declaration_id": lodged_by(b.email)[0], "finding": "none", "currency": "GBP"},
        ok_status=201,
    ),
    ("GET", "/api/v1/risk/hit-rates"): CustomsOnly(lambda b: "/api/v1/risk/hit-rates", _nothing),
    ("GET", "/api/v1/risk/models"): CustomsOnly(lambda b: "/api/v1/risk/models", _nothing),
    # Too few inspected declarations in the test database to compare models: 409.
    ("POST", "/api/v1/risk/models/{model_id}/promote"): CustomsOnly(
        lambda b: f"/api/v1/risk/models/{_candidate_model()}/promote", _nothing, ok_status=409
    ),
    ("GET", "/api/v1/risk/drift"): CustomsOnly(lambda b: "/api/v1/risk/drift", _nothing),
    ("POST", "/api/v1/organisations/{organisation_id}/aeo"): CustomsOnly(
        lambda b: f"/api/v1/organisations/{b.org_id}/aeo",
        lambda b: {"status": "AEO-F", "valid_until": "2099-12-31"},
    ),
}


def _as(owner: Party) -> Principal:
    with session_scope() as session:
        user = parties.find_user(session, owner.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


def _call_of(owner: Party, suffix: str = "") -> str:
    with session_scope() as session:
        call = cargo.register_call(session, _as(owner), CallIn.model_validate(call_body(imo())))
        return f"/api/v1/cargo/calls/{call.id}{suffix}"


def _arrived_call_of(owner: Party, suffix: str) -> str:
    path = _call_of(owner)
    with session_scope() as session:
        cargo.record_arrival(session, _as(owner), int(path.rsplit("/", 1)[1]))
    return path + suffix


def _manifest_of(owner: Party, suffix: str = "") -> str:
    with session_scope() as session:
        manifest, _, _ = cargo.lodge_manifest(
            session, _as(owner), ManifestIn.model_validate(manifest_body(imo()))
        )
        return f"/api/v1/cargo/manifests/{manifest.id}{suffix}"


def _entry_summary_of(owner: Party, suffix: str = "") -> str:
    with session_scope() as session:
        row = cargo.lodge_entry_summary(session, _as(owner), b"<not-a-message/>")
        return f"/api/v1/cargo/entry-summaries/{row.id}{suffix}"


def _event(owner: Party) -> dict[str, str]:
    return {"kind": "discharged", "container": container(), "occurred_at": "2026-01-02T03:04:05Z"}


_CARRIER = ("carrier",)
_TERMINAL = ("terminal-operator",)
_PORT = ("port-authority",)
_CUSTOMS = ("customs-office",)

MATRIX.update(
    {
        ("POST", "/api/v1/cargo/calls"): RoleWork(
            _CARRIER, lambda o: "/api/v1/cargo/calls", lambda o: call_body(imo()), 201
        ),
        ("GET", "/api/v1/cargo/calls"): RoleWork(
            _CARRIER, lambda o: "/api/v1/cargo/calls", outsider_status=200
        ),
        ("GET", "/api/v1/cargo/calls/{call_id}"): RoleWork(
            _CARRIER, _call_of, outsider_status=404, owned=True
        ),
        ("POST", "/api/v1/cargo/calls/{call_id}/arrival"): RoleWork(
            _CARRIER, lambda o: _call_of(o, "/arrival"), lambda o: {}, owned=True
        ),
        ("POST", "/api/v1/cargo/calls/{call_id}/departure-clearance"): RoleWork(
            _PORT,
            lambda o: _call_of(make_party(_CARRIER), "/departure-clearance"),
            lambda o: {"reason": "matrix"},
            ok_status=409,
        ),
        ("POST", "/api/v1/cargo/calls/{call_id}/departure"): RoleWork(
            _CARRIER, lambda o: _arrived_call_of(o, "/departure"), lambda o: {}, 409, owned=True
        ),
        ("POST", "/api/v1/cargo/manifests/cuscar"): RoleWork(
            _CARRIER, lambda o: "/api/v1/cargo/manifests/cuscar", ok_status=422
        ),
        ("POST", "/api/v1/cargo/manifests"): RoleWork(
            _CARRIER, lambda o: "/api/v1/cargo/manifests", lambda o: manifest_body(imo()), 201
        ),
        ("GET", "/api/v1/cargo/manifests"): RoleWork(
            _CARRIER, lambda o: "/api/v1/cargo/manifests", outsider_status=200
        ),
        ("GET", "/api/v1/cargo/manifests/{manifest_id}"): RoleWork(
            _CARRIER, _manifest_of, outsider_status=404, owned=True
        ),
        ("GET", "/api/v1/cargo/manifests/{manifest_id}/versions"): RoleWork(
            _CARRIER, lambda o: _manifest_of(o, "/versions"), outsider_status=404, owned=True
        ),
        ("POST", "/api/v1/cargo/entry-summaries"): RoleWork(
            _CARRIER, lambda o: "/api/v1/cargo/entry-summaries", ok_status=201
        ),
        ("GET", "/api/v1/cargo/entry-summaries"): RoleWork(
            _CARRIER, lambda o: "/api/v1/cargo/entry-summaries"
        ),
        ("GET", "/api/v1/cargo/entry-summaries/{summary_id}"): RoleWork(
            _CARRIER, _entry_summary_of, owned=True
        ),
        ("POST", "/api/v1/cargo/entry-summaries/{summary_id}/resolution"): RoleWork(
            _CUSTOMS,
            lambda o: _entry_summary_of(make_party(_CARRIER), "/resolution"),
            lambda o: {"resolution": "matrix"},
            ok_status=409,
        ),
        ("POST", "/api/v1/cargo/terminal-events"): RoleWork(
            _TERMINAL, lambda o: "/api/v1/cargo/terminal-events", _event, 201
        ),
        ("GET", "/api/v1/cargo/terminal-events"): RoleWork(
            _TERMINAL, lambda o: "/api/v1/cargo/terminal-events"
        ),
        ("GET", "/api/v1/cargo/gate"): RoleWork(
            _TERMINAL, lambda o: f"/api/v1/cargo/gate?container={container()}"
        ),
        ("GET", "/api/v1/cargo/reconciliation"): RoleWork(
            _CUSTOMS, lambda o: "/api/v1/cargo/reconciliation"
        ),
        ("GET", "/api/v1/cargo/tracking"): RoleWork(
            _CARRIER,
            lambda o: "/api/v1/cargo/tracking?q=" + cargo_manifest_document(_manifest_of(o)),
            outsider_status=404,
            owned=True,
        ),
    }
)


# Permits ---------------------------------------------------------------------------------------

_AGENCY = ("permit-agency",)


def _procedure_for(agency: Party | None = None) -> dict[str, object]:
    from tests.permits import procedure

    return procedure(agency.identifier if agency else "GB-NOT-REGISTERED")


def _loaded_for(agency: Party) -> str:
    from onewindow.permits import service as permits

    body = _procedure_for(agency)
    with session_scope() as session:
        permits.load_procedure(session, body, "test")
    return str(body["code"])


@functools.cache
def _matrix_procedure() -> str:
    """A procedure any trader may apply for (its agency has no officers here)."""
    return _loaded_for(make_party(_AGENCY, user_role="staff"))


def _application(
    trader: Party, agency: Party | None = None, *, asked: bool = False, approved: bool = False
) -> int:
    """An application of ``trader`` (to ``agency``'s procedure), asked about or approved."""
    from onewindow.permits import service as permits
    from onewindow.permits.schemas import ApplicationIn, DecisionIn, StepIn

    agency = agency or make_party(_AGENCY, user_role="staff")
    code = _loaded_for(agency)
    data = {"commodity_code": "0604202000", "origin": "CN", "purpose": "private"}
    applicant, officer = _as(trader), _as(agency)
    with session_scope() as session:
        application = permits.lodge(session, applicant, ApplicationIn(procedure=code, data=data))
        if asked:
            permits.ask(session, officer, application.id, "which nursery?")
        if not approved:
            return application.id
        permits.complete_step(session, officer, application.id, "review", StepIn())
        permits.pay_fee(
            session,
            applicant,
            application.id,
            method="bank",
            gateway=payments.SimulatedBank(session),
        )
    for _ in range(5):  # the bank confirms, payments says the fee is paid
        with session_scope() as session:
            if not events.deliver_pending(session, limit=500):
                break
    with session_scope() as session:
        permits.decide(
            session, officer, application.id, DecisionIn(decision="approve", reason="ok")
        )
        return application.id


def _permit_of(holder: Party, agency: Party | None = None) -> int:
    from onewindow.permits.models import Permit

    application_id = _application(holder, agency, approved=True)
    with session_scope() as session:
        permit = session.scalar(select(Permit).where(Permit.application_id == application_id))
        assert permit is not None
        return permit.id


def _declaration_for(agency: Party, join: bool = False) -> int:
    """A declaration with an application to the agency about its first item."""
    from onewindow.permits import service as permits
    from onewindow.permits.schemas import ApplicationIn

    trader = make_party()
    declaration_id = lodged_by(trader.email)[0]
    code = _loaded_for(agency)
    applicant, officer = _as(trader), _as(agency)
    with session_scope() as session:
        permits.lodge(
            session,
            applicant,
            ApplicationIn(
                procedure=code, data={"purpose": "private"}, declaration_id=declaration_id, item=1
            ),
        )
        if join:
            permits.ask_inspection(session, officer, declaration_id, "join")
    return declaration_id


def _company_document_for(agency: Party) -> int:
    from onewindow.permits import service as permits
    from onewindow.permits.schemas import CompanyDocumentIn

    code = _loaded_for(agency)
    owner = _as(make_party())
    with session_scope() as session:
        agency_code = permits.current(session, code).agency_id
        named = permits.agencies(session)[agency_code].code
        document = permits.lodge_company_document(
            session,
            owner,
            CompanyDocumentIn(
                agency=named, kind="business_registration", reference="BR-1", valid_to="2099-01-01"
            ),
        )
        return document.id


_PERMITS = "/api/v1/permits"

MATRIX.update(
    {
        ("GET", f"{_PERMITS}/requirements"): Public(f"{_PERMITS}/requirements?hs=0602909100"),
        ("GET", f"{_PERMITS}/procedures"): Public(f"{_PERMITS}/procedures"),
        ("GET", f"{_PERMITS}/verification"): Public(f"{_PERMITS}/verification?code=unknown"),
        ("PUT", f"{_PERMITS}/procedures"): AdminOnly(
            lambda: f"{_PERMITS}/procedures", _procedure_for
        ),
        ("POST", f"{_PERMITS}/applications"): Own(
            f"{_PERMITS}/applications",
            lambda a: {
                "procedure": _matrix_procedure(),
                "data": {"commodity_code": "0604202000", "origin": "CN", "purpose": "private"},
            },
        ),
        ("GET", f"{_PERMITS}/applications"): Own(f"{_PERMITS}/applications"),
        ("GET", f"{_PERMITS}/applications/{{application_id}}"): ById(
            lambda b: f"{_PERMITS}/applications/{_application(b)}"
        ),
        ("POST", f"{_PERMITS}/applications/{{application_id}}/answers"): ById(
            lambda b: f"{_PERMITS}/applications/{_application(b, asked=True)}/answers",
            body=lambda b: {"text": "Green Leaf Nursery"},
        ),
        ("POST", f"{_PERMITS}/applications/{{application_id}}/steps/{{step}}"): RoleWork(
            _AGENCY,
            lambda o: f"{_PERMITS}/applications/{_application(make_party(), o)}/steps/review",
            lambda o: {},
            outsider_status=404,
            owned=True,
        ),
        ("POST", f"{_PERMITS}/applications/{{application_id}}/questions"): RoleWork(
            _AGENCY,
            lambda o: f"{_PERMITS}/applications/{_application(make_party(), o)}/questions",
            lambda o: {"text": "which nursery?"},
            outsider_status=403,
            owned=True,
        ),
        ("POST", f"{_PERMITS}/applications/{{application_id}}/decision"): RoleWork(
            _AGENCY,
            lambda o: f"{_PERMITS}/applications/{_application(make_party(), o)}/decision",
            lambda o: {"decision": "reject", "reason": "matrix"},
            outsider_status=403,
            owned=True,
        ),
        ("GET", f"{_PERMITS}/turnaround"): RoleWork(_AGENCY, lambda o: f"{_PERMITS}/turnaround"),
        ("GET", f"{_PERMITS}/declarations/{{declaration_id}}/needs"): ById(
            lambda b: f"{_PERMITS}/declarations/{lodged_by(b.email)[0]}/needs"
        ),
        ("POST", f"{_PERMITS}/declarations/{{declaration_id}}/applications"): ById(
            lambda b: f"{_PERMITS}/declarations/{lodged_by(b.email)[0]}/applications"
        ),
        ("POST", f"{_PERMITS}/declarations/{{declaration_id}}/inspection"): RoleWork(
            _AGENCY,
            lambda o: f"{_PERMITS}/declarations/{_declaration_for(o)}/inspection",
            lambda o: {"role": "join"},
            owned=True,
        ),
        ("POST", f"{_PERMITS}/declarations/{{declaration_id}}/findings"): RoleWork(
            _AGENCY,
            lambda o: f"{_PERMITS}/declarations/{_declaration_for(o, join=True)}/findings",
            lambda o: {"finding": "compliant", "notes": "matrix"},
            owned=True,
        ),
        ("GET", f"{_PERMITS}/declarations/{{declaration_id}}/findings"): RoleWork(
            _AGENCY, lambda o: f"{_PERMITS}/declarations/{_declaration_for(o, join=True)}/findings"
        ),
        ("GET", f"{_PERMITS}/issued"): Own(f"{_PERMITS}/issued"),
        ("GET", f"{_PERMITS}/issued/{{permit_id}}"): ById(
            lambda b: f"{_PERMITS}/issued/{_permit_of(b)}"
        ),
        ("POST", f"{_PERMITS}/issued/{{permit_id}}/correction"): RoleWork(
            _AGENCY,
            lambda o: f"{_PERMITS}/issued/{_permit_of(make_party(), o)}/correction",
            lambda o: {"reason": "matrix", "valid_to": "2099-01-01"},
            owned=True,
        ),
        ("POST", f"{_PERMITS}/company-documents"): Own(
            f"{_PERMITS}/company-documents",
            lambda a: {
                "agency": "NO-SUCH",
                "kind": "business_registration",
                "reference": "BR-1",
                "valid_to": "2099-01-01",
            },
        ),
        ("GET", f"{_PERMITS}/company-documents"): Own(f"{_PERMITS}/company-documents"),
        ("POST", f"{_PERMITS}/company-documents/{{document_id}}/verification"): RoleWork(
            _AGENCY,
            lambda o: f"{_PERMITS}/company-documents/{_company_document_for(o)}/verification",
            lambda o: {"accepted": True, "reason": "matrix"},
            owned=True,
        ),
    }
)


# The partner gateway: partners sign, customs and administrators read, administrators manage.
_EXCHANGE = "/api/v1/exchange"


def _exchange_state(b: Party) -> object:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Message))


def _unsigned_message(b: Party) -> bytes:
    exchange_partner("MT")
    body = certificate_body("CO-MATRIX-" + uuid.uuid4().hex[:6], origin="MT")
    root = envelope.build_message(
        str(uuid.uuid4()), "certificate-of-origin", "MT", "GB", utcnow(), body
    )
    return bytes(etree.tostring(root))


def _failed_message() -> str:
    exchange_partner("MT")
    with session_scope() as session:
        row = Message(
            direction="out",
            message_id=str(uuid.uuid4()),
            partner_country="MT",
            message_type="certificate-of-origin",
            reference="matrix",
            created=utcnow(),
            status="failed",
            xml="<Message/>",
            digest="0" * 64,
            key_name="0" * 64,
            signature_check="matrix",
            attempts=20,
            recorded_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return f"{_EXCHANGE}/messages/{row.id}"


def _exchange_message(b: Party) -> str:
    return _failed_message()


def _partner_certificate() -> object:
    exchange_partner("MT")
    return {"certificate": partner_key("MT").certificate_pem}


MATRIX.update(
    {
        ("POST", f"{_EXCHANGE}/messages"): Signed(
            f"{_EXCHANGE}/messages", _unsigned_message, _exchange_state
        ),
        ("POST", f"{_EXCHANGE}/batches"): Signed(
            f"{_EXCHANGE}/batches",
            lambda b: json.dumps({"messages": [_unsigned_message(b).decode()]}).encode(),
            _exchange_state,
        ),
        ("GET", f"{_EXCHANGE}/messages"): CustomsOnly(
            lambda b: f"{_EXCHANGE}/messages", lambda b: None
        ),
        ("GET", f"{_EXCHANGE}/messages/{{message_row_id}}"): CustomsOnly(
            _exchange_message, lambda b: None
        ),
        ("POST", f"{_EXCHANGE}/messages/{{message_row_id}}/retry"): AdminOnly(
            lambda: _failed_message() + "/retry", lambda: None
        ),
        ("GET", f"{_EXCHANGE}/partners"): CustomsOnly(
            lambda b: f"{_EXCHANGE}/partners", lambda b: None
        ),
        ("POST", f"{_EXCHANGE}/partners"): AdminOnly(
            lambda: f"{_EXCHANGE}/partners",
            lambda: {
                "country": "MT",
                "name": "Malta single window",
                "endpoint": "http://127.0.0.1:9",
            },
        ),
        ("POST", f"{_EXCHANGE}/partners/{{country}}/certificates"): AdminOnly(
            lambda: f"{_EXCHANGE}/partners/MT/certificates", _partner_certificate
        ),
        ("GET", f"{_EXCHANGE}/keys"): AdminOnly(lambda: f"{_EXCHANGE}/keys", lambda: None),
    }
)


def cargo_manifest_document(path: str) -> str:
    """The first transport document of a manifest (by its API path)."""
    with session_scope() as session:
        from onewindow.cargo.models import Manifest

        manifest = session.get(Manifest, int(path.rsplit("/", 1)[1]))
        assert manifest is not None
        return manifest.documents[0].number


def _api_routes(client: TestClient) -> set[tuple[str, str]]:
    return {(op.method, op.path) for op in api_operations(client.app)}


# AEO -------------------------------------------------------------------------------------------


def _aeo_application(b: Party, step: str = "", suffix: str = "") -> str:
    """An AEO application of B, taken to ``step`` (asked, planned); its path."""
    from datetime import date, timedelta

    from onewindow.aeo import service as aeo
    from tests.aeo import answers

    company, officer = _as(b), _officer()
    with session_scope() as session:
        application = aeo.apply(
            session, company, operator_role="importer", tier="AEO-C", answers=answers("AEO-C")
        )
        if step == "asked":
            aeo.ask(session, officer, application.id, "matrix?")
        if step == "planned":
            day = date.today() + timedelta(days=5)
            aeo.plan_visit(session, officer, application.id, on=day, place="matrix")
        return f"/api/v1/aeo/applications/{application.id}{suffix}"


def _aeo_certificate(b: Party, suffix: str = "", suspended: bool = False) -> str:
    from onewindow.aeo import service as aeo
    from tests.aeo import certify

    certificate_id = certify(b, "AEO-C")
    if suspended:
        officer = _officer()
        with session_scope() as session:
            aeo.suspend(session, officer, certificate_id, "matrix")
    return f"/api/v1/aeo/certificates/{certificate_id}{suffix}"


def _unused_country() -> str:
    from onewindow.aeo import service as aeo

    with session_scope() as session:
        used = {p.country for p in aeo.partners(session)}
    return next(f"Y{x}" for x in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if f"Y{x}" not in used)


def _aeo_findings(b: Party) -> dict[str, object]:
    from tests.aeo import findings

    return {"findings": findings("AEO-C")}


_AEO = "/api/v1/aeo"
_APPLICATION = f"{_AEO}/applications/{{application_id}}"
_CERTIFICATE = f"{_AEO}/certificates/{{certificate_id}}"
_CONFIRMED = {"reason": "matrix", "confirm": True}

MATRIX.update(
    {
        ("GET", f"{_AEO}/criteria"): Public(f"{_AEO}/criteria"),
        ("POST", f"{_AEO}/applications"): Own(
            f"{_AEO}/applications",
            lambda a: {
                "operator_role": "exporter",
                "tier": "AEO-C",
                "answers": aeo_answers("AEO-C"),
            },
        ),
        ("GET", f"{_AEO}/applications"): Own(f"{_AEO}/applications"),
        ("GET", _APPLICATION): ById(lambda b: _aeo_application(b)),
        ("POST", f"{_APPLICATION}/answer"): ById(
            lambda b: _aeo_application(b, "asked", "/answer"), body=lambda b: {"text": "matrix"}
        ),
        ("POST", f"{_APPLICATION}/questions"): CustomsOnly(
            lambda b: _aeo_application(b, "", "/questions"), lambda b: {"text": "matrix?"}
        ),
        ("POST", f"{_APPLICATION}/visit-plan"): CustomsOnly(
            lambda b: _aeo_application(b, "", "/visit-plan"),
            lambda b: {"on": "2099-01-01", "place": "matrix"},
        ),
        ("POST", f"{_APPLICATION}/visit"): CustomsOnly(
            lambda b: _aeo_application(b, "planned", "/visit"), _aeo_findings
        ),
        ("POST", f"{_APPLICATION}/decision"): CustomsOnly(
            lambda b: _aeo_application(b, "", "/decision"),
            lambda b: {"decision": "refuse", "reason": "matrix"},
        ),
        ("GET", f"{_AEO}/certificates"): Own(f"{_AEO}/certificates"),
        ("GET", _CERTIFICATE): ById(lambda b: _aeo_certificate(b)),
        ("POST", f"{_CERTIFICATE}/consent"): ById(
            lambda b: _aeo_certificate(b, "/consent"), body=lambda b: {"consent": True}
        ),
        ("POST", f"{_CERTIFICATE}/suspension"): CustomsOnly(
            lambda b: _aeo_certificate(b, "/suspension"), lambda b: _CONFIRMED
        ),
        ("POST", f"{_CERTIFICATE}/revocation"): CustomsOnly(
            lambda b: _aeo_certificate(b, "/revocation"), lambda b: _CONFIRMED
        ),
        ("POST", f"{_CERTIFICATE}/reinstatement"): CustomsOnly(
            lambda b: _aeo_certificate(b, "/reinstatement", suspended=True), lambda b: _CONFIRMED
        ),
        ("POST", f"{_CERTIFICATE}/reassessment"): CustomsOnly(
            lambda b: _aeo_certificate(b, "/reassessment"), lambda b: _CONFIRMED
        ),
        ("GET", f"{_AEO}/partners"): CustomsOnly(lambda b: f"{_AEO}/partners", _nothing),
        ("POST", f"{_AEO}/partners"): CustomsOnly(
            lambda b: f"{_AEO}/partners",
            lambda b: {"country": _unused_country(), "name": "Matrix Customs"},
            ok_status=201,
        ),
        ("GET", f"{_AEO}/mras"): CustomsOnly(lambda b: f"{_AEO}/mras", _nothing),
        # An MRA with a partner nobody registered: customs passes the door, the data is refused.
        ("POST", f"{_AEO}/mras"): CustomsOnly(
            lambda b: f"{_AEO}/mras",
            lambda b: {
                "partner_country": "YY",
                "reference": "MRA-MATRIX",
                "operator_roles": ["exporter"],
                "benefits": ["priority_inspection"],
                "in_force_from": "2026-01-01",
            },
            ok_status=422,
        ),
        ("GET", f"{_AEO}/partner-operators"): CustomsOnly(
            lambda b: f"{_AEO}/partner-operators", _nothing
        ),
    }
)


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    missing = _api_routes(client) - set(MATRIX)
    assert not missing, f"add these routes to the access matrix: {sorted(missing)}"
    stale = set(MATRIX) - _api_routes(client)
    assert not stale, f"these routes are gone: {sorted(stale)}"


def _markers(party: Party) -> list[str]:
    return [party.name, party.email, party.identifier]


@pytest.mark.parametrize(("method", "route"), sorted(MATRIX))
def test_scoping(client: TestClient, method: str, route: str) -> None:
    access = MATRIX[(method, route)]
    a, b = make_party(), make_party()
    if isinstance(access, Public):
        assert client.request(method, access.path).status_code == 200
        return
    if isinstance(access, Signed):
        content = access.body(b)
        before = access.state(b)
        unsigned = client.request(
            method, access.path, content=content, headers={"Content-Type": "application/json"}
        )
        assert unsigned.status_code == 403, unsigned.text
        assert access.state(b) == before
        return
    if isinstance(access, CustomsOnly):
        path, payload = access.path(b), access.body(b)
        assert client.request(method, path, json=payload).status_code == 401
        refused = client.request(method, path, headers=b.auth, json=payload)
        assert refused.status_code == 403, refused.text
        customs = make_party(("customs-office",), user_role="staff")
        done = client.request(method, path, headers=customs.auth, json=payload)
        assert done.status_code == access.ok_status, done.text
        return
    if isinstance(access, AdminOnly):
        path, payload = access.path(), access.body()
        assert client.request(method, path, json=payload).status_code == 401
        for other in (b, make_party(("customs-office",), user_role="staff")):
            refused = client.request(method, path, headers=other.auth, json=payload)
            assert refused.status_code == 403, refused.text
        admin = make_party(("administrator",))
        done = client.request(method, path, headers=admin.auth, json=payload)
        assert done.status_code == access.ok_status, done.text
        return
    if isinstance(access, RoleWork):
        _check_role_work(client, method, access)
        return
    path = access.path(b) if isinstance(access, ById) else access.path
    anonymous = client.request(method, path)
    assert anonymous.status_code == 401, anonymous.text
    if isinstance(access, ById):
        payload = access.body(b) if access.body else None
        as_a = client.request(method, path, headers=a.auth, json=payload)
        assert as_a.status_code == 404, as_a.text
        assert all(m not in as_a.text for m in _markers(b))
        as_b = client.request(method, path, headers=b.auth, json=payload)
        assert as_b.status_code == access.ok_status, as_b.text
        return
    body = access.body(a) if access.body else None
    as_a = client.request(method, path, headers=a.auth, json=body)
    assert as_a.status_code < 500
    assert all(m not in as_a.text for m in _markers(b)), as_a.text


def _check_role_work(client: TestClient, method: str, access: RoleWork) -> None:
    owner = make_party(
        access.roles, user_role="staff" if "customs-office" in access.roles else "admin"
    )
    path, payload = access.path(owner), access.body(owner)
    assert client.request(method, path, json=payload).status_code == 401
    outsider = make_party()
    refused = client.request(method, path, headers=outsider.auth, json=payload)
    assert refused.status_code == access.outsider_status, refused.text
    assert all(m not in refused.text for m in _markers(owner))
    if access.owned:
        peer = make_party(access.roles)
        hidden = client.request(method, path, headers=peer.auth, json=payload)
        assert hidden.status_code == 404, hidden.text
    done = client.request(method, path, headers=owner.auth, json=payload)
    assert done.status_code == access.ok_status, done.text


def test_a_token_only_does_what_its_scopes_allow(client: TestClient, party: Party) -> None:
    issued = client.post(
        "/api/v1/tokens",
        json={"name": "read only", "scopes": ["organisation:read"]},
        headers=party.auth,
    )
    assert issued.status_code == 201
    reader = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert client.get("/api/v1/users", headers=reader).status_code == 200
    refused = client.post(
        "/api/v1/tokens", json={"name": "escalate", "scopes": ["tokens:write"]}, headers=reader
    )
    assert refused.status_code == 403
    assert "tokens:write" in refused.json()["detail"]


def test_only_administrators_register_organisations(
    client: TestClient, party: Party, administrator: Party
) -> None:
    body = {
        "name": "New Importer Ltd",
        "identifier_scheme": "EORI",
        "identifier": "NL123456789",
        "country": "NL",
        "roles": ["trader"],
    }
    assert client.post("/api/v1/organisations", json=body, headers=party.auth).status_code == 403
    created = client.post("/api/v1/organisations", json=body, headers=administrator.auth)
    assert created.status_code == 201, created.text
    again = client.post("/api/v1/organisations", json=body, headers=administrator.auth)
    assert again.status_code == 409
