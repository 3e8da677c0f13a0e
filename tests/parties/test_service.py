"""Organisations, users, logins and tokens: the rules people rely on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from onewindow import migrations
from onewindow.db import engine_for, session_scope, utcnow
from onewindow.errors import Conflict, InvalidInput
from onewindow.parties import service
from onewindow.parties.identifiers import check_identifier, lei_checksum_ok
from onewindow.parties.models import ApiToken, LoginFailure, UserSession
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


LIMITS = service.LoginLimits(max_failures=3, max_source_failures=6, window=timedelta(minutes=15))


def _source() -> str:
    """A client address of its own, so that no other test's failures count against it."""
    return f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"


def _log_in(email: str, password: str, client: str = "192.0.2.1") -> service.LoginOutcome:
    with session_scope() as session:
        return service.log_in(
            session, email, password, client=client, session_hours=8, limits=LIMITS
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


def test_a_source_that_failed_too_often_is_refused_but_another_logs_in(party: Party) -> None:
    attacker, owner = _source(), _source()
    for _ in range(3):
        assert _log_in(party.email, "wrong password 1", attacker).refusal == "invalid"
    throttled = _log_in(party.email, PASSWORD, attacker)
    assert throttled.token is None and throttled.refusal == "throttled"
    assert 14 * 60 < throttled.retry_after_s <= 15 * 60
    assert _log_in(party.email, PASSWORD, owner).token is not None


def test_an_unknown_email_is_counted_and_refused_exactly_like_a_known_one(party: Party) -> None:
    source = _source()
    outcomes = {}
    for email in (party.email, "nobody-" + party.email):
        tries = [_log_in(email, "wrong password 1", source) for _ in range(4)]
        outcomes[email] = [(o.refusal, o.retry_after_s > 0) for o in tries]
    known, unknown = outcomes.values()
    assert known == unknown == [("invalid", False)] * 3 + [("throttled", True)]


def test_one_source_trying_many_emails_is_refused_for_all(party: Party) -> None:
    source = _source()
    for n in range(6):
        assert _log_in(f"guess-{n}@example.com", "wrong password 1", source).refusal == "invalid"
    assert _log_in(party.email, PASSWORD, source).refusal == "throttled"
    assert _log_in(party.email, PASSWORD, _source()).token is not None


def test_failures_leave_the_window_and_old_rows_are_pruned(party: Party) -> None:
    source = _source()
    for _ in range(3):
        _log_in(party.email, "wrong password 1", source)
    with session_scope() as session:
        for row in session.scalars(select(LoginFailure).where(LoginFailure.source == source)):
            row.failed_at -= timedelta(minutes=16)
    assert _log_in(party.email, "wrong password 1", source).refusal == "invalid"
    with session_scope() as session:
        left = session.scalars(select(LoginFailure).where(LoginFailure.source == source)).all()
    assert len(left) == 1
    assert _log_in(party.email, PASSWORD, source).token is not None


def test_the_source_of_an_ipv6_client_is_its_64() -> None:
    assert service.login_source("2001:db8:5:6:1::9") == service.login_source("2001:db8:5:6:ff::1")
    assert service.login_source("::ffff:203.0.113.5") == "203.0.113.5"


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
