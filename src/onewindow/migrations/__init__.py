"""Alembic migrations, run from code: ``onewindow init`` upgrades the database to the head."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the database at ``url`` (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``."""
    command.upgrade(alembic_config(url), revision)


@lru_cache(maxsize=1)
def head() -> str | None:
    """The newest migration the code knows (read once per process)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def revisions(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's current migration, the code's head migration)."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head()
