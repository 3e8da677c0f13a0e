"""Steps run inside one single window (``python -m tests.exchange.scenario STEP ...``), each
answering one line of JSON: what the two-window test and the benchmark set up and count."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select

from onewindow import events, workers
from onewindow.aeo import certificates
from onewindow.aeo import service as aeo
from onewindow.config import get_settings
from onewindow.db import session_scope
from onewindow.demo import ensure_parties
from onewindow.demo_permits import AGENCY_PARTIES
from onewindow.exchange import service
from onewindow.exchange.models import Message, OriginCertificate
from onewindow.parties import service as parties
from onewindow.payments import service as payments
from onewindow.payments.gateway import SimulatedBank
from onewindow.permits import service as permits
from onewindow.permits.schemas import ApplicationIn, DecisionIn, StepIn
from onewindow.tariff import service as tariff


def _party(roles: tuple[str, ...], user_role: str = "admin") -> tuple[Any, str, str]:
    tag = uuid.uuid4().hex[:10].upper()
    country = get_settings().country
    with session_scope() as session:
        org = parties.create_organisation(
            session,
            name=f"{country} Trader {tag}",
            identifier_scheme="EORI",
            identifier=f"{country}{tag}",
            country=country,
            roles=roles,
        )
        user = parties.create_user(
            session,
            organisation_id=org.id,
            email=f"{tag.lower()}@{country.lower()}.example",
            full_name=f"User {tag}",
            role=user_role,
            password="correct-horse-battery-9",
        )
        principal = parties.principal_for_user(user, "scenario")
        _, secret = parties.issue_token(
            session, principal, name="scenario", scopes=sorted(principal.scopes)
        )
        return principal, secret, org.identifier


def issue_certificate(destination: str) -> dict[str, Any]:
    """The exporting side: a trader applies for a certificate of origin, the chamber issues it."""
    with session_scope() as session:
        ensure_parties(session, AGENCY_PARTIES)
        permits.load_directory(session, actor="scenario")
    trader, _, _ = _party(("trader",))
    with session_scope() as session:
        user = parties.find_user(session, AGENCY_PARTIES[2].email)
        assert user is not None
        chamber = parties.principal_for_user(user, "scenario")
    country = get_settings().country
    data = {
        "commodity_code": "6109100010",
        "description": "Men's cotton T-shirts",
        "origin": country,
        "country_of_destination": destination,
        "exporter": trader.organisation_name,
        "quantity": "2400",
        "unit": "NAR",
        "criterion": "PE",
    }
    with session_scope() as session:
        application = permits.lodge(
            session, trader, ApplicationIn(procedure="CERT-ORIGIN", data=data)
        )
        permits.complete_step(session, chamber, application.id, "review", StepIn())
        # The fee is paid like duties, through payments; the bank confirms at once here.
        fee = permits.view(session, permits.get(session, trader, application.id)).fee_request
        assert fee is not None
        payments.pay(
            session, trader, fee.payment_request_id, method="bank", gateway=SimulatedBank(session)
        )
        workers.register_consumers()
        while events.deliver_pending(session, limit=500):
            pass
        permits.decide(
            session, chamber, application.id, DecisionIn(decision="approve", reason="knitted here")
        )
        number = permits.list_permits(session, trader)[0].number
    return {"number": number}


def importer(origin: str) -> dict[str, Any]:
    """The importing side: duty and a preference for the origin's goods (proof required), and an
    importer with a token."""
    with session_scope() as session:
        for measure_type, rate, group in (
            ("customs_duty", "12%", "ERGA OMNES"),
            ("preferential_duty", "0%", origin),
        ):
            tariff.add_measure(
                session,
                commodity_code="6109100010",
                measure_type=measure_type,
                rate=rate,
                valid_from=date(2020, 1, 1),
                origin_group=group,
                requires_proof_of_origin=measure_type == "preferential_duty",
                label=f"{measure_type.replace('_', ' ')} ({group})",
            )
    _, token, identifier = _party(("trader",))
    return {"token": token, "identifier": identifier}


def counts() -> dict[str, Any]:
    with session_scope() as session:
        by_status = {f"{d}/{s}": n for (d, s), n in service.count_by_status(session).items()}
        certificates = session.scalar(select(func.count()).select_from(OriginCertificate))
        distinct = session.scalar(
            select(func.count(func.distinct(Message.message_id))).where(Message.direction == "in")
        )
    return {"messages": by_status, "certificates": certificates, "distinct_in": distinct}


def send_certificates(destination: str, count: int) -> dict[str, Any]:
    """Put ``count`` certificates of origin in the outbox for ``destination`` (the benchmark)."""
    country = get_settings().country
    today = date.today().isoformat()
    prefix = uuid.uuid4().hex[:6].upper()
    with session_scope() as session:
        for i in range(count):
            body = service.certificate_of_origin(
                {
                    "number": f"B{prefix}-{i:06d}",
                    "issue_date": today,
                    "issuing_country": country,
                    "issuing_authority": "Chamber of Commerce",
                    "exporter": {"name": "Benchmark Knits"},
                    "destination_country": destination,
                    "criterion": "PE",
                    "goods": [
                        {"hs_code": "6109100010", "description": "T-shirts", "origin": country}
                    ],
                }
            )
            service.send(
                session, destination, "certificate-of-origin", body, reference=f"B{prefix}-{i:06d}"
            )
    return {"prefix": prefix, "count": count}


def latencies(prefix: str) -> dict[str, Any]:
    """Created-to-acknowledged seconds of the benchmark's messages."""
    with session_scope() as session:
        rows = session.execute(
            select(Message.created, Message.acknowledged_at).where(
                Message.direction == "out", Message.reference.like(f"B{prefix}-%")
            )
        ).all()
    done = [(a - c).total_seconds() for c, a in rows if a is not None]
    return {"sent": len(rows), "acknowledged": len(done), "latencies": sorted(done)}


