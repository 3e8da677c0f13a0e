"""Reading published tariffs into :class:`TariffLine` records with dated measures.

Three sources, read without touching a database:

* :func:`load_uk_global_tariff`: the UK Global Tariff as published in 2020 (one CSV, columns
  ``commodity``, ``description``, ``ukgt_duty_rate`` and flags); its rates are in force from
  1 January 2021.
* :func:`load_us_hts`: the Harmonized Tariff Schedule of the United States, 2025 edition (one CSV
  per chapter); general, special-programme and column 2 rates, in force from 1 January 2025.
* :func:`load_national_tariff`: an administration's own tariff in the format described there.

Each returns a :class:`TariffLoad`: the lines, one :class:`Rejection` per rate that could not be
read (the line is kept without that measure), and per rate column how many were read and parsed.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from onewindow.tariff.engine import ERGA_OMNES, Measure, MeasureType, Rate
from onewindow.tariff.rates import RateParseError, parse_rate, parse_us_rate, parse_us_special

__all__ = [
    "NATIONAL_COLUMNS",
    "UK_VALID_FROM",
    "US_COLUMN_2",
    "US_ORIGIN_GROUPS",
    "US_PROGRAMMES",
    "US_VALID_FROM",
    "RateCount",
    "Rejection",
    "TariffFormatError",
    "TariffLine",
    "TariffLoad",
    "load_national_tariff",
    "load_uk_global_tariff",
    "load_us_hts",
    "normalise_commodity_code",
]

UK_VALID_FROM = date(2021, 1, 1)
US_VALID_FROM = date(2025, 1, 1)

UK_LEGAL_REFERENCE = (
    "The Customs Tariff (Establishment) (EU Exit) Regulations 2020 (UK Global Tariff)"
)

US_COLUMN_2 = "US COLUMN 2"
"""Origin group of the US column 2 rates (countries without normal trade relations)."""

US_ORIGIN_GROUPS: Mapping[str, frozenset[str]] = {
    # General Note 3(b) as amended in 2022: Cuba, North Korea, Russia, Belarus.
    US_COLUMN_2: frozenset({"CU", "KP", "RU", "BY"}),
}

US_PROGRAMMES: Mapping[str, str] = {
    "A": "Generalized System of Preferences",
    "A*": "Generalized System of Preferences (some beneficiaries excluded)",
    "A+": "Generalized System of Preferences (least-developed beneficiaries)",
    "AU": "United States-Australia Free Trade Agreement",
    "B": "Automotive Products Trade Act",
    "BH": "United States-Bahrain Free Trade Agreement",
    "C": "Agreement on Trade in Civil Aircraft",
    "CA": "North American Free Trade Agreement (Canada)",
    "CL": "United States-Chile Free Trade Agreement",
    "CO": "United States-Colombia Trade Promotion Agreement",
    "D": "African Growth and Opportunity Act",
    "E": "Caribbean Basin Economic Recovery Act",
    "IL": "United States-Israel Free Trade Area",
    "J": "Andean Trade Preference Act",
    "JO": "United States-Jordan Free Trade Area",
    "JP": "United States-Japan Trade Agreement",
    "K": "Agreement on Trade in Pharmaceutical Products",
    "KR": "United States-Korea Free Trade Agreement",
    "L": "Uruguay Round Concessions on Intermediate Chemicals for Dyes",
    "MA": "United States-Morocco Free Trade Agreement",
    "NP": "Nepal Preference Program",
    "OM": "United States-Oman Free Trade Agreement",
    "P": "Dominican Republic-Central America-United States Free Trade Agreement",
    "PA": "United States-Panama Trade Promotion Agreement",
    "PE": "United States-Peru Trade Promotion Agreement",
    "R": "Caribbean Basin Trade Partnership Act",
    "S": "United States-Mexico-Canada Agreement",
    "SG": "United States-Singapore Free Trade Agreement",
}

NATIONAL_COLUMNS = (
    "commodity_code",
    "description",
    "measure_type",
    "rate",
    "valid_from",
    "valid_to",
    "origin_group",
    "requires_proof_of_origin",
    "label",
    "legal_reference",
    "units",
)
"""Columns of the national tariff file; the first row names them, in any order."""

_NATIONAL_REQUIRED = ("commodity_code", "measure_type", "rate", "valid_from")


class TariffFormatError(ValueError):
    """A tariff file that cannot be read at all (a missing column, not a bad row)."""


@dataclass(frozen=True)
class TariffLine:
    """A commodity code of a tariff, with the measures that apply to goods classified under it.

    ``commodity_code`` is digits only; ``subheading`` its six-digit HS subheading; ``units`` the
    units of quantity to declare (UN/ECE Rec. 20 codes where known, else as published);
    ``declarable`` is false for a code that has more detailed codes under it; ``notes`` flags other
    measures the source says exist but does not give (trade remedies, suspensions).
    """

    commodity_code: str
    description: str
    subheading: str
    units: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()
    declarable: bool = True
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejection:
    """A rate that could not be read: on which code, the text as published, why, from which
    column."""

    code: str
    text: str
    reason: str
    column: str = ""


@dataclass(frozen=True)
class RateCount:
    """How many rate texts of one column were read, and how many of them parsed."""

    read: int = 0
    parsed: int = 0

    @property
    def share(self) -> float:
        """The share parsed, between 0 and 1 (1 when nothing was read)."""
        return self.parsed / self.read if self.read else 1.0


@dataclass(frozen=True)
class TariffLoad:
    """What a loader read: lines, rejected rates, and rate counts per column.

    The columns counted are ``ukgt_duty_rate`` (UK), ``general``, ``special`` (one count per
    programme code) and ``column_2`` (US), and ``rate`` (national file).
    """

    source: str
    lines: tuple[TariffLine, ...]
    rejections: tuple[Rejection, ...]
    rates: Mapping[str, RateCount] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Return the numbers an operator wants to see after a load."""
        return {
            "lines": len(self.lines),
            "declarable": sum(1 for line in self.lines if line.declarable),
            "measures": sum(len(line.measures) for line in self.lines),
            "rejections": len(self.rejections),
        }

    def by_code(self) -> dict[str, TariffLine]:
        """Index the lines by commodity code."""
        return {line.commodity_code: line for line in self.lines}


