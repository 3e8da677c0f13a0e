"""The reference domain's door: loading reference data and looking it up.

Every loader is idempotent: it records a checksum of what it loaded and does nothing when the same
data is loaded again; changed data replaces the old in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import iso4217
import pycountry
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from onewindow import audit, versions
from onewindow.db import Base, reference_read, utcnow
from onewindow.errors import FieldError, Forbidden, InvalidInput, NotFound
from onewindow.events import record_event
from onewindow.reference.models import (
    CodeListEntry,
    Country,
    Currency,
    ExchangeRate,
    HsCode,
    HsSection,
    Location,
    ReferenceDataset,
)
from onewindow.security import Principal, Role

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while a loader works."""

HS_EDITION = "HS2022"
BATCH = 5000


@dataclass(frozen=True)
class LoadResult:
    """What a loader did: ``rows`` loaded, or ``skipped`` because the same data was there."""

    dataset: str
    rows: int
    skipped: bool
    source: str


def _checksum(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def _replace(
    session: Session,
    dataset: str,
    source: str,
    checksum: str,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    progress: Progress | None,
    where: Any = None,
) -> LoadResult:
    """Replace a table's content (or the part ``where`` selects) unless it is already loaded."""
    existing = session.get(ReferenceDataset, dataset)
    if existing is not None and existing.checksum == checksum:
        if progress:
            progress(existing.rows, existing.rows)
        return LoadResult(dataset, existing.rows, True, source)
    statement = delete(model)
    session.execute(statement if where is None else statement.where(where))
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), list(rows[start : start + BATCH]))
        if progress:
            progress(min(start + BATCH, len(rows)), len(rows))
    if existing is None:
        existing = ReferenceDataset(name=dataset)
        session.add(existing)
    existing.source, existing.checksum = source, checksum
    existing.rows, existing.loaded_at = len(rows), utcnow()
    session.flush()
    return LoadResult(dataset, len(rows), False, source)


def _require(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: set ONEWINDOW_DATA_DIR to the folder holding the data sets"
        )
    return path


# HS nomenclature -------------------------------------------------------------------------------


def load_hs(session: Session, data_dir: Path, progress: Progress | None = None) -> LoadResult:
    """Load the HS 2022 sections, chapters, headings and subheadings with their tree."""
    codes_file = _require(data_dir / "hs" / "harmonized-system-2022.csv")
    sections_file = _require(data_dir / "hs" / "sections.csv")
    raw_codes, raw_sections = codes_file.read_bytes(), sections_file.read_bytes()
    checksum = _checksum(raw_codes, raw_sections)
    sections = [
        {"numeral": row["section"].strip(), "position": i + 1, "title": row["name"].strip()}
        for i, row in enumerate(csv.DictReader(raw_sections.decode("utf-8-sig").splitlines()))
    ]
    codes = []
    for row in csv.DictReader(raw_codes.decode("utf-8-sig").splitlines()):
        if row["hscode"] == "TOTAL":
            continue
        parent = row["parent"] if row["parent"] != "TOTAL" else None
        codes.append(
            {
                "code": row["hscode"],
                "level": int(row["level"]),
                "parent_code": parent,
                "section": row["section"],
                "description": row["description"].strip(),
                "edition": HS_EDITION,
            }
        )
    existing = session.get(ReferenceDataset, "hs")
    if existing is None or existing.checksum != checksum:
        session.execute(delete(HsSection))
        session.execute(insert(HsSection), sections)
    return _replace(session, "hs", str(codes_file), checksum, HsCode, codes, progress)


@dataclass(frozen=True)
class HsEntry:
    """An HS code with the path from its chapter down to it."""

    code: str
    level: int
    description: str
    section: str
    section_title: str
    path: list[HsCode]
    children: list[HsCode]


def _hs_path(session: Session, code: HsCode) -> list[HsCode]:
    path = [code]
    while path[0].parent_code:
        parent = session.get(HsCode, path[0].parent_code)
        if parent is None:
            break
        path.insert(0, parent)
    return path


def hs_entry(session: Session, code: str) -> HsEntry:
    """An HS code with its path up the tree and its children; NotFound if it does not exist."""
    code = re.sub(r"[\s.]", "", code)
    row = session.get(HsCode, code)
    if row is None:
        raise NotFound(f"No HS {HS_EDITION} code {code}.")
    section = session.get(HsSection, row.section)
    children = session.scalars(
        select(HsCode).where(HsCode.parent_code == row.code).order_by(HsCode.code)
    ).all()
    return HsEntry(
        row.code,
        row.level,
        row.description,
        row.section,
        section.title if section else "",
        _hs_path(session, row),
        list(children),
    )


