"""``onewindow permits ...``: load agencies' procedures and requirement rules from data, and
announce company documents about to expire."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from onewindow.db import session_scope
from onewindow.errors import DomainError
from onewindow.permits import service as permits

app = typer.Typer(help="Permits: procedures and requirements as data.")


@app.command("load")
def load(
    folder: Annotated[
        Path | None,
        typer.Argument(help="a folder of procedure JSON files (default: the shipped ones)"),
    ] = None,
) -> None:
    """Load every procedure of the folder (a new version is added; one already loaded with the
    same content changes nothing)."""
    try:
        with session_scope() as session:
            added = permits.load_directory(session, folder, actor="cli")
    except DomainError as exc:
        details = "; ".join(f"{e.pointer}: {e.detail}" for e in exc.errors)
        typer.echo(f"{exc.detail} {details}".strip(), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{added} new procedure version(s) loaded")


@app.command("announce-expiring")
def announce_expiring(
    days: Annotated[int, typer.Option(help="how far ahead to look, in days")] = 30,
) -> None:
    """Tell each company once of its verified documents that expire within the days given."""
    with session_scope() as session:
        told = permits.announce_expiring(session, days)
    typer.echo(f"{told} company document(s) announced")
