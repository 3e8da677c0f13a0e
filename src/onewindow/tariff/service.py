"""The tariff domain's door: loading the national tariff, looking up measures, assessing.

Measures attach to a code at any level (``""`` for all goods, a chapter, a heading, a
subheading or a national line) and apply to every code under it, as in a published tariff.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from onewindow import versions
from onewindow.db import reference_read, utcnow
from onewindow.errors import FieldError, InvalidInput
from onewindow.tariff import loaders
from onewindow.tariff.engine import (
    DeclarationAssessment,
    DeclarationLine,
    DeMinimis,
    GoodsLine,
    Measure,
    MeasureType,
    Money,
    Rate,
    assess_declaration,
)
from onewindow.tariff.models import (
    DeMinimisRule,
    OriginGroupMember,
    TariffLine,
    TariffMeasure,
    TariffRejection,
    TariffSource,
)
from onewindow.tariff.rates import RateParseError, parse_rate

BATCH = 5000
BASE = "base"
NATIONAL = "national"

TARIFF = "tariff"
"""The data set each process keeps in memory (:mod:`onewindow.versions`): what these tables
hold, read at every lodging."""
versions.watch(TARIFF, [TariffSource, TariffLine, TariffMeasure, OriginGroupMember, DeMinimisRule])

Reader = Callable[[Path], loaders.TariffLoad]
READERS: dict[str, Reader] = {
    "uk": lambda path: loaders.load_uk_global_tariff(path),
    "us": lambda path: loaders.load_us_hts(path),
    "national": lambda path: loaders.load_national_tariff(path),
}
"""Tariff formats we read: the two published tariffs and our own national CSV format."""


@dataclass(frozen=True)
class LoadReport:
    """What loading a tariff did."""

    source: str
    skipped: bool
    lines: int
    measures: int
    rejections: int
    rejection_reasons: dict[str, int]


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def load_tariff(session: Session, kind: str, path: Path) -> LoadReport:
    """Load a tariff file; a published tariff (``uk``, ``us``) replaces the national base
    tariff, a ``national`` file adds or replaces its own measures. Idempotent per file."""
    if kind not in READERS:
        raise InvalidInput(
            "Unknown tariff format.", [FieldError("/kind", f"use one of {', '.join(READERS)}")]
        )
    if not path.exists():
        raise InvalidInput("No such file.", [FieldError("/path", f"{path} does not exist")])
    name = f"{kind}:{path.name}"
    checksum = _fingerprint(path)
    existing = session.get(TariffSource, name)
    if existing is not None and existing.checksum == checksum:
        return LoadReport(name, True, existing.lines, existing.measures, existing.rejections, {})
    load = READERS[kind](path)
    scope = BASE if kind != NATIONAL else NATIONAL
    stale = (
        [name]
        if scope == NATIONAL
        else list(session.scalars(select(TariffSource.name).where(TariffSource.kind == BASE)))
    )
    for model in (TariffLine, TariffMeasure, TariffRejection):
        session.execute(delete(model).where(model.source.in_(stale)))
    session.execute(delete(TariffSource).where(TariffSource.name.in_(stale)))

    lines, measures = [], []
    rejections = [
        {
            "source": name,
            "commodity_code": r.code[:10],
            "rate_column": r.column,
            "text": r.text,
            "reason": r.reason,
        }
        for r in load.rejections
    ]
    for line in load.lines:
        lines.append(
            {
                "source": name,
                "commodity_code": line.commodity_code,
                "subheading": line.subheading,
                "description": line.description,
                "declarable": line.declarable,
                "units": list(line.units),
                "notes": list(line.notes),
            }
        )
        for measure in line.measures:
            text = str(measure.rate)
            if _parse(text) is None:
                rejections.append(
                    {
                        "source": name,
                        "commodity_code": line.commodity_code,
                        "rate_column": measure.measure_type.value,
                        "text": text,
                        "reason": "the rate cannot be stored in the national rate grammar",
                    }
                )
                continue
            measures.append(_measure_row(name, line.commodity_code, measure))
    for model, rows in (
        (TariffLine, lines),
        (TariffMeasure, measures),
        (TariffRejection, rejections),
    ):
        for start in range(0, len(rows), BATCH):
            session.execute(insert(model), rows[start : start + BATCH])
    if kind == "us":
        set_origin_group(
            session, loaders.US_COLUMN_2, loaders.US_ORIGIN_GROUPS[loaders.US_COLUMN_2]
        )
    session.add(
        TariffSource(
            name=name,
            kind=scope,
            checksum=checksum,
            lines=len(lines),
            measures=len(measures),
            rejections=len(rejections),
            loaded_at=utcnow(),
        )
    )
    session.flush()
    reasons: dict[str, int] = defaultdict(int)
    for row in rejections:
        reasons[str(row["reason"])] += 1
    return LoadReport(name, False, len(lines), len(measures), len(rejections), dict(reasons))


def _measure_row(source: str, code: str, measure: Measure) -> dict[str, object]:
    return {
        "source": source,
        "commodity_code": code,
        "measure_type": measure.measure_type.value,
        "rate_text": str(measure.rate),
        "valid_from": measure.valid_from,
        "valid_to": measure.valid_to,
        "origin_group": measure.origin_group,
        "requires_proof_of_origin": measure.requires_proof_of_origin,
        "label": measure.label,
        "legal_reference": measure.legal_reference,
    }


@lru_cache(maxsize=20_000)
def _parse(text: str) -> Rate | None:
    try:
        return parse_rate(text)
    except RateParseError:
        return None


def add_measure(
    session: Session,
    *,
    commodity_code: str,
    measure_type: str,
    rate: str,
    valid_from: date,
    valid_to: date | None = None,
    origin_group: str = "ERGA OMNES",
    requires_proof_of_origin: bool = False,
    label: str = "",
    legal_reference: str = "",
    source: str = "national:manual",
) -> TariffMeasure:
    """Add one measure (a national VAT rate for all goods is ``commodity_code=""``)."""
    errors = []
    if measure_type not in {m.value for m in MeasureType}:
        errors.append(
            FieldError("/measure_type", f"use one of {', '.join(m.value for m in MeasureType)}")
        )
    if _parse(rate) is None:
        errors.append(FieldError("/rate", f"{rate!r} is not a rate such as 12%, 3.50 GBP / 100 kg"))
    if commodity_code and not (
        commodity_code.isdigit() and len(commodity_code) in {2, 4, 6, 8, 10}
    ):
        errors.append(FieldError("/commodity_code", "give 2, 4, 6, 8 or 10 digits, or nothing"))
    if errors:
        raise InvalidInput("The measure cannot be added.", errors)
    row = TariffMeasure(
        source=source,
        commodity_code=commodity_code,
        measure_type=measure_type,
        rate_text=rate,
        valid_from=valid_from,
        valid_to=valid_to,
        origin_group=origin_group,
        requires_proof_of_origin=requires_proof_of_origin,
        label=label,
        legal_reference=legal_reference,
    )
    session.add(row)
    session.flush()
    return row


def set_origin_group(
    session: Session, group: str, countries: Sequence[str] | frozenset[str]
) -> None:
    """Say which countries an origin group (an agreement, a programme) has."""
    session.execute(delete(OriginGroupMember).where(OriginGroupMember.group_code == group))
    for country in sorted(countries):
        session.add(OriginGroupMember(group_code=group, country=country))
    session.flush()


def set_de_minimis(
    session: Session,
    *,
    threshold: Money,
    relieves: Sequence[MeasureType],
    valid_from: date,
    label: str,
    legal_reference: str = "",
) -> DeMinimisRule:
    """Record a low-value relief (replacing one with the same start and currency)."""
    session.execute(
        delete(DeMinimisRule).where(
            DeMinimisRule.valid_from == valid_from, DeMinimisRule.currency == threshold.currency
        )
    )
    rule = DeMinimisRule(
        threshold=threshold.amount,
        currency=threshold.currency,
        relieves=[m.value for m in relieves],
        valid_from=valid_from,
        valid_to=None,
        label=label,
        legal_reference=legal_reference,
    )
    session.add(rule)
    session.flush()
    return rule


def _prefixes(code: str) -> list[str]:
    return [""] + [code[:n] for n in (2, 4, 6, 8, 10) if len(code) >= n]


def _measure(row: TariffMeasure) -> Measure | None:
    rate = _parse(row.rate_text)
    if rate is None:
        return None
    return Measure(
        MeasureType(row.measure_type),
        rate,
        row.valid_from,
        row.valid_to,
        row.origin_group,
        row.requires_proof_of_origin,
        row.label,
        row.legal_reference,
    )


@reference_read
def measures_for_codes(session: Session, codes: Sequence[str]) -> dict[str, list[Measure]]:
    """For each code, every measure that applies to goods under it (one query for all the
    codes not asked for since the tariff last changed; none for the others)."""
    known = versions.cached(session, TARIFF, "measures", _empty_index)
    wanted = {prefix for code in codes for prefix in _prefixes(code)} - known.keys()
    if wanted:
        found: dict[str, list[Measure]] = {prefix: [] for prefix in wanted}
        for row in session.scalars(
            select(TariffMeasure).where(TariffMeasure.commodity_code.in_(wanted))
        ):
            measure = _measure(row)
            if measure is not None:
                found[row.commodity_code].append(measure)
        known.update({prefix: tuple(measures) for prefix, measures in found.items()})
    return {code: [m for prefix in _prefixes(code) for m in known[prefix]] for code in codes}


def _empty_index(_session: Session) -> dict[str, Any]:
    """An index filled as codes are asked for: each entry, once written, never changes."""
    return {}


def measures_for(session: Session, commodity_code: str) -> list[Measure]:
    """Every measure that applies to goods under ``commodity_code`` (from all its levels)."""
    return measures_for_codes(session, [commodity_code])[commodity_code]


@reference_read
def tariff_loaded(session: Session) -> bool:
    """Whether a base tariff is loaded (commodity codes are checked against it only then)."""
    return versions.cached(session, TARIFF, "loaded", _base_loaded)


def _base_loaded(session: Session) -> bool:
    count = session.scalar(select(func.count(TariffSource.name)).where(TariffSource.kind == BASE))
    return bool(count)


@reference_read
def unknown_codes(session: Session, codes: Sequence[str]) -> set[str]:
    """The codes that are not declarable lines of the loaded tariff (none if none is loaded).

    A code may be declared with more digits than the tariff publishes (a 10-digit code under an
    8-digit line) or fewer (8 digits for a line padded with zeros).
    """
    if not codes or not tariff_loaded(session):
        return set()

    def forms(code: str) -> set[str]:
        return {code, code[:8], code.ljust(10, "0")}

    declarable: dict[str, bool] = versions.cached(session, TARIFF, "declarable", _empty_index)
    candidates = {form for code in codes for form in forms(code)} - declarable.keys()
    if candidates:
        found = set(
            session.scalars(
                select(TariffLine.commodity_code).where(
                    TariffLine.commodity_code.in_(candidates), TariffLine.declarable.is_(True)
                )
            )
        )
        declarable.update({form: form in found for form in candidates})
    return {code for code in codes if not any(declarable[form] for form in forms(code))}


@reference_read
def _origin_groups(session: Session) -> dict[str, set[str]]:
    return versions.cached(session, TARIFF, "origin-groups", _read_origin_groups)


def _read_origin_groups(session: Session) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for member in session.scalars(select(OriginGroupMember)):
        groups[member.group_code].add(member.country)
    return groups


@reference_read
def _reliefs(session: Session) -> list[DeMinimis]:
    return list(versions.cached(session, TARIFF, "reliefs", _read_reliefs))


def _read_reliefs(session: Session) -> tuple[DeMinimis, ...]:
    return tuple(
        DeMinimis(
            Money(rule.threshold, rule.currency),
            frozenset(MeasureType(m) for m in rule.relieves),
            rule.valid_from,
            rule.valid_to,
            rule.label,
            rule.legal_reference,
        )
        for rule in session.scalars(select(DeMinimisRule))
    )


@dataclass(frozen=True)
class ItemToAssess:
    """One goods item ready for assessment: code, value in national currency, quantities."""

    commodity_code: str
    customs_value: Money
    origin: str
    quantities: dict[str, Decimal]
    preference: str | None
    proof_of_origin: bool
    description: str = ""
    proof_refused: str = ""


def assess(session: Session, items: Sequence[ItemToAssess], on: date) -> DeclarationAssessment:
    """Duties and taxes on the items as in force on ``on``, with the trace that explains them."""
    measures = measures_for_codes(session, [item.commodity_code for item in items])
    lines = [
        DeclarationLine(
            GoodsLine(
                item.commodity_code,
                item.customs_value,
                item.origin,
                item.quantities,
                description=item.description,
            ),
            measures[item.commodity_code],
            item.preference,
            item.proof_of_origin,
            item.proof_refused,
        )
        for item in items
    ]
    return assess_declaration(
        lines, on, de_minimis=_reliefs(session), origin_groups=_origin_groups(session)
    )


def sources(session: Session) -> Sequence[TariffSource]:
    return session.scalars(select(TariffSource).order_by(TariffSource.name)).all()


def declarable_codes(session: Session, limit: int = 20_000) -> list[str]:
    """Declarable commodity codes of the loaded tariff, in code order (simulated traffic)."""
    return list(
        session.scalars(
            select(TariffLine.commodity_code)
            .where(TariffLine.declarable.is_(True))
            .order_by(TariffLine.commodity_code)
            .distinct()
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class NationalLine:
    """A declarable line of the national tariff, as the nomenclature browser shows it."""

    commodity_code: str
    subheading: str
    description: str
    units: tuple[str, ...]


def _national_lines(rows: Sequence[TariffLine]) -> list[NationalLine]:
    seen: dict[str, NationalLine] = {}
    for row in rows:
        seen.setdefault(
            row.commodity_code,
            NationalLine(row.commodity_code, row.subheading, row.description, tuple(row.units)),
        )
    return sorted(seen.values(), key=lambda line: line.commodity_code)


@reference_read
def lines_under(session: Session, prefix: str, limit: int = 200) -> list[NationalLine]:
    """The declarable lines of the loaded tariff under an HS code (``090121``), in code order."""
    rows = session.scalars(
        select(TariffLine)
        .where(TariffLine.commodity_code.startswith(prefix), TariffLine.declarable.is_(True))
        .order_by(TariffLine.commodity_code, TariffLine.source)
        .limit(limit * 3)
    ).all()
    return _national_lines(rows)[:limit]


def national_line(session: Session, code: str) -> NationalLine | None:
    """The declarable line a declared code names (8 or 10 digits, as ``unknown_codes`` reads
    them), or None."""
    forms = {code, code[:8], code.ljust(10, "0")}
    rows = session.scalars(
        select(TariffLine)
        .where(TariffLine.commodity_code.in_(forms), TariffLine.declarable.is_(True))
        .order_by(TariffLine.commodity_code, TariffLine.source)
    ).all()
    found = _national_lines(rows)
    return found[0] if found else None


def search_lines(session: Session, query: str, limit: int = 50) -> list[NationalLine]:
    """Declarable lines by code prefix (``09012100``) or by every word of their description."""
    digits = query.replace(" ", "").replace(".", "")
    statement = select(TariffLine).where(TariffLine.declarable.is_(True))
    if digits.isdigit():
        statement = statement.where(TariffLine.commodity_code.startswith(digits))
    else:
        words = [w for w in query.lower().split() if w][:8]
        if not words:
            return []
        for word in words:
            statement = statement.where(func.lower(TariffLine.description).contains(word))
    rows = session.scalars(
        statement.order_by(TariffLine.commodity_code, TariffLine.source).limit(limit * 3)
    ).all()
    return _national_lines(rows)[:limit]