def recognise(partner: str) -> dict[str, Any]:
    """Both sides of mutual recognition with ``partner``: its administration and an MRA in force
    (exporters and importers, fewer checks)."""
    admin, _, _ = _party(("administrator",))
    with session_scope() as session:
        aeo.register_partner(session, admin, country=partner, name=f"Customs of {partner}")
        aeo.record_mra(
            session,
            admin,
            partner_country=partner,
            reference=f"MRA-{partner}-{uuid.uuid4().hex[:6]}",
            operator_roles=["exporter", "importer"],
            benefits=["fewer_documentary_checks", "fewer_physical_checks"],
            in_force_from=date(2020, 1, 1),
        )
    return {"partner": partner}


def certify() -> dict[str, Any]:
    """A trader of this country certified AEO-F, consenting to share its status with partners."""
    trader, _, identifier = _party(("trader",))
    with session_scope() as session:
        certificate = certificates.grant(
            session,
            organisation_id=trader.organisation_id,
            operator_role="importer",
            tier_code="AEO-F",
            actor="scenario",
            reason="validated",
            validated_on=date.today(),
            consent_to_share=True,
        )
        return {"identifier": identifier, "certificate": certificate.id}


def suspend(certificate_id: int) -> dict[str, Any]:
    officer, _, _ = _party(("customs-office",), user_role="staff")
    with session_scope() as session:
        found = aeo.suspend(session, officer, certificate_id, "records not kept")
        return {"status": found.status}


def treatment(identifier: str) -> dict[str, Any]:
    """What risk gives a declaration naming the partner's operator as exporter, today."""
    with session_scope() as session:
        found = aeo.risk_treatment(
            session, organisation_ids=[], foreign_operators={"exporter": identifier}
        )
        return {"recognised": int(found is not None), "treatment": repr(found)}


STEPS = {
    "recognise": recognise,
    "certify": certify,
    "suspend": suspend,
    "treatment": treatment,
    "issue-certificate": issue_certificate,
    "importer": importer,
    "counts": counts,
    "send-certificates": send_certificates,
    "latencies": latencies,
}

if __name__ == "__main__":
    step, *args = sys.argv[1:]
    converted = [int(a) if a.isdigit() else a for a in args]
    print(json.dumps(STEPS[step](*converted), default=str))  # type: ignore[operator]
