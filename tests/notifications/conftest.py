"""Every notifications test may send webhooks to its receivers on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.notifications import allow_local_receivers


@pytest.fixture(autouse=True)
def local_receivers_allowed() -> None:
    allow_local_receivers()
