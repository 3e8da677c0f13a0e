"""``onewindow declarations ...``: lodge WCO Data Model files from the shell."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from onewindow.clearance import service as clearance
from onewindow.db import session_scope
from onewindow.declarations import service as declarations
from onewindow.errors import DomainError
from onewindow.formats import service as formats
from onewindow.formats.wco import WcoRefusal
from onewindow.parties import service as parties

app = typer.Typer(help="Goods declarations.")


def _reasons(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        parts = [f"{e.pointer} {e.detail}" for e in exc.errors[:10]] or [exc.detail]
        return "; ".join(parts)
    return str(exc)


@app.command("import-wco")
def import_wco(
    files: Annotated[list[Path], typer.Argument(help="WCO Data Model 3.6 DEC files")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="map and check only; lodge nothing")
    ] = False,
    as_user: Annotated[
        str | None, typer.Option("--as", help="e-mail of the user who lodges (not for a dry run)")
    ] = None,
) -> None:
    """Lodge each file; print ``FILE: accepted NUMBER`` or ``FILE: rejected: REASONS``.

    With --dry-run, check the schema, the mapping, code lists, the nomenclature to six digits
    and the business rules, printing ``FILE: ok`` or ``FILE: rejected: REASONS``.
    """
    if not dry_run and not as_user:
        typer.echo("Say who lodges with --as EMAIL, or use --dry-run.", err=True)
        raise typer.Exit(2)
    failures = 0
    for path in files:
        try:
            body = formats.declaration_from_wco(path.read_bytes())
        except (DomainError, WcoRefusal, OSError) as exc:
            typer.echo(f"{path}: rejected: {_reasons(exc)}")
            failures += 1
            continue
        with session_scope() as session:
            if dry_run:
                errors = declarations.check_declaration(session, body, date.today())
                if errors:
                    failures += 1
                    shown = "; ".join(f"{e.pointer} {e.detail}" for e in errors[:10])
                    typer.echo(f"{path}: rejected: {shown}")
                else:
                    typer.echo(f"{path}: ok")
                continue
            user = parties.find_user(session, as_user or "")
            if user is None:
                typer.echo(f"No user {as_user}.", err=True)
                raise typer.Exit(2)
            principal = parties.principal_for_user(user, "cli")
            try:
                lodgement = clearance.lodge(session, principal, body)
            except DomainError as exc:
                typer.echo(f"{path}: rejected: {_reasons(exc)}")
                failures += 1
                continue
            declaration = lodgement.declaration
            if declaration.number:
                typer.echo(f"{path}: accepted {declaration.number}")
            else:
                failures += 1
                shown = "; ".join(f"{e['pointer']} {e['detail']}" for e in declaration.errors[:10])
                typer.echo(f"{path}: rejected: {shown}")
    if failures:
        raise typer.Exit(1)