class _Counter:
    """Counts read and parsed rates per column while a loader runs."""

    def __init__(self) -> None:
        self.read: dict[str, int] = {}
        self.parsed: dict[str, int] = {}

    def add(self, column: str, parsed: bool) -> None:
        self.read[column] = self.read.get(column, 0) + 1
        self.parsed[column] = self.parsed.get(column, 0) + int(parsed)

    def result(self) -> dict[str, RateCount]:
        return {c: RateCount(n, self.parsed[c]) for c, n in self.read.items()}


def normalise_commodity_code(text: str) -> str:
    """Return a commodity code as digits only, restoring a leading zero a spreadsheet dropped.

    Codes have an even number of digits (6, 8 or 10); an odd count means the leading zero of
    chapters 01 to 09 was lost. Raises ``ValueError`` for anything else.

    >>> normalise_commodity_code("2201.10.00.00"), normalise_commodity_code("1012100")
    ('2201100000', '01012100')
    """
    digits = re.sub(r"[\s.]", "", text)
    if not digits.isdigit():
        raise ValueError(f"a commodity code has digits only, not {text!r}")
    if len(digits) % 2:
        digits = "0" + digits
    if not 6 <= len(digits) <= 10:
        raise ValueError(f"a commodity code has 6 to 10 digits, not {text!r}")
    return digits


def _declarable(codes: Iterable[str]) -> set[str]:
    """Return the codes that have no more detailed code under them."""
    ordered = sorted(set(codes))
    leaves = set()
    for index, code in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else ""
        if not following.startswith(code):
            leaves.add(code)
    return leaves


def _open(source: Path | str | TextIO) -> AbstractContextManager[TextIO]:
    """Open a path (closed after reading), or use a stream as given (left open for its owner)."""
    if isinstance(source, str | Path):
        return open(source, encoding="utf-8-sig", newline="")
    return nullcontext(source)


def _name(source: Path | str | TextIO) -> str:
    return str(source) if isinstance(source, str | Path) else getattr(source, "name", "<stream>")


# --- UK Global Tariff -----------------------------------------------------------------------------