def search_hs(session: Session, query: str, limit: int = 50) -> list[HsEntry]:
    """Codes that start with ``query`` (digits) or whose description has every word of it."""
    query = query.strip()
    if not query:
        raise InvalidInput("Say what to look for.", [])
    digits = re.sub(r"[\s.]", "", query)
    statement = select(HsCode)
    if digits.isdigit():
        statement = statement.where(HsCode.code.startswith(digits))
    else:
        for word in re.findall(r"\w+", query.lower())[:8]:
            statement = statement.where(func.lower(HsCode.description).contains(word))
    rows = session.scalars(statement.order_by(HsCode.code).limit(limit)).all()
    titles = {s.numeral: s.title for s in session.scalars(select(HsSection))}
    return [
        HsEntry(
            r.code,
            r.level,
            r.description,
            r.section,
            titles.get(r.section, ""),
            _hs_path(session, r),
            [],
        )
        for r in rows
    ]


def hs_chapters(session: Session) -> Sequence[HsCode]:
    """The 97 chapters, in order."""
    return session.scalars(select(HsCode).where(HsCode.level == 2).order_by(HsCode.code)).all()


def hs_sections(session: Session) -> Sequence[HsSection]:
    return session.scalars(select(HsSection).order_by(HsSection.position)).all()


# Countries and currencies ----------------------------------------------------------------------


def load_countries(session: Session, progress: Progress | None = None) -> LoadResult:
    """Load ISO 3166-1 countries from the pycountry package."""
    rows = [
        {"alpha2": c.alpha_2, "alpha3": c.alpha_3, "numeric": c.numeric, "name": c.name}
        for c in pycountry.countries
    ]
    checksum = _checksum(json.dumps(rows, sort_keys=True).encode())
    return _replace(session, "countries", "pycountry", checksum, Country, rows, progress)


def load_currencies(session: Session, progress: Progress | None = None) -> LoadResult:
    """Load ISO 4217 currencies with their minor units from the iso4217 package."""
    rows = []
    for currency in iso4217.Currency:
        exponent = currency.exponent
        rows.append(
            {
                "code": currency.code,
                "numeric": f"{currency.number:03d}",
                "name": currency.currency_name,
                "minor_unit": exponent,
            }
        )
    checksum = _checksum(json.dumps(rows, sort_keys=True).encode())
    return _replace(session, "currencies", "iso4217", checksum, Currency, rows, progress)


def get_country(session: Session, code: str) -> Country:
    row = session.get(Country, code.upper())
    if row is None:
        raise NotFound(f"No country {code!r} (ISO 3166-1 alpha-2).")
    return row


def list_countries(session: Session) -> Sequence[Country]:
    return session.scalars(select(Country).order_by(Country.name)).all()


def get_currency(session: Session, code: str) -> Currency:
    row = session.get(Currency, code.upper())
    if row is None:
        raise NotFound(f"No currency {code!r} (ISO 4217).")
    return row


def list_currencies(session: Session) -> Sequence[Currency]:
    return session.scalars(select(Currency).order_by(Currency.code)).all()


# UN/LOCODE -------------------------------------------------------------------------------------

FUNCTION_FLAGS = {
    "is_port": "1",
    "is_rail": "2",
    "is_road": "3",
    "is_airport": "4",
    "is_postal": "5",
    "is_multimodal": "6",
    "is_fixed": "7",
    "is_border_crossing": "B",
}
"""Which position of the UN/LOCODE function classifier sets which flag."""

_COORDINATES = re.compile(r"^(\d{2})(\d{2})([NS]) (\d{3})(\d{2})([EW])$")


def parse_coordinates(text: str) -> tuple[float | None, float | None]:
    """UN/LOCODE coordinates in decimal degrees.

    >>> parse_coordinates("4230N 00131E")
    (42.5, 1.5167)
    >>> parse_coordinates("")
    (None, None)
    """
    match = _COORDINATES.match(text.strip())
    if not match:
        return None, None
    lat = int(match[1]) + int(match[2]) / 60
    lon = int(match[4]) + int(match[5]) / 60
    return (
        round(lat if match[3] == "N" else -lat, 4),
        round(lon if match[6] == "E" else -lon, 4),
    )


