"""The AEO migration: authorisations set by hand on organisations become certificates
"recorded by hand" (an ended one expired), and going back puts them on the organisations."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from onewindow.migrations import alembic_config

BEFORE = "20261202_0012"


def test_hand_set_statuses_become_certificates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'aeo.db'}"
    config = alembic_config(url)
    command.upgrade(config, BEFORE)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO organisation (name, identifier_scheme, identifier, country, active,"
                " created_at, aeo_status, aeo_valid_until) VALUES"
                " ('Full', 'EORI', 'GB1', 'GB', 1, '2026-01-01 00:00:00.000000', 'AEO-F',"
                " '2099-01-01'),"
                " ('Ended', 'EORI', 'GB2', 'GB', 1, '2026-01-01 00:00:00.000000', 'AEO-S',"
                " '2020-01-01'),"
                " ('None', 'EORI', 'GB3', 'GB', 1, '2026-01-01 00:00:00.000000', NULL, NULL)"
            )
        )
    command.upgrade(config, "head")
    with engine.begin() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT number, tier, status, valid_until, recorded_by_hand FROM aeo_certificate"
                " ORDER BY number"
            )
        ).all()
        history = connection.execute(
            sa.text("SELECT action, actor FROM aeo_certificate_change ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("GBAEOFH000001", "AEO-F", "active", "2099-01-01", 1),
        ("GBAEOSH000002", "AEO-S", "expired", "2020-01-01", 1),
    ]
    assert [tuple(h) for h in history] == [("granted", "migration"), ("granted", "migration")]
    command.downgrade(config, BEFORE)
    with engine.begin() as connection:
        back = connection.execute(
            sa.text("SELECT identifier, aeo_status FROM organisation ORDER BY identifier")
        ).all()
    assert [tuple(b) for b in back] == [("GB1", "AEO-F"), ("GB2", None), ("GB3", None)]
    engine.dispose()
