"""Builders for the partner gateway's tests: our key, partners with keys of their own, and
messages a partner signs."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from lxml import etree

from onewindow.db import session_scope, utcnow
from onewindow.exchange import envelope, service, signing

KEYS = Path(tempfile.mkdtemp(prefix="onewindow-exchange-keys-"))


@cache
def our_key() -> str:
    """Our signing key (made once per run); its fingerprint."""
    pair = signing.make_key_pair("GB", "GB single window (test)")
    path = KEYS / f"ours-{uuid.uuid4().hex[:8]}.pem"
    path.write_bytes(pair.private_pem)
    with session_scope() as session:
        row = service.add_signing_key(
            session, pair.certificate_pem.decode(), path, actor="test", signing_now=True
        )
        return row.fingerprint


def our_certificate() -> signing.x509.Certificate:
    our_key()
    with session_scope() as session:
        keys = {k.fingerprint: k for k in service.signing_keys(session)}
        return signing.certificate(keys[our_key()].certificate_pem)


@dataclass(frozen=True)
class PartnerKey:
    country: str
    key: PrivateKeyTypes
    fingerprint: str
    certificate_pem: str


def partner_key(country: str, *, days: int = 30, start: datetime | None = None) -> PartnerKey:
    pair = signing.make_key_pair(country, f"{country} single window", days=days, start=start)
    key = serialization.load_pem_private_key(pair.private_pem, None)
    cert = signing.certificate(pair.certificate_pem)
    return PartnerKey(country, key, signing.fingerprint(cert), pair.certificate_pem.decode())


def partner(country: str, endpoint: str = "http://127.0.0.1:9") -> PartnerKey:
    """Register ``country`` as a partner (again: its address changes) with a fresh key pinned."""
    our_key()
    made = partner_key(country)
    with session_scope() as session:
        service.register_partner(
            session, country=country, name=f"{country} single window", endpoint=endpoint, actor="t"
        )
        service.pin_certificate(session, country, made.certificate_pem, actor="test")
    return made


def certificate_body(number: str, *, origin: str, hs: str = "6109100010") -> etree._Element:
    return service.certificate_of_origin(
        {
            "number": number,
            "issue_date": utcnow().date().isoformat(),
            "issuing_country": origin,
            "issuing_authority": f"{origin} Chamber of Commerce",
            "exporter": {"name": "Harbour Knits"},
            "destination_country": "GB",
            "criterion": "PE",
            "goods": [{"hs_code": hs, "description": "Cotton T-shirts", "origin": origin}],
        }
    )


def signed(
    by: PartnerKey,
    message_type: str,
    body: etree._Element,
    *,
    message_id: str | None = None,
    created: datetime | None = None,
    receiver: str = "GB",
    sender: str | None = None,
) -> bytes:
    """A message the partner signs with its key."""
    root = envelope.build_message(
        message_id or str(uuid.uuid4()),
        message_type,
        sender or by.country,
        receiver,
        created or utcnow(),
        body,
    )
    return signing.sign(root, by.key, by.fingerprint)
