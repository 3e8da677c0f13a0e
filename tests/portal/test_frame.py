"""The frame every page shares: the work-first home, pages for wrong addresses, the footer."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import make_party
from tests.declarations.factory import declaration
from tests.portal import log_in


def _work(page: str) -> dict[str, int]:
    """The 'needs your action' entries of a home page: title -> count."""
    section = page.split('id="to-do"', 1)[1].split("</section>", 1)[0]
    found = re.findall(
        r'<span class="count">(\d+)</span>\s*<span class="what"><strong>([^<]+)', section
    )
    return {title: int(count) for count, title in found}


def test_a_traders_home_counts_what_waits_for_it_and_links_to_it(client: TestClient) -> None:
    trader = make_party(("trader",))
    for _ in range(2):
        lodged = client.post("/api/v1/declarations", json=declaration(), headers=trader.auth)
        assert lodged.json()["status"] == "awaiting_payment"
    log_in(client, trader)
    home = client.get("/").text
    assert _work(home) == {"Declarations awaiting payment": 2}
    assert 'href="/declarations?status=awaiting_payment"' in home
    listed = client.get("/declarations?status=awaiting_payment").text
    assert listed.count('href="/declarations/') >= 2


def test_an_officers_home_lists_the_control_work_and_never_offers_lodging(
    client: TestClient,
) -> None:
    officer = make_party(("customs-office",), user_role="staff")
    log_in(client, officer)
    home = client.get("/").text
    for title in ("Declarations under control", "Inspections due", "Controls before arrival"):
        assert title in home or title.lower() in home, title
    assert "Lodge" not in home
    assert "awaiting payment" not in home.lower()


def test_a_card_for_what_has_no_page_is_not_shown(client: TestClient) -> None:
    admin = make_party(("administrator",))
    log_in(client, admin)
    home = client.get("/").text
    assert "Register organisations" not in home  # no page for it yet
    assert "Keep the tariff" not in home


def test_a_wrong_address_gets_a_page_that_knows_who_is_logged_in(client: TestClient) -> None:
    trader = make_party(("trader",))
    log_in(client, trader)
    for path in ("/declarations/999999999", "/declarations/not-a-number", "/no/such/page"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "Page not found" in answer.text
        assert trader.name in answer.text, f"{path}: the header still shows who is logged in"
        assert 'href="/declarations"' in answer.text


def test_a_form_missing_a_field_gets_a_page_naming_it_and_changes_nothing(
    client: TestClient,
) -> None:
    trader = make_party(("trader",))
    token = log_in(client, trader)
    lodged = client.post("/api/v1/declarations", json=declaration(), headers=trader.auth).json()
    answer = client.post(f"/declarations/{lodged['id']}/action", data={"csrf_token": token})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "The form could not be read" in answer.text
    assert "Nothing was changed" in answer.text
    assert "<strong>action</strong>" in answer.text
    again = client.get(f"/api/v1/declarations/{lodged['id']}", headers=trader.auth).json()
    assert again["status"] == lodged["status"]


def test_the_api_keeps_answering_json_for_a_wrong_id(client: TestClient) -> None:
    trader = make_party(("trader",))
    answer = client.get("/api/v1/declarations/not-a-number", headers=trader.auth)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_the_footer_leads_to_help_contact_accessibility_and_privacy(client: TestClient) -> None:
    home = client.get("/").text
    footer = home.split('<footer class="bottom">', 1)[1]
    for path, heading in (
        ("/help", "Help"),
        ("/contact", "Contact the service desk"),
        ("/accessibility", "Accessibility"),
        ("/privacy", "Privacy"),
    ):
        assert f'href="{path}"' in footer
        page = client.get(path)
        assert page.status_code == 200
        assert f"<h1>{heading}</h1>" in page.text
    assert "servicedesk@onewindow.example" in client.get("/contact").text
