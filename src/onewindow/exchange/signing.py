"""Keys, certificates and XML digital signatures (enveloped, RSA-SHA256 or ECDSA-SHA256).

Pure functions over bytes and lxml elements: no session, no web. A signature names its key in
``ds:KeyInfo/ds:KeyName`` by the SHA-256 fingerprint of the signer's certificate, so a receiver
that pins several certificates of one partner (rotation) knows which one to check against.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration

DS = "http://www.w3.org/2000/09/xmldsig#"
ALGORITHMS = {"ec": SignatureMethod.ECDSA_SHA256, "rsa": SignatureMethod.RSA_SHA256}
_ACCEPTED = frozenset(ALGORITHMS.values())


class SignatureRefused(Exception):
    """The signature is missing, malformed, or does not verify with the named certificate."""


@dataclass(frozen=True)
class KeyPair:
    """A private key (PEM, kept in a file, never in the database) and its certificate (PEM)."""

    private_pem: bytes
    certificate_pem: bytes


def make_key_pair(
    country: str,
    name: str,
    *,
    days: int = 365,
    algorithm: str = "ec",
    start: datetime | None = None,
) -> KeyPair:
    """A new key and a self-signed certificate naming the single window of ``country``.

    >>> pair = make_key_pair("GB", "GB single window", days=30)
    >>> certificate(pair.certificate_pem).subject.rfc4514_string()
    'CN=GB single window,O=onewindow,C=GB'
    """
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}: ec or rsa")
    start = start or datetime.now(UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "onewindow"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def certificate(pem: bytes | str) -> x509.Certificate:
    """Read a PEM certificate (ValueError when it is not one)."""
    data = pem.encode() if isinstance(pem, str) else pem
    return x509.load_pem_x509_certificate(data)


def fingerprint(cert: x509.Certificate) -> str:
    """The certificate's SHA-256 fingerprint, lower-case hex: how a signature names its key."""
    return cert.fingerprint(hashes.SHA256()).hex()


def load_private_key(path: Path, passphrase: str | None = None) -> PrivateKeyTypes:
    """The private key in the PEM file at ``path`` (encrypted with ``passphrase`` if given)."""
    return serialization.load_pem_private_key(
        path.read_bytes(), passphrase.encode() if passphrase else None
    )


def algorithm_of(key: PrivateKeyTypes) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ec"
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa"
    raise ValueError("only EC (P-256) and RSA keys sign partner messages")


def sign(root: etree._Element, key: PrivateKeyTypes, key_name: str) -> bytes:
    """Sign ``root`` as an enveloped signature naming ``key_name``; return the signed bytes."""
    signer = XMLSigner(
        signature_algorithm=ALGORITHMS[algorithm_of(key)],
        digest_algorithm=DigestAlgorithm.SHA256,
    )
    signer.namespaces = {"ds": DS}
    assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    signed = signer.sign(root, key=key, key_name=key_name)
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def key_name(root: etree._Element) -> str | None:
    """The key a signed document names (its certificate's fingerprint), if it names one."""
    found = root.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{DS}}}KeyName")
    return (found.text or "").strip().lower() if found is not None else None


def verify(data: bytes, cert: x509.Certificate, at: datetime) -> etree._Element:
    """Check the enveloped signature of ``data`` with ``cert`` as on ``at``; return what it
    signed (the document without its signature), which is all a receiver may read.

    Raises :class:`SignatureRefused` with the reason.
    """
    config = SignatureConfiguration(
        require_x509=True,
        location="./",
        signature_methods=_ACCEPTED,
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
        verification_time=at,
    )
    try:
        result = XMLVerifier().verify(data, x509_cert=cert, expect_config=config)
    except (InvalidSignature, InvalidDigest) as exc:
        raise SignatureRefused(
            f"the signature does not verify (altered in transit?): {exc}"
        ) from None
    except InvalidCertificate as exc:
        raise SignatureRefused(f"the certificate is not valid: {exc}") from None
    except (InvalidInput, etree.XMLSyntaxError, ValueError) as exc:
        raise SignatureRefused(f"the signature cannot be read: {exc}") from None
    signed = result.signed_xml  # type: ignore[union-attr]
    if signed is None:
        raise SignatureRefused("the signature covers nothing")
    return signed


def digest(data: bytes) -> str:
    """SHA-256 of a message's bytes, hex: what an acknowledgement names."""
    return hashlib.sha256(data).hexdigest()
