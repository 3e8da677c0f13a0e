"""``onewindow cargo ...``: lodge entry summary declarations from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from onewindow.cargo import service as cargo
from onewindow.db import session_scope
from onewindow.errors import DomainError
from onewindow.parties import service as parties

app = typer.Typer(help="Cargo: entry summary declarations.")


def _line(path: Path, accepted: bool, errors: list[dict[str, str]], number: str | None) -> str:
    if accepted:
        return f"{path}: accepted {number}" if number else f"{path}: ok"
    shown = "; ".join(f"{e['code']} {e['location']}: {e['text']}" for e in errors[:10])
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    return f"{path}: rejected: {shown}{more}"


@app.command("import-ens")
def import_ens(
    files: Annotated[list[Path], typer.Argument(help="ICS CC315A entry summary XML files")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check the schema and the rules; lodge nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
    as_user: Annotated[
        str | None, typer.Option("--as", help="e-mail of the carrier's user who lodges")
    ] = None,
) -> None:
    """Check (and lodge) each file; one line a file: ``FILE: ok``, ``FILE: accepted MRN`` or
    ``FILE: rejected: CODE XPATH: TEXT; ...``. With --json: ``{"file", "accepted", "errors"}``."""
    if not dry_run and not as_user:
        typer.echo("Say who lodges with --as EMAIL, or use --dry-run.", err=True)
        raise typer.Exit(2)
    failures = 0
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            accepted, errors, number = (
                False,
                [{"code": "file", "location": "", "text": str(exc)}],
                None,
            )
        else:
            accepted, errors, number = _one(data, dry_run, as_user or "")
        failures += not accepted
        if as_json:
            typer.echo(json.dumps({"file": str(path), "accepted": accepted, "errors": errors}))
        else:
            typer.echo(_line(path, accepted, errors, number))
    raise typer.Exit(1 if failures else 0)


def _one(data: bytes, dry_run: bool, email: str) -> tuple[bool, list[dict[str, str]], str | None]:
    if dry_run:
        result = cargo.check(data)
        errors = [{"code": e.code, "location": e.location, "text": e.text} for e in result.errors]
        return result.accepted, errors, None
    with session_scope() as session:
        user = parties.find_user(session, email)
        if user is None:
            typer.echo(f"No user {email}.", err=True)
            raise typer.Exit(2)
        try:
            row = cargo.lodge_entry_summary(session, parties.principal_for_user(user, "cli"), data)
        except DomainError as exc:
            return False, [{"code": "refused", "location": "", "text": exc.detail}], None
        return row.accepted, list(row.errors), row.number