def load_uk_global_tariff(source: Path | str | TextIO) -> TariffLoad:
    """Read the UK Global Tariff CSV (2020 publication) into lines with one duty measure each.

    The measure is the third-country (MFN) customs duty, erga omnes, in force from
    :data:`UK_VALID_FROM`. Seven- and nine-digit codes get their lost leading zero back.
    """
    counter = _Counter()
    rejections: list[Rejection] = []
    rows: list[tuple[str, str, tuple[Measure, ...], tuple[str, ...]]] = []
    with _open(source) as handle:
        for row in csv.DictReader(handle):
            code = normalise_commodity_code(row["commodity"])
            text = row["ukgt_duty_rate"]
            measures: tuple[Measure, ...] = ()
            try:
                rate = parse_rate(text)
            except RateParseError as error:
                rejections.append(Rejection(code, text, error.reason, "ukgt_duty_rate"))
                counter.add("ukgt_duty_rate", False)
            else:
                counter.add("ukgt_duty_rate", True)
                measures = (
                    Measure(
                        MeasureType.CUSTOMS_DUTY,
                        rate,
                        UK_VALID_FROM,
                        label="Customs duty (UK Global Tariff)",
                        legal_reference=UK_LEGAL_REFERENCE,
                    ),
                )
            notes = tuple(
                note
                for flag, note in (
                    ("trade_remedy_applies", "a trade remedy applies"),
                    ("suspension_applies", "a tariff suspension applies"),
                    ("atq_applies", "an autonomous tariff quota applies"),
                )
                if row.get(flag) == "True"
            )
            rows.append((code, row["description"].strip(), measures, notes))
    leaves = _declarable(code for code, *_ in rows)
    lines = tuple(
        TariffLine(code, description, code[:6], (), measures, code in leaves, notes)
        for code, description, measures, notes in rows
    )
    return TariffLoad(_name(source), lines, tuple(rejections), counter.result())


# --- US Harmonized Tariff Schedule ----------------------------------------------------------------

_US_UNITS = {
    "kg": "KGM",
    "g": "GRM",
    "t": "TNE",
    "liters": "LTR",
    "pf.liters": "PFL",
    "no.": "NAR",
    "pcs": "NAR",
    "doz.": "DZN",
    "dz pcs": "DZN",
    "prs.": "PR",
    "doz. prs.": "DPR",
    "gross": "GRO",
    "m": "MTR",
    "m2": "MTK",
    "m3": "MTQ",
    "bbl": "BLL",
    "carat": "CTM",
}


def _us_units(text: str) -> tuple[str, ...]:
    """Read the unit-of-quantity column (a JSON list with stray markup) into unit codes."""
    if not text.strip():
        return ()
    try:
        values = json.loads(text)
    except json.JSONDecodeError:
        values = [text]
    units = []
    for value in values:
        cleaned = re.sub(r"<[^>]*>", "", str(value)).replace("²", "2").replace("³", "3")
        cleaned = re.sub(r"\s+", " ", cleaned).strip()
        units.append(_US_UNITS.get(cleaned.lower(), cleaned))
    return tuple(u for u in units if u)


def _us_chapter_files(source: Path | str | Iterable[Path]) -> list[Path]:
    if isinstance(source, str | Path):
        folder = Path(source)
        return sorted(folder.glob("chapter-*.csv")) if folder.is_dir() else [folder]
    return list(source)


