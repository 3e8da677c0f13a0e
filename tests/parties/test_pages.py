"""The mandates page: a revocation asks for a reason and a ticked confirmation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import make_party
from tests.portal import log_in


def test_a_revocation_without_its_confirmation_changes_nothing(client: TestClient) -> None:
    trader = make_party(("trader",))
    broker = make_party(("customs-broker",))
    token = log_in(client, trader)
    granted = client.post(
        "/mandates",
        data={"representative": broker.identifier, "representation": "direct", "csrf_token": token},
    )
    assert f"{broker.name} may now lodge for you." in granted.text
    found = re.search(r'action="/mandates/(\d+)/revoke"', granted.text)
    assert found
    revoke = f"/mandates/{found[1]}/revoke"
    assert "I confirm: a revocation cannot be undone" in granted.text

    unticked = client.post(revoke, data={"reason": "own clearance", "csrf_token": token})
    assert unticked.url.path == "/mandates"
    assert "Tick the box to confirm: a revocation cannot be undone." in unticked.text
    assert "In force" in unticked.text and "Revoked" not in unticked.text

    done = client.post(
        revoke, data={"reason": "own clearance", "confirm": "yes", "csrf_token": token}
    )
    assert f"The mandate of {broker.name} is revoked." in done.text
    assert "own clearance" in done.text and "In force" not in done.text
