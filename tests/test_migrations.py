"""The schema is made by migrations only, and they match the models."""

from __future__ import annotations

from alembic import command

from onewindow import migrations
from onewindow.config import get_settings
from onewindow.db import engine_for, session_scope
from onewindow.reference import service as reference


def test_models_and_migrations_agree(database: str) -> None:
    # Fails when a model changed without a migration (alembic check).
    command.check(migrations.alembic_config(database))


def test_the_database_is_at_the_head_migration(database: str) -> None:
    current, head = migrations.revisions(engine_for(database))
    assert current == head is not None


def test_upgrading_and_reloading_again_changes_nothing(database: str) -> None:
    migrations.upgrade(database)
    with session_scope() as session:
        hs = reference.load_hs(session, get_settings().data_dir)
        countries = reference.load_countries(session)
    assert hs.skipped and hs.rows == 6939
    assert countries.skipped and countries.rows >= 249
