"""Screenshots of the declaration, payment and notification pages as the demo's trader and
officer see them, on a desktop (1366x900) and a phone (390x844), for anyone to look at.

Run against a server with the demo data (``onewindow init --demo``, then ``onewindow serve``):

    python -m tests.browser.screenshots_declarations http://127.0.0.1:8000 var/screenshots

Not a test: it asserts nothing and changes nothing but the pages it reads.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "onewindow-demo-2026"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _declaration_with(page: Page, base: str, status: str) -> str | None:
    """The address of the first declaration of the list with this status, if any."""
    page.goto(f"{base}/declarations?status={status}")
    link = page.locator("table.grid tbody tr a[href^='/declarations/']").first
    return link.get_attribute("href") if link.count() else None


def _pages(page: Page, base: str, role: str) -> list[tuple[str, str]]:
    wanted = [("declarations", "/declarations"), ("payments", "/payments")]
    wanted.append(("notifications", "/notifications"))
    for status in ("awaiting_payment", "under_control", "released", "rejected", "accepted"):
        found = _declaration_with(page, base, status)
        if found:
            wanted.append((f"declaration-{status}", found))
    if role == "trader":
        rejected = _declaration_with(page, base, "rejected")
        if rejected:
            wanted.append(("declaration-copy", f"{rejected}/copy"))
        page.goto(f"{base}/payments")
        receipt = page.locator("a[href^='/payments/receipts/']").first
        if receipt.count():
            wanted.append(("receipt", receipt.get_attribute("href") or ""))
    return wanted


def shoot(browser: Browser, base: str, out: Path, role: str, email: str) -> list[Path]:
    taken = []
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        _log_in(page, base, email)
        for name, path in _pages(page, base, role):
            page.goto(f"{base}{path}")
            page.locator("details").evaluate_all("(all) => all.forEach(d => d.open = true)")
            target = out / f"{role}-{re.sub(r'[^a-z0-9-]', '-', name)}-{size}.png"
            page.screenshot(path=str(target), full_page=True)
            taken.append(target)
        context.close()
    return taken


def main(base: str, out: str) -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for role, email in (
            ("trader", "trader@onewindow.example"),
            ("broker", "broker@onewindow.example"),
            ("officer", "officer@onewindow.example"),
        ):
            for path in shoot(browser, base, folder, role, email):
                print(path)
        browser.close()


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000",
        *sys.argv[2:3] or ["var/screenshots"],
    )
