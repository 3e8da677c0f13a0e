"""Our signing keys and the register of partner single windows with their pinned certificates.

Rotation without downtime: several of our keys and several of a partner's certificates may be
valid at once. We sign with the key marked ``signing`` (the newest such when several are); a
partner's message is checked against the certificate its signature names, if that certificate
is pinned for that partner and valid now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow import audit
from onewindow.config import get_settings
from onewindow.db import utcnow
from onewindow.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.exchange import signing
from onewindow.exchange.models import Partner, PartnerCertificate, SigningKey


def _certificate(pem: str, pointer: str) -> signing.x509.Certificate:
    try:
        return signing.certificate(pem)
    except ValueError:
        raise InvalidInput(
            "The certificate cannot be read.", [FieldError(pointer, "is not a PEM certificate")]
        ) from None


# Our keys -------------------------------------------------------------------------------------


def add_signing_key(
    session: Session, certificate_pem: str, key_path: Path, *, actor: str, signing_now: bool = True
) -> SigningKey:
    """Register one of our keys: its certificate, and the file its private key is read from
    (the key itself never enters the database). Adding the same certificate again changes
    nothing but, when asked, makes it the signing key."""
    cert = _certificate(certificate_pem, "/certificate")
    try:
        key = signing.load_private_key(key_path, get_settings().exchange_key_passphrase or None)
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInput(
            f"The private key cannot be read: {exc}", [FieldError("/key_path", "is unreadable")]
        ) from None
    if key.public_key() != cert.public_key():
        raise InvalidInput(
            "The private key does not belong to the certificate.",
            [FieldError("/key_path", "does not match the certificate")],
        )
    found = session.scalar(
        select(SigningKey).where(SigningKey.fingerprint == signing.fingerprint(cert))
    )
    if found is None:
        found = SigningKey(
            fingerprint=signing.fingerprint(cert),
            certificate_pem=certificate_pem,
            key_path=str(key_path.resolve()),
            algorithm=signing.algorithm_of(key),
            valid_from=cert.not_valid_before_utc,
            valid_to=cert.not_valid_after_utc,
            signing=False,
            added_by=actor,
            added_at=utcnow(),
        )
        session.add(found)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="exchange.key_added",
            subject_type="exchange_signing_key",
            subject_id=found.id,
            data={"fingerprint": found.fingerprint, "valid_to": found.valid_to.isoformat()},
        )
    if signing_now:
        use_signing_key(session, found.fingerprint, actor=actor)
    return found


def use_signing_key(session: Session, fingerprint: str, *, actor: str) -> SigningKey:
    """Sign from now on with the key of ``fingerprint`` (the others stay valid to the end of
    their certificates, so partners may still check what they signed)."""
    chosen = session.scalar(select(SigningKey).where(SigningKey.fingerprint == fingerprint))
    if chosen is None:
        raise NotFound(f"No key of ours has the fingerprint {fingerprint}.")
    if chosen.valid_to <= utcnow():
        raise Conflict(f"The key {fingerprint} expired on {chosen.valid_to:%Y-%m-%d}.")
    for key in session.scalars(select(SigningKey).where(SigningKey.signing.is_(True))):
        key.signing = False
    chosen.signing = True
    audit.record(
        session,
        actor=actor,
        action="exchange.signing_key_chosen",
        subject_type="exchange_signing_key",
        subject_id=chosen.id,
        data={"fingerprint": fingerprint},
    )
    return chosen


def signing_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.valid_from.desc())))


@dataclass(frozen=True)
class Signer:
    fingerprint: str
    key: PrivateKeyTypes


_loaded: dict[tuple[str, float], PrivateKeyTypes] = {}


def current_signer(session: Session) -> Signer:
    """The key we sign with now, read from its file (cached while the file is unchanged)."""
    now = utcnow()
    row = session.scalar(
        select(SigningKey)
        .where(SigningKey.signing.is_(True), SigningKey.valid_to > now)
        .order_by(SigningKey.valid_from.desc())
        .limit(1)
    )
    if row is None:
        raise Conflict(
            "No signing key is in use: make one with `onewindow exchange keys make` "
            "(or add one with `onewindow exchange keys add`)."
        )
    path = Path(row.key_path)
    try:
        stamp = (str(path), path.stat().st_mtime)
        if stamp not in _loaded:
            _loaded[stamp] = signing.load_private_key(
                path, get_settings().exchange_key_passphrase or None
            )
    except (OSError, ValueError, TypeError) as exc:
        raise Conflict(f"The signing key's file {path} cannot be read: {exc}") from None
    return Signer(row.fingerprint, _loaded[stamp])


# Partners -------------------------------------------------------------------------------------


def register_partner(
    session: Session, *, country: str, name: str, endpoint: str, actor: str
) -> Partner:
    """Register a partner single window, or update its name and endpoint."""
    if not endpoint.startswith(("http://", "https://")):
        raise InvalidInput(
            "The endpoint is not a web address.",
            [FieldError("/endpoint", "starts with http:// or https://")],
        )
    if country == get_settings().country:
        raise InvalidInput(
            "A partner is another country's single window.",
            [FieldError("/country", f"is our own country {country}")],
        )
    partner = session.scalar(select(Partner).where(Partner.country == country))
    if partner is None:
        partner = Partner(
            country=country,
            name=name,
            endpoint=endpoint.rstrip("/"),
            active=True,
            added_by=actor,
            added_at=utcnow(),
        )
        session.add(partner)
        session.flush()
    else:
        partner.name, partner.endpoint = name, endpoint.rstrip("/")
    audit.record(
        session,
        actor=actor,
        action="exchange.partner_registered",
        subject_type="exchange_partner",
        subject_id=partner.id,
        data={"country": country, "name": name, "endpoint": endpoint},
    )
    return partner


def partner(session: Session, country: str) -> Partner | None:
    return session.scalar(select(Partner).where(Partner.country == country))


def get_partner(session: Session, country: str) -> Partner:
    found = partner(session, country)
    if found is None:
        raise NotFound(f"{country} is not a registered partner.")
    return found


def partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.country)))


def partner_countries(session: Session) -> set[str]:
    """The countries whose single windows we exchange with."""
    return set(session.scalars(select(Partner.country).where(Partner.active.is_(True))))


def pin_certificate(
    session: Session, country: str, certificate_pem: str, *, actor: str
) -> PartnerCertificate:
    """Pin a certificate for a partner (its new key, say): messages it signs are the partner's
    from now on, beside its other valid certificates. Pinning it again changes nothing."""
    owner = get_partner(session, country)
    cert = _certificate(certificate_pem, "/certificate")
    print_ = signing.fingerprint(cert)
    found = session.scalar(
        select(PartnerCertificate).where(PartnerCertificate.fingerprint == print_)
    )
    if found is not None:
        if found.partner_id != owner.id:
            raise Conflict("This certificate is pinned for another partner.")
        return found
    if cert.not_valid_after_utc <= utcnow():
        raise InvalidInput(
            "The certificate has expired.",
            [FieldError("/certificate", f"expired on {cert.not_valid_after_utc:%Y-%m-%d}")],
        )
    pinned = PartnerCertificate(
        partner_id=owner.id,
        fingerprint=print_,
        certificate_pem=certificate_pem,
        subject=cert.subject.rfc4514_string()[:300],
        valid_from=cert.not_valid_before_utc,
        valid_to=cert.not_valid_after_utc,
        added_by=actor,
        added_at=utcnow(),
    )
    session.add(pinned)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="exchange.certificate_pinned",
        subject_type="exchange_partner",
        subject_id=owner.id,
        data={"fingerprint": print_, "valid_to": pinned.valid_to.isoformat()},
    )
    return pinned


def withdraw_certificate(
    session: Session, country: str, fingerprint: str, *, actor: str, reason: str
) -> PartnerCertificate:
    """Stop trusting one of a partner's certificates (a compromised key, the end of a
    rotation)."""
    owner = get_partner(session, country)
    found = session.scalar(
        select(PartnerCertificate).where(
            PartnerCertificate.partner_id == owner.id,
            PartnerCertificate.fingerprint == fingerprint,
        )
    )
    if found is None:
        raise NotFound(f"{country} has no certificate with the fingerprint {fingerprint}.")
    if found.withdrawn_at is None:
        found.withdrawn_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="exchange.certificate_withdrawn",
            subject_type="exchange_partner",
            subject_id=owner.id,
            reason=reason,
            data={"fingerprint": fingerprint},
        )
    return found


def certificates_of(session: Session, partner_id: int) -> list[PartnerCertificate]:
    return list(
        session.scalars(
            select(PartnerCertificate)
            .where(PartnerCertificate.partner_id == partner_id)
            .order_by(PartnerCertificate.valid_from.desc())
        )
    )


def trusted_certificate(
    session: Session, owner: Partner, fingerprint: str | None, at: datetime
) -> tuple[PartnerCertificate | None, str]:
    """The partner's pinned certificate a signature names, valid at ``at``; or None and why."""
    if not fingerprint:
        return None, "the message is not signed (no ds:Signature naming its key in ds:KeyName)"
    found = session.scalar(
        select(PartnerCertificate).where(PartnerCertificate.fingerprint == fingerprint)
    )
    if found is None:
        return None, f"the certificate {fingerprint[:16]}… is unknown: no partner pinned it"
    if found.partner_id != owner.id:
        return None, f"the certificate {fingerprint[:16]}… is not {owner.country}'s"
    if found.withdrawn_at is not None:
        return None, f"the certificate {fingerprint[:16]}… was withdrawn"
    if at < found.valid_from:
        return None, f"the certificate {fingerprint[:16]}… is not valid before {found.valid_from}"
    if at > found.valid_to:
        return None, f"the certificate {fingerprint[:16]}… expired on {found.valid_to}"
    return found, ""