def _us_measures(
    code: str, row: Mapping[str, str], counter: _Counter, rejections: list[Rejection]
) -> tuple[Measure, ...]:
    """Read the three rate columns of a US row into measures, counting and rejecting."""
    shown = f"{code[:4]}.{code[4:6]}.{code[6:8]}"
    reference = f"HTSUS (2025) subheading {shown}"
    measures: list[Measure] = []

    def read(column: str, text: str) -> Rate | None:
        try:
            rate = parse_us_rate(text)
        except RateParseError as error:
            rejections.append(Rejection(code, text, error.reason, column))
            counter.add(column, False)
            return None
        counter.add(column, True)
        return rate

    general = row["General Rate of Duty"].strip()
    if general:
        rate = read("general", general)
        if rate is not None:
            measures.append(
                Measure(
                    MeasureType.CUSTOMS_DUTY,
                    rate,
                    US_VALID_FROM,
                    label="Customs duty (HTSUS general rate)",
                    legal_reference=f"{reference}, column 1 general",
                )
            )
    special = row["Special Rate of Duty"].strip()
    if special:
        try:
            programmes = parse_us_special(special)
        except RateParseError as error:
            rejections.append(Rejection(code, special, error.reason, "special"))
            counter.add("special", False)
            programmes = {}
        for programme, found in programmes.items():
            if isinstance(found, RateParseError):
                reason = f"programme {programme}: {found.reason}"
                rejections.append(Rejection(code, special, reason, "special"))
                counter.add("special", False)
                continue
            counter.add("special", True)
            name = US_PROGRAMMES.get(programme, f"programme {programme}")
            measures.append(
                Measure(
                    MeasureType.PREFERENTIAL_DUTY,
                    found,
                    US_VALID_FROM,
                    origin_group=programme,
                    requires_proof_of_origin=True,
                    label=f"Preferential duty ({name})",
                    legal_reference=f"{reference}, column 1 special ({programme})",
                )
            )
    column_2 = row["Column 2 Rate of Duty"].strip()
    if column_2:
        rate = read("column_2", column_2)
        if rate is not None:
            measures.append(
                Measure(
                    MeasureType.CUSTOMS_DUTY,
                    rate,
                    US_VALID_FROM,
                    origin_group=US_COLUMN_2,
                    label="Customs duty (HTSUS column 2)",
                    legal_reference=f"{reference}, column 2",
                )
            )
    return tuple(measures)


def _us_rows(files: Iterable[Path]) -> Iterator[dict[str, str]]:
    for path in files:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield from csv.DictReader(handle)


def load_us_hts(source: Path | str | Iterable[Path]) -> TariffLoad:
    """Read the HTSUS 2025 chapter CSVs (a folder, one file, or a list of files).

    Rates are published on eight-digit subheadings and inherited by their ten-digit statistical
    suffixes; a ten-digit line without an eight-digit parent carries its own. Every line of eight
    or ten digits becomes a :class:`TariffLine` with: the general rate (customs duty, erga omnes),
    one preferential measure per special programme code (origin group = the code, proof of origin
    required), and the column 2 rate (customs duty for origin group :data:`US_COLUMN_2`), all in
    force from :data:`US_VALID_FROM`. Each published rate text is counted once.
    """
    counter = _Counter()
    rejections: list[Rejection] = []
    inherited: dict[str, tuple[Measure, ...]] = {}
    rows: list[tuple[str, str, tuple[str, ...], tuple[Measure, ...]]] = []
    for row in _us_rows(_us_chapter_files(source)):
        number = row["HTS Number"].strip()
        if not number:
            continue
        code = re.sub(r"\D", "", number)
        if len(code) < 8:
            continue
        if row["General Rate of Duty"].strip() or len(code) == 8:
            measures = _us_measures(code, row, counter, rejections)
            inherited[code[:8]] = measures
        else:
            measures = inherited.get(code[:8], ())
        description = re.sub(r"<[^>]*>", "", row["Description"]).strip()
        rows.append((code, description, _us_units(row["Unit of Quantity"]), measures))
    leaves = _declarable(code for code, *_ in rows)
    lines = tuple(
        TariffLine(code, description, code[:6], units, measures, code in leaves)
        for code, description, units, measures in rows
    )
    name = str(source) if isinstance(source, str | Path) else "<chapter files>"
    return TariffLoad(name, lines, tuple(rejections), counter.result())


# --- a national tariff ----------------------------------------------------------------------------