def _locode_rows(
    lines: Iterable[list[str]], countries: set[str] | None
) -> Iterator[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for row in lines:
        if len(row) < 12:
            continue
        change, country, place = row[0].strip(), row[1].strip(), row[2].strip()
        # Country headers have no place code; "X" marks an entry withdrawn from the list.
        if not place or change == "X":
            continue
        if countries and country not in countries:
            continue
        function = row[6].strip()
        lat, lon = parse_coordinates(row[10])
        record: dict[str, Any] = {
            "locode": country + place,
            "country": country,
            "name": row[3].strip(),
            "name_ascii": row[4].strip() or row[3].strip(),
            "subdivision": row[5].strip(),
            "function": function,
            "status": row[7].strip(),
            "iata": row[9].strip(),
            "latitude": lat,
            "longitude": lon,
        }
        for flag, mark in FUNCTION_FLAGS.items():
            record[flag] = mark in function
        seen[record["locode"]] = record
    yield from seen.values()


def load_locations(
    session: Session,
    data_dir: Path,
    progress: Progress | None = None,
    countries: set[str] | None = None,
) -> LoadResult:
    """Load UN/LOCODE; ``countries`` limits it to some countries (a small test database)."""
    path = _require(data_dir / "unlocode" / "unlocode-2018-1.csv")
    raw = path.read_bytes()
    checksum = _checksum(raw, ",".join(sorted(countries or [])).encode())
    text = raw.decode("utf-8-sig")
    rows = list(_locode_rows(csv.reader(text.splitlines()), countries))
    return _replace(session, "locations", str(path), checksum, Location, rows, progress)


def get_location(session: Session, locode: str) -> Location:
    code = locode.replace(" ", "").upper()
    row = session.get(Location, code)
    if row is None:
        raise NotFound(f"No UN/LOCODE {locode!r}.")
    return row


def search_locations(
    session: Session,
    *,
    query: str = "",
    country: str | None = None,
    function: str | None = None,
    limit: int = 50,
) -> Sequence[Location]:
    """Locations by name or code, within a country, with a transport function (e.g. ``port``)."""
    statement = select(Location)
    if country:
        statement = statement.where(Location.country == country.upper())
    if function:
        flag = f"is_{function.replace('-', '_')}"
        if flag not in FUNCTION_FLAGS:
            raise InvalidInput(
                "Unknown location function.",
                [FieldError("/query/function", f"use one of {', '.join(_function_names())}")],
            )
        statement = statement.where(getattr(Location, flag).is_(True))
    if query:
        text = query.strip()
        statement = statement.where(
            or_(
                Location.locode == text.replace(" ", "").upper(),
                func.lower(Location.name_ascii).startswith(text.lower()),
            )
        )
    return session.scalars(statement.order_by(Location.locode).limit(limit)).all()


def _function_names() -> list[str]:
    return [flag.removeprefix("is_").replace("_", "-") for flag in FUNCTION_FLAGS]


# Code lists ------------------------------------------------------------------------------------


def load_code_lists(session: Session, progress: Progress | None = None) -> LoadResult:
    """Load the code lists a declaration needs (written from the public standards)."""
    from onewindow.reference.codelists import CODE_LISTS

    rows = [
        {"list_name": name, "code": entry.code, "label": entry.label}
        for name, code_list in sorted(CODE_LISTS.items())
        for entry in code_list.entries
    ]
    checksum = _checksum(json.dumps(rows, sort_keys=True).encode())
    return _replace(
        session,
        "code-lists",
        "onewindow.reference.codelists",
        checksum,
        CodeListEntry,
        rows,
        progress,
    )


def code_list_entries(session: Session, list_name: str) -> Sequence[CodeListEntry]:
    rows = session.scalars(
        select(CodeListEntry)
        .where(CodeListEntry.list_name == list_name)
        .order_by(CodeListEntry.code)
    ).all()
    if not rows:
        raise NotFound(f"No code list {list_name!r}.")
    return rows


def code_list_names(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(CodeListEntry.list_name).distinct().order_by(CodeListEntry.list_name)
        )
    )


def is_code(session: Session, list_name: str, code: str) -> bool:
    """Whether ``code`` is in the code list ``list_name``."""
    return session.get(CodeListEntry, (list_name, code)) is not None


def datasets(session: Session) -> Sequence[ReferenceDataset]:
    """What reference data is loaded, from where, when."""
    return session.scalars(select(ReferenceDataset).order_by(ReferenceDataset.name)).all()


# Look-ups for validation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Lookups:
    """An in-memory snapshot of the reference data that validation checks every declaration
    against; rebuilt only when a data set is reloaded."""

    countries: frozenset[str]
    currencies: dict[str, int | None]
    hs_subheadings: frozenset[str]
    locodes: frozenset[str]

    def is_subheading(self, code: str) -> bool:
        return code[:6] in self.hs_subheadings

    @cached_property
    def hs_headings(self) -> frozenset[str]:
        """The four-digit headings that have subheadings."""
        return frozenset(code[:4] for code in self.hs_subheadings)


