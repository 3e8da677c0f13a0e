"""Photograph each role's home and main pages at desktop and phone sizes, with the demo data.

    .venv/bin/python -m tests.browser.screenshots [--out var/screenshots]

Starts its own server over a fresh demo database (nothing else needs to run), walks the tour
that the accessibility test walks, and writes one full-page PNG per page and size, named
``<role>-<nn>-<page>-<desktop|phone>.png``, so anyone can look at what each user sees.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from tests.browser.tour import DESKTOP, PHONE, TOUR, demo_server, log_in, visit


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/screenshots"))
    parser.add_argument("--role", action="append", choices=sorted(TOUR), help="only these roles")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with demo_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for who in args.role or sorted(TOUR):
            for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                log_in(page, url, who)
                for n, stop in enumerate(TOUR[who], 1):
                    shown = visit(page, url, stop)
                    file = args.out / f"{who}-{n:02d}-{_name(shown)}-{size}.png"
                    page.screenshot(path=str(file), full_page=True)
                    print(file)
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
