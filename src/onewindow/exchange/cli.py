"""``onewindow exchange ...``: our signing keys (make, add, use, list) and partner single
windows (add, pin a certificate, list), and one delivery round of the outbox."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from onewindow.config import get_settings
from onewindow.db import session_scope
from onewindow.errors import DomainError
from onewindow.exchange import service, signing

app = typer.Typer(help="Partner gateway: keys, partners, signed messages.")
keys_app = typer.Typer(help="Our signing keys (private keys stay in files).")
partners_app = typer.Typer(help="Partner single windows and their pinned certificates.")
app.add_typer(keys_app, name="keys")
app.add_typer(partners_app, name="partners")

ACTOR = "cli"


def _refused(exc: DomainError) -> typer.Exit:
    details = "; ".join(f"{e.pointer}: {e.detail}" for e in exc.errors)
    typer.echo(f"{exc.detail} {details}".strip(), err=True)
    return typer.Exit(1)


@keys_app.command("make")
def make_key(
    folder: Annotated[Path, typer.Argument(help="where to write KEY.pem and KEY.crt")],
    days: Annotated[int, typer.Option(help="how long the certificate is valid")] = 365,
    algorithm: Annotated[str, typer.Option(help="ec (ECDSA P-256) or rsa (RSA 2048)")] = "ec",
    use: Annotated[bool, typer.Option(help="sign with it from now on")] = True,
) -> None:
    """Make a key pair and a self-signed certificate (a demo or test instance), and register
    it. Give the printed certificate file to partners."""
    settings = get_settings()
    pair = signing.make_key_pair(
        settings.country, f"{settings.country} single window", days=days, algorithm=algorithm
    )
    folder.mkdir(parents=True, exist_ok=True)
    name = signing.fingerprint(signing.certificate(pair.certificate_pem))[:16]
    key_path, cert_path = folder / f"{name}.pem", folder / f"{name}.crt"
    with os.fdopen(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(pair.private_pem)
    cert_path.write_bytes(pair.certificate_pem)
    try:
        with session_scope() as session:
            key = service.add_signing_key(
                session, pair.certificate_pem.decode(), key_path, actor=ACTOR, signing_now=use
            )
    except DomainError as exc:
        raise _refused(exc) from None
    typer.echo(f"key {key.fingerprint}\ncertificate {cert_path}")


@keys_app.command("add")
def add_key(
    certificate: Annotated[Path, typer.Argument(help="the PEM certificate")],
    key: Annotated[Path, typer.Argument(help="the PEM private key file (stays a file)")],
    use: Annotated[bool, typer.Option(help="sign with it from now on")] = False,
) -> None:
    """Register a key of ours made elsewhere (a rotation: add it, give partners its
    certificate, then `keys use` it)."""
    try:
        with session_scope() as session:
            row = service.add_signing_key(
                session, certificate.read_text(), key, actor=ACTOR, signing_now=use
            )
    except DomainError as exc:
        raise _refused(exc) from None
    typer.echo(f"key {row.fingerprint}{' (signing)' if row.signing else ''}")


@keys_app.command("use")
def use_key(fingerprint: Annotated[str, typer.Argument()]) -> None:
    """Sign with this key from now on (the others stay valid until they expire)."""
    try:
        with session_scope() as session:
            service.use_signing_key(session, fingerprint, actor=ACTOR)
    except DomainError as exc:
        raise _refused(exc) from None
    typer.echo(f"signing with {fingerprint}")


@keys_app.command("list")
def list_keys() -> None:
    """Our keys: fingerprint, validity, which one signs."""
    with session_scope() as session:
        for k in service.key_views(session):
            mark = " signing" if k.signing else ""
            valid = f"{k.valid_from:%Y-%m-%d}..{k.valid_to:%Y-%m-%d}"
            typer.echo(f"{k.fingerprint} {k.algorithm} {valid}{mark}")


@partners_app.command("add")
def add_partner(
    country: Annotated[str, typer.Argument(help="the partner's country, e.g. FR")],
    endpoint: Annotated[str, typer.Argument(help="its single window's address")],
    certificate: Annotated[list[Path], typer.Option(help="a PEM certificate to pin")] = [],  # noqa: B006
    name: Annotated[str | None, typer.Option(help="its name")] = None,
) -> None:
    """Register a partner single window and pin its certificates."""
    try:
        with session_scope() as session:
            service.register_partner(
                session,
                country=country.upper(),
                name=name or f"{country.upper()} single window",
                endpoint=endpoint,
                actor=ACTOR,
            )
            for path in certificate:
                service.pin_certificate(session, country.upper(), path.read_text(), actor=ACTOR)
    except DomainError as exc:
        raise _refused(exc) from None
    typer.echo(f"partner {country.upper()} at {endpoint}, {len(certificate)} certificate(s) pinned")


@partners_app.command("pin")
def pin(
    country: Annotated[str, typer.Argument()],
    certificate: Annotated[Path, typer.Argument(help="the partner's PEM certificate")],
) -> None:
    """Pin another certificate of a partner (its next key)."""
    try:
        with session_scope() as session:
            row = service.pin_certificate(
                session, country.upper(), certificate.read_text(), actor=ACTOR
            )
    except DomainError as exc:
        raise _refused(exc) from None
    typer.echo(f"pinned {row.fingerprint} for {country.upper()}")


@partners_app.command("list")
def list_partners() -> None:
    """Partners, their addresses and pinned certificates."""
    with session_scope() as session:
        for p in service.partners(session):
            view = service.partner_view(session, p)
            typer.echo(f"{view.country} {view.name} {view.endpoint}")
            for c in view.certificates:
                state = "valid" if c.valid_now else "not valid now"
                typer.echo(f"  {c.fingerprint} to {c.valid_to:%Y-%m-%d} ({state})")


@app.command("deliver")
def deliver() -> None:
    """Send the due outbox messages once (the worker does it continuously)."""
    typer.echo(f"{service.deliver_due()} message(s) acknowledged")