@reference_read
def lookups(session: Session) -> Lookups:
    """The reference snapshot, held per process until a data set changes."""
    return versions.cached(session, REFERENCE, "lookups", _snapshot)


REFERENCE = "reference"
"""The data set each process keeps in memory (:mod:`onewindow.versions`)."""
versions.watch(
    REFERENCE, [ReferenceDataset, Country, Currency, HsSection, HsCode, Location, CodeListEntry]
)


def _snapshot(session: Session) -> Lookups:
    return Lookups(
        countries=frozenset(session.scalars(select(Country.alpha2))),
        currencies={c.code: c.minor_unit for c in session.scalars(select(Currency))},
        hs_subheadings=frozenset(session.scalars(select(HsCode.code).where(HsCode.level == 6))),
        locodes=frozenset(session.scalars(select(Location.locode))),
    )


# Exchange rates --------------------------------------------------------------------------------


def set_exchange_rate(
    session: Session,
    *,
    currency: str,
    rate: Decimal,
    valid_from: date,
    valid_to: date | None = None,
    source: str = "customs",
) -> ExchangeRate:
    """Record the customs exchange rate of ``currency`` for a period (replacing the same start)."""
    if rate <= 0:
        raise InvalidInput("The rate cannot be used.", [FieldError("/rate", "must be positive")])
    get_currency(session, currency)
    row = session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.currency == currency.upper(), ExchangeRate.valid_from == valid_from
        )
    )
    if row is None:
        row = ExchangeRate(currency=currency.upper(), valid_from=valid_from)
        session.add(row)
    row.rate, row.valid_to, row.source = rate, valid_to, source
    session.flush()
    # Declarations waiting for this currency's rate are assessed again (see clearance).
    record_event(
        session,
        "exchange_rate.set",
        "exchange_rate",
        f"{row.currency}:{row.valid_from}",
        {"currency": row.currency, "rate": str(row.rate), "valid_from": str(row.valid_from)},
    )
    return row


def set_exchange_rate_by(
    session: Session,
    principal: Principal,
    *,
    currency: str,
    rate: Decimal,
    valid_from: date,
    valid_to: date | None = None,
) -> ExchangeRate:
    """Customs (or an administrator) sets a customs exchange rate; audited."""
    if not principal.has_role(Role.CUSTOMS, Role.ADMINISTRATOR):
        raise Forbidden("Only customs or an administrator sets exchange rates.")
    row = set_exchange_rate(
        session,
        currency=currency,
        rate=rate,
        valid_from=valid_from,
        valid_to=valid_to,
        source=principal.actor,
    )
    audit.record(
        session,
        actor=principal.actor,
        action="exchange_rate.set",
        subject_type="exchange_rate",
        subject_id=f"{row.currency}:{row.valid_from}",
        data={"rate": str(row.rate), "valid_to": str(row.valid_to)},
    )
    return row


@reference_read
def exchange_rates_on(session: Session, currencies: Iterable[str], on: date) -> dict[str, Decimal]:
    """The rate in force on ``on`` for each currency that has one (the latest start wins)."""
    wanted = {c.upper() for c in currencies}
    rates = versions.cached(session, EXCHANGE_RATES, "all", _all_rates)
    return {
        currency: rate
        for currency, valid_from, valid_to, rate in rates
        if currency in wanted and valid_from <= on and (valid_to is None or valid_to >= on)
    }


EXCHANGE_RATES = "exchange-rates"
"""The data set each process keeps in memory (:mod:`onewindow.versions`)."""
versions.watch(EXCHANGE_RATES, [ExchangeRate])


def _all_rates(session: Session) -> tuple[tuple[str, date, date | None, Decimal], ...]:
    """Every exchange rate, the earliest start first (so that the latest wins in a dict)."""
    rows = session.execute(
        select(
            ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.valid_to, ExchangeRate.rate
        ).order_by(ExchangeRate.valid_from, ExchangeRate.id)
    )
    return tuple((c, f, t, r) for c, f, t, r in rows)


def list_exchange_rates(session: Session, on: date) -> Sequence[ExchangeRate]:
    """Every currency's rate in force on ``on``."""
    rows = session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.valid_from <= on)
        .where(or_(ExchangeRate.valid_to.is_(None), ExchangeRate.valid_to >= on))
        .order_by(ExchangeRate.currency, ExchangeRate.valid_from)
    )
    latest: dict[str, ExchangeRate] = {}
    for row in rows:
        latest[row.currency] = row
    return list(latest.values())
