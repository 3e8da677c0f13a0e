"""``onewindow parties issue-token``: every token made from the shell expires too."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from onewindow.cli import app as cli
from onewindow.db import session_scope, utcnow
from onewindow.parties.models import ApiToken
from onewindow.security import token_digest
from tests.conftest import Party


def _issue(party: Party, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [
            "parties",
            "issue-token",
            "--email",
            party.email,
            "--name",
            "shell",
            "--scope",
            "organisation:read",
            *extra,
        ],
    )
    return result.exit_code, result.stdout


def _expiry_of(secret: str) -> timedelta:
    with session_scope() as session:
        token = session.scalar(
            select(ApiToken).where(ApiToken.token_digest == token_digest(secret))
        )
        assert token is not None
        return token.expires_at - utcnow()


def test_a_token_from_the_shell_expires_in_90_days_by_default(party: Party) -> None:
    code, out = _issue(party)
    assert code == 0, out
    assert (
        timedelta(days=89, hours=23) < _expiry_of(out.strip().splitlines()[0]) <= timedelta(days=90)
    )


def test_the_shell_sets_a_shorter_expiry_and_refuses_more_than_a_year(party: Party) -> None:
    code, out = _issue(party, "--expires-in-days", "7")
    assert code == 0, out
    assert timedelta(days=6) < _expiry_of(out.strip().splitlines()[0]) <= timedelta(days=7)
    refused, _ = _issue(party, "--expires-in-days", "366")
    assert refused == 2
