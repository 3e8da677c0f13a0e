"""The map of the house holds: domains talk to each other through their doors, never to the flow."""

from __future__ import annotations

import re
from pathlib import Path

import onewindow

PACKAGE = Path(onewindow.__file__).parent
DOMAINS = sorted(
    p.name
    for p in PACKAGE.iterdir()
    if p.is_dir() and (p / "service.py").exists() and p.name != "clearance"
)
IMPORT = re.compile(r"^\s*(?:from|import)\s+onewindow[.\w]*", re.M)


def _imports(path: Path) -> list[str]:
    text = path.read_text()
    return IMPORT.findall(text) + re.findall(r"^from onewindow import [^\n]*", text, re.M)


def test_no_domain_imports_the_flow() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}: {line.strip()}"
        for domain in DOMAINS
        for path in (PACKAGE / domain).rglob("*.py")
        for line in _imports(path)
        if re.search(r"\bclearance\b", line)
    ]
    assert offenders == [], f"domains must not import clearance: {offenders}"


def test_domains_are_reached_through_their_doors() -> None:
    """Another domain's modules other than service, schemas and models are not imported.

    The code lists (``reference/codelists.py``, pure data from the public standards) are the
    reference domain's published door for codes, so that pure engines need no session.
    """
    allowed = {"service", "schemas", "models", "codelists"}
    offenders = []
    for domain in DOMAINS:
        for path in (PACKAGE / domain).rglob("*.py"):
            for line in _imports(path):
                match = re.search(r"onewindow\.(\w+)\.(\w+)", line)
                foreign = match and match[1] in DOMAINS and match[1] != domain
                if foreign and match and match[2] not in allowed:
                    offenders.append(f"{path.relative_to(PACKAGE)}: {line.strip()}")
    assert offenders == [], offenders
