"""Test set-up: one database per run (SQLite by default, PostgreSQL when
ONEWINDOW_TEST_DATABASE_URL names one), migrated with Alembic and loaded with reference data.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_tmp = Path(tempfile.mkdtemp(prefix="onewindow-test-"))
DATABASE_URL = os.environ.get("ONEWINDOW_TEST_DATABASE_URL") or f"sqlite:///{_tmp / 'test.db'}"
os.environ["ONEWINDOW_DATABASE_URL"] = DATABASE_URL
os.environ["ONEWINDOW_SECRET_KEY"] = "test-secret-key-that-is-long-enough-0123456789"
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")
# Audit checkpoints go to the run's temporary folder, never into the checkout.
os.environ["ONEWINDOW_AUDIT_CHECKPOINT_FILE"] = str(_tmp / "audit-checkpoints.jsonl")
# The statistics store too.
os.environ["ONEWINDOW_STATISTICS_DIR"] = str(_tmp / "statistics")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from onewindow import migrations  # noqa: E402
from onewindow.app import create_app  # noqa: E402
from onewindow.config import get_settings  # noqa: E402
from onewindow.db import engine_for, session_scope  # noqa: E402
from onewindow.demo import load_demo_tariff  # noqa: E402
from onewindow.parties import service as parties  # noqa: E402
from onewindow.reference import service as reference  # noqa: E402

get_settings.cache_clear()
TEST_COUNTRIES = {"GB", "TW", "SG", "KR", "US", "NL", "AD"}
PASSWORD = "correct-horse-battery-9"


def require_data(present: bool, what: str) -> None:
    """A test that reads shared data: skipped, saying why, on a machine without it; in CI
    (``CI`` set) a failure, so that a missing data set never passes for a green run."""
    if present:
        return
    message = f"{what} is missing (set ONEWINDOW_DATA_DIR, or lay ../shared beside the checkout)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _reset(url: str) -> None:
    if url.startswith("postgresql"):
        with engine_for(url).begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[str]:
    """A migrated database with the reference data loaded (UN/LOCODE for a few countries)."""
    _reset(DATABASE_URL)
    migrations.upgrade(DATABASE_URL)
    if os.environ.get("ONEWINDOW_TEST_CREATE_ALL"):
        # Work in progress only: tables whose migration is not written yet.
        from onewindow.models import metadata

        metadata.create_all(engine_for(DATABASE_URL))
    data_dir = get_settings().data_dir
    with session_scope() as session:
        reference.load_hs(session, data_dir)
        reference.load_countries(session)
        reference.load_currencies(session)
        reference.load_code_lists(session)
        reference.load_locations(session, data_dir, countries=TEST_COUNTRIES)
    with session_scope() as session:
        load_demo_tariff(session, data_dir)
    yield DATABASE_URL
    engine_for(DATABASE_URL).dispose()


@pytest.fixture(autouse=True)
def no_random_selection() -> Iterator[None]:
    """No random risk selection: a plain declaration flows straight on (risk tests turn it on)."""
    from onewindow.risk import service as risk

    previous = risk.set_rates(random_rate=0.0)
    yield
    risk.set_rates(**previous.__dict__)


@pytest.fixture(scope="session")
def app(database: str):  # type: ignore[no-untyped-def]
    return create_app(run_worker=False)


@pytest.fixture()
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Party:
    """An organisation of the test with an admin user and a bearer token holding every scope."""

    org_id: int
    name: str
    identifier: str
    email: str
    user_id: int
    token: str
    token_id: int

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_party(roles: tuple[str, ...] = ("trader",), user_role: str = "admin") -> Party:
    """Register a fresh organisation with one user and a token (unique names every call)."""
    tag = uuid.uuid4().hex[:10].upper()
    with session_scope() as session:
        org = parties.create_organisation(
            session,
            name=f"Test Org {tag}",
            identifier_scheme="EORI",
            identifier=f"GB{tag}",
            country="GB",
            roles=roles,
        )
        user = parties.create_user(
            session,
            organisation_id=org.id,
            email=f"user-{tag.lower()}@example.com",
            full_name=f"User {tag}",
            role=user_role,
            password=PASSWORD,
        )
        principal = parties.principal_for_user(user, "test")
        token, secret = parties.issue_token(
            session, principal, name="test", scopes=sorted(principal.scopes)
        )
        return Party(org.id, org.name, org.identifier, user.email, user.id, secret, token.id)


@pytest.fixture()
def party() -> Party:
    return make_party()


@pytest.fixture()
def other_party() -> Party:
    return make_party()


@pytest.fixture()
def customs() -> Party:
    return make_party(("customs-office",), user_role="staff")


@pytest.fixture()
def administrator() -> Party:
    return make_party(("administrator",))


@dataclass(frozen=True)
class Operation:
    """One API operation as the OpenAPI document describes it."""

    method: str
    path: str
    has_body: bool
    path_params: tuple[str, ...]


def api_operations(app) -> list[Operation]:  # type: ignore[no-untyped-def]
    """Every operation under /api/, read from the app's OpenAPI document."""
    found = []
    for path, item in app.openapi()["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            params = tuple(
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"
            )
            found.append(Operation(method.upper(), path, "requestBody" in operation, params))
    return found


def register_media_types() -> None:
    """Bodies the API reads itself, for requests generated from the OpenAPI document: UN/EDIFACT
    interchanges are generated as bytes (most are refused, as they should be)."""
    import schemathesis
    from hypothesis import strategies as st

    schemathesis.openapi.media_type("application/edifact", st.binary(max_size=2048))
