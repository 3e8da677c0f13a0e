"""Organisations, users, logins and tokens: the rules people rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from onewindow import migrations
from onewindow.db import engine_for, session_scope, utcnow
from onewindow.errors import Conflict, InvalidInput
from onewindow.parties import service
from onewindow.parties.identifiers import check_identifier, lei_checksum_ok
from onewindow.parties.models import ApiToken, UserSession
from onewindow.security import token_digest
from tests.conftest import PASSWORD, Party


@pytest.mark.parametrize(
    ("scheme", "value", "expected"),
    [
        ("EORI", "gb 1234 5678 9000", "GB123456789000"),
        ("EORI", "XI123456789000", "XI123456789000"),
        ("LEI", "529900T8BM49AURSDO55", "529900T8BM49AURSDO55"),
        ("TIN", "TW12345678", "TW12345678"),
    ],
)
def test_valid_identifiers_are_normalised(scheme: str, value: str, expected: str) -> None:
    assert check_identifier(scheme, value) == expected


@pytest.mark.parametrize(
    ("scheme", "value", "reason"),
    [
        ("EORI", "QQ123", "is not one"),
        ("EORI", "1234567", "2-letter country code"),
        ("LEI", "529900T8BM49AURSDO56", "check digits"),
        ("LEI", "SHORT", "18 letters or digits"),
        ("DUNS", "123", "unknown scheme"),
    ],
)
def test_invalid_identifiers_say_why(scheme: str, value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_identifier(scheme, value)


def test_lei_checksum_is_iso_7064() -> None:
    assert lei_checksum_ok("529900T8BM49AURSDO55")
    assert not lei_checksum_ok("529900T8BM49AURSDO57")


def test_every_error_of_an_organisation_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught, session_scope() as session:
        service.create_organisation(
            session,
            name=" ",
            identifier_scheme="EORI",
            identifier="??",
            country="XX",
            roles=["smuggler"],
        )
    pointers = {e.pointer for e in caught.value.errors}
    assert pointers == {"/name", "/identifier", "/country", "/roles/0"}


def test_an_identifier_is_registered_once(party: Party) -> None:
    with pytest.raises(Conflict), session_scope() as session:
        service.create_organisation(
            session,
            name="Copycat",
            identifier_scheme="EORI",
            identifier=party.identifier,
            country="GB",
            roles=["trader"],
        )


def _log_in(email: str, password: str) -> service.LoginOutcome:
    with session_scope() as session:
        return service.log_in(
            session, email, password, session_hours=8, max_failures=3, lockout_minutes=15
        )


def test_a_good_password_opens_a_session_that_logging_out_closes(party: Party) -> None:
    outcome = _log_in(party.email.upper(), PASSWORD)
    assert outcome.token is not None
    with session_scope() as session:
        principal = service.principal_for_session(session, outcome.token)
        assert principal is not None and principal.organisation_id == party.org_id
        service.log_out(session, outcome.token)
    with session_scope() as session:
        assert service.principal_for_session(session, outcome.token) is None


def test_repeated_failures_lock_the_account_even_for_the_right_password(party: Party) -> None:
    for _ in range(3):
        assert _log_in(party.email, "wrong password 1").refusal == "invalid"
    locked = _log_in(party.email, PASSWORD)
    assert locked.token is None and locked.refusal == "locked"
    assert locked.locked_until is not None and locked.locked_until > utcnow()


def test_an_unknown_email_is_refused_like_a_wrong_password() -> None:
    assert _log_in("nobody@example.com", PASSWORD).refusal == "invalid"


def test_an_expired_session_is_worthless(party: Party) -> None:
    outcome = _log_in(party.email, PASSWORD)
    assert outcome.token
    with session_scope() as session:
        row = session.query(UserSession).filter_by(token_digest=token_digest(outcome.token)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    with session_scope() as session:
        assert service.principal_for_session(session, outcome.token) is None


def test_passwords_are_stored_as_argon2_hashes(party: Party) -> None:
    with session_scope() as session:
        user = service.find_user(session, party.email)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_a_weak_password_is_refused(party: Party) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope() as session:
        service.create_user(
            session,
            organisation_id=party.org_id,
            email="weak@example.com",
            full_name="Weak",
            role="staff",
            password="short",
        )
    assert caught.value.errors[0].pointer == "/password"


def test_a_revoked_token_no_longer_works(party: Party) -> None:
    with session_scope() as session:
        principal = service.principal_for_token(session, party.token)
        assert principal is not None
        service.revoke_token(session, principal, party.token_id)
    with session_scope() as session:
        assert service.principal_for_token(session, party.token) is None


def test_the_upgrade_gives_tokens_without_expiry_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "20261123_0005")
    created = datetime(2025, 1, 1, tzinfo=UTC)
    with engine_for(url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (id, name, identifier_scheme, identifier, country,"
                " active, created_at) VALUES (1, 'Old', 'EORI', 'GB1', 'GB', 1, :at)"
            ),
            {"at": created},
        )
        connection.execute(
            text(
                "INSERT INTO api_token (name, organisation_id, token_digest, prefix, scopes,"
                " created_at, expires_at) VALUES ('forever', 1, 'd1', 'ow_1', '[]', :at, NULL)"
            ),
            {"at": created},
        )
    migrations.upgrade(url)
    with session_scope(url) as session:
        [token] = session.scalars(select(ApiToken)).all()
        left = token.expires_at - utcnow()
    assert timedelta(days=89) < left <= timedelta(days=90)
    engine_for(url).dispose()


@pytest.mark.parametrize("days", [None, 0, 366])
def test_the_service_never_issues_a_token_without_expiry(party: Party, days: int | None) -> None:
    with pytest.raises(InvalidInput) as caught, session_scope() as session:
        principal = service.principal_for_token(session, party.token)
        assert principal is not None
        service.issue_token(
            session,
            principal,
            name="forever",
            scopes=["organisation:read"],
            expires_in_days=days,  # type: ignore[arg-type]
        )
    assert [e.pointer for e in caught.value.errors] == ["/expires_in_days"]