def _date(text: str) -> date:
    return date.fromisoformat(text.strip())


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def load_national_tariff(source: Path | str | TextIO) -> TariffLoad:
    """Read an administration's own tariff: one measure per row, in a CSV with a header row.

    Columns (:data:`NATIONAL_COLUMNS`; the first four are required):

    ``commodity_code``
        6 to 10 digits, dots allowed; an odd count gets its lost leading zero back.
    ``description``
        the line's description (the first non-empty one for a code is kept).
    ``measure_type``
        ``customs_duty``, ``preferential_duty``, ``anti_dumping_duty``, ``excise`` or ``vat``.
    ``rate``
        a duty expression in the grammar of :func:`~onewindow.tariff.rates.parse_rate`, e.g.
        ``12%``, ``8% MIN 1.50 GBP / 100 kg``, ``10.00 GBP / hl``, ``Free``.
    ``valid_from``, ``valid_to``
        ISO dates; ``valid_to`` is the last day in force, empty for until further notice.
    ``origin_group``
        empty for erga omnes, else a country code or the code of a group or agreement.
    ``requires_proof_of_origin``
        true/false; empty means true for a preferential duty, false otherwise.
    ``label``, ``legal_reference``
        what the trader reads in the assessment's trace.
    ``units``
        units of quantity to declare, UN/ECE Rec. 20 codes separated by spaces.

    A bad row becomes a :class:`Rejection` (column ``rate``, ``measure_type``, ...); a missing
    required column raises :class:`TariffFormatError`.

    >>> text = '''commodity_code,description,measure_type,rate,valid_from,valid_to,origin_group
    ... 2203000100,Beer,customs_duty,Free,2021-01-01,,
    ... 2203000100,Beer,excise,19.08 GBP / % vol / hl,2023-08-01,,
    ... 2203000100,Beer,vat,20%,2011-01-04,,
    ... 2203000100,Beer,excise,twelve,2023-08-01,,'''
    >>> import io
    >>> load = load_national_tariff(io.StringIO(text))
    >>> load.counts()
    {'lines': 1, 'declarable': 1, 'measures': 3, 'rejections': 1}
    >>> load.rejections[0].reason
    "cannot read 'twelve'"
    """
    counter = _Counter()
    rejections: list[Rejection] = []
    descriptions: dict[str, str] = {}
    units: dict[str, tuple[str, ...]] = {}
    measures: dict[str, list[Measure]] = {}
    with _open(source) as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in _NATIONAL_REQUIRED if name not in header]
        if missing:
            raise TariffFormatError(f"the tariff file lacks the column(s) {', '.join(missing)}")
        for raw in reader:
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            try:
                code = normalise_commodity_code(row["commodity_code"])
            except ValueError as error:
                rejections.append(
                    Rejection(row["commodity_code"], "", str(error), "commodity_code")
                )
                continue
            measures.setdefault(code, [])
            if row.get("description") and code not in descriptions:
                descriptions[code] = row["description"]
            if row.get("units") and code not in units:
                units[code] = tuple(row["units"].upper().split())
            measure = _national_measure(code, row, counter, rejections)
            if measure is not None:
                measures[code].append(measure)
    leaves = _declarable(measures)
    lines = tuple(
        TariffLine(
            code,
            descriptions.get(code, ""),
            code[:6],
            units.get(code, ()),
            tuple(found),
            code in leaves,
        )
        for code, found in measures.items()
    )
    return TariffLoad(_name(source), lines, tuple(rejections), counter.result())


def _national_measure(
    code: str, row: Mapping[str, str], counter: _Counter, rejections: list[Rejection]
) -> Measure | None:
    """Read one row of the national file into a measure, or record why not."""
    text = row["rate"]
    try:
        rate = parse_rate(text)
    except RateParseError as error:
        rejections.append(Rejection(code, text, error.reason, "rate"))
        counter.add("rate", False)
        return None
    counter.add("rate", True)
    try:
        measure_type = MeasureType(row["measure_type"].lower())
    except ValueError:
        known = ", ".join(t.value for t in MeasureType)
        reason = f"unknown measure type {row['measure_type']!r} (one of {known})"
        rejections.append(Rejection(code, row["measure_type"], reason, "measure_type"))
        return None
    try:
        valid_from = _date(row["valid_from"])
        valid_to = _date(row["valid_to"]) if row.get("valid_to") else None
    except ValueError:
        dates = f"{row['valid_from']} / {row.get('valid_to', '')}"
        rejections.append(Rejection(code, dates, "dates are written YYYY-MM-DD", "valid_from"))
        return None
    proof = row.get("requires_proof_of_origin", "").lower()
    if proof and proof not in _TRUE | _FALSE:
        reason = "requires_proof_of_origin is true or false"
        rejections.append(Rejection(code, proof, reason, "requires_proof_of_origin"))
        return None
    requires_proof = proof in _TRUE if proof else measure_type == MeasureType.PREFERENTIAL_DUTY
    try:
        return Measure(
            measure_type,
            rate,
            valid_from,
            valid_to,
            origin_group=row.get("origin_group") or ERGA_OMNES,
            requires_proof_of_origin=requires_proof,
            label=row.get("label", ""),
            legal_reference=row.get("legal_reference", ""),
        )
    except ValueError as error:
        rejections.append(Rejection(code, f"{valid_from} / {valid_to}", str(error), "valid_to"))
        return None
