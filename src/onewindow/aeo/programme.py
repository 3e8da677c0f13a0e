"""The AEO programme as data: the criteria and their questions (versioned), the tiers and the
benefits each grants. Pure: files in, typed rules out; no session, no web.

>>> tier("AEO-F").random_check_kept
0.0
>>> t = treatment_for("AEO-F", "AEO-F")
>>> t.random_check_kept, t.priority, t.guarantee_share
(0.0, True, Decimal('0.3'))
>>> mra = treatment_for("AEO-F", "MRA JP-2026", only=["priority_inspection"])
>>> mra.random_check_kept, mra.priority, mra.guarantee_share
(1.0, True, Decimal('1'))
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"

TIER_LABELS = {
    "AEO-C": "AEO customs simplifications",
    "AEO-S": "AEO security and safety",
    "AEO-F": "AEO full: customs simplifications, security and safety",
}
"""The tiers of certificate, with their labels (AEO-F and AEO-S are the codes kept from the
authorisations recorded by hand)."""

OPERATOR_ROLES = {
    "importer": "Importer",
    "exporter": "Exporter",
    "customs-broker": "Customs broker",
    "carrier": "Carrier",
    "forwarder": "Freight forwarder",
    "warehouse-operator": "Warehouse operator",
    "terminal-operator": "Terminal operator",
    "manufacturer": "Manufacturer",
}
"""The roles a company is certified for (an MRA names the roles it recognises)."""

DECLARATION_ROLES = frozenset({"importer", "exporter", "customs-broker"})
"""Certificates whose benefits apply to the goods declarations their holder lodges or is named
in."""


@dataclass(frozen=True)
class Question:
    code: str
    text: str


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    tiers: tuple[str, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Criteria:
    """One version of the criteria an application is assessed against."""

    version: str
    legal_reference: str
    criteria: tuple[Criterion, ...]

    def for_tier(self, tier_code: str) -> tuple[Criterion, ...]:
        """The criteria that apply to an application for ``tier_code``."""
        return tuple(c for c in self.criteria if tier_code in c.tiers)


@dataclass(frozen=True)
class Tier:
    code: str
    label: str
    benefits: tuple[str, ...]
    random_check_kept: float
    model_yellow_kept: float
    model_red_kept: float
    guarantee_share: Decimal
    reassessment_years: int


@dataclass(frozen=True)
class Treatment:
    """What an AEO (ours, or a partner's under an MRA) is spared in risk and payments.

    ``*_kept`` are the chances that a random or model selection is kept (0: always waived; 1:
    never); a model red that is not kept is lowered to a documentary check. ``label`` names the
    ground in the officer's reason, e.g. ``AEO-F`` or ``MRA JP-2026: exporter JP123 (AEO-F)``.
    """

    label: str
    random_check_kept: float = 1.0
    model_yellow_kept: float = 1.0
    model_red_kept: float = 1.0
    priority: bool = False
    guarantee_share: Decimal = Decimal(1)

    @property
    def favour(self) -> float:
        """How much it spares: lower kept chances spare more (to pick the best of several)."""
        return -(self.random_check_kept + self.model_yellow_kept + self.model_red_kept)


@cache
def criteria(version: str | None = None) -> Criteria:
    """The criteria of ``version`` (the newest when None), read from ``aeo/data``."""
    files = sorted(DATA.glob("criteria-*.json"))
    documents = [json.loads(f.read_text()) for f in files]
    if version is not None:
        documents = [d for d in documents if d["version"] == version]
    if not documents:
        raise LookupError(f"no AEO criteria version {version}")
    document = documents[-1]
    return Criteria(
        version=document["version"],
        legal_reference=document.get("legal_reference", ""),
        criteria=tuple(
            Criterion(
                code=c["code"],
                title=c["title"],
                tiers=tuple(c["tiers"]),
                questions=tuple(Question(q["code"], q["text"]) for q in c["questions"]),
            )
            for c in document["criteria"]
        ),
    )


@cache
def _benefits_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / "benefits.json").read_text())
    return document


def benefit_labels() -> dict[str, str]:
    """Every benefit code with its label."""
    return dict(_benefits_document()["benefits"])


def benefits_version() -> str:
    return str(_benefits_document()["version"])


def tier(code: str) -> Tier:
    """A tier's benefits as configured; KeyError for an unknown tier."""
    raw = _benefits_document()["tiers"][code]
    return Tier(
        code=code,
        label=raw["label"],
        benefits=tuple(raw["benefits"]),
        random_check_kept=float(raw["random_check_kept"]),
        model_yellow_kept=float(raw["model_yellow_kept"]),
        model_red_kept=float(raw["model_red_kept"]),
        guarantee_share=Decimal(raw["guarantee_share"]),
        reassessment_years=int(raw["reassessment_years"]),
    )


def treatment_for(tier_code: str, label: str, *, only: list[str] | None = None) -> Treatment:
    """The treatment a tier grants; ``only`` keeps those of its benefits an MRA agreed."""
    t = tier(tier_code)
    granted = set(t.benefits) if only is None else set(t.benefits) & set(only)
    documentary = "fewer_documentary_checks" in granted
    physical = "fewer_physical_checks" in granted
    return Treatment(
        label=label,
        random_check_kept=t.random_check_kept if documentary else 1.0,
        model_yellow_kept=t.model_yellow_kept if documentary else 1.0,
        model_red_kept=t.model_red_kept if physical else 1.0,
        priority="priority_inspection" in granted,
        guarantee_share=t.guarantee_share if "reduced_guarantee" in granted else Decimal(1),
    )


def missing_answers(found: Criteria, tier_code: str, answers: dict[str, str]) -> list[str]:
    """The question codes of the tier's criteria left without an answer.

    >>> missing_answers(criteria("2026-1"), "AEO-C", {})[:2]
    ['compliance.infringements', 'compliance.contact']
    """
    return [
        q.code
        for c in found.for_tier(tier_code)
        for q in c.questions
        if not (answers.get(q.code) or "").strip()
    ]
