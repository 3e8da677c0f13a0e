"""``onewindow parties ...``: register organisations, users and API tokens from the shell."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from onewindow.db import session_scope
from onewindow.errors import DomainError
from onewindow.parties import service

app = typer.Typer(help="Organisations, users and API tokens.")
console = Console()


def _fail(exc: DomainError) -> None:
    console.print(f"[red]{exc.detail}[/red]")
    for error in exc.errors:
        console.print(f"  {error.pointer}: {error.detail}")
    raise typer.Exit(2)


@app.command("add-organisation")
def add_organisation(
    name: str,
    scheme: Annotated[str, typer.Option(help="EORI, LEI or TIN")],
    identifier: str = typer.Option(...),
    country: str = typer.Option(...),
    role: Annotated[list[str], typer.Option(help="a role; repeat for several")] = [],  # noqa: B006
) -> None:
    """Register an organisation."""
    try:
        with session_scope() as session:
            org = service.create_organisation(
                session,
                name=name,
                identifier_scheme=scheme,
                identifier=identifier,
                country=country,
                roles=role,
                actor="cli",
            )
            console.print(
                f"organisation {org.id}: {org.name} ({org.identifier_scheme} {org.identifier})"
            )
    except DomainError as exc:
        _fail(exc)


@app.command("add-user")
def add_user(
    email: str,
    organisation_id: Annotated[int, typer.Option("--organisation")],
    full_name: Annotated[str, typer.Option("--name")],
    role: Annotated[str, typer.Option(help="admin, staff or viewer")] = "staff",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)] = "",
) -> None:
    """Add a user to an organisation."""
    try:
        with session_scope() as session:
            user = service.create_user(
                session,
                organisation_id=organisation_id,
                email=email,
                full_name=full_name,
                role=role,
                password=password,
                actor="cli",
            )
            console.print(f"user {user.id}: {user.email}")
    except DomainError as exc:
        _fail(exc)


@app.command("issue-token")
def issue_token(
    email: Annotated[str, typer.Option(help="the user the token is issued by")],
    name: Annotated[str, typer.Option(help="what the token is for")],
    scope: Annotated[list[str], typer.Option(help="a scope; repeat for several")] = [],  # noqa: B006
    expires_in_days: Annotated[
        int,
        typer.Option(
            min=1,
            max=service.TOKEN_DAYS_MAX,
            help=f"days until the token stops working (at most {service.TOKEN_DAYS_MAX})",
        ),
    ] = service.TOKEN_DAYS_DEFAULT,
) -> None:
    """Issue a bearer token on behalf of a user; prints the secret once; it expires."""
    try:
        with session_scope() as session:
            user = service.find_user(session, email)
            if user is None:
                console.print(f"[red]No user {email}.[/red]")
                raise typer.Exit(2)
            principal = service.principal_for_user(user, "cli")
            token, secret = service.issue_token(
                session, principal, name=name, scopes=scope, expires_in_days=expires_in_days
            )
            print(secret)
            typer.echo(f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC", err=True)
    except DomainError as exc:
        _fail(exc)
