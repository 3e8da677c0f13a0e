"""Every page of every role's tour passes an automated accessibility check and fits a phone.

The check is axe-core, run inside each page from its npm package in tests/browser/node_modules
(``make test`` installs it); a serious or critical violation fails the test, named with its
page and the elements it found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.tour import DESKTOP, PHONE, TOUR, demo_server, log_in, visit

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
GRAVE = ("serious", "critical")


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with demo_server() as url:
        yield url


def _violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in GRAVE
    ]


@pytest.mark.parametrize("who", sorted(TOUR))
def test_every_page_of_the_tour_is_accessible_and_fits_a_phone(
    browser, demo_url: str, who: str
) -> None:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail("axe-core is not installed: make test installs it (npm ci in tests/browser)")
    problems: list[str] = []
    for viewport in (DESKTOP, PHONE):
        # The test injects the checker, which the pages' own policy (scripts from the app only)
        # would refuse; the pages themselves run under their policy as usual.
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        page = context.new_page()
        log_in(page, demo_url, who)
        for stop in TOUR[who]:
            shown = visit(page, demo_url, stop)
            if viewport is DESKTOP:
                problems += [f"{shown}: {v}" for v in _violations(page)]
            else:
                wide = page.evaluate("document.documentElement.scrollWidth")
                if wide > viewport["width"]:
                    problems.append(f"{shown}: {wide}px wide on a {viewport['width']}px phone")
        context.close()
    assert not problems, "\n".join(problems)
