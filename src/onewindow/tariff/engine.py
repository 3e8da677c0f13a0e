"""The tariff engine: measures are dated data, and an assessment explains itself line by line.

A tariff is a set of :class:`Measure` records. Each measure says which tax it levies (customs duty,
preferential duty, anti-dumping duty, excise, VAT), at which :class:`Rate` (the duty expression),
from which day and until which day it is in force, for which origins, under which legal reference.
:func:`assess` picks the measures in force on a date for a goods line and computes every tax; the
result carries a trace a trader can read. :func:`assess_declaration` sums the lines of a
declaration and applies de minimis relief.

Money is :class:`~onewindow.money.Money`: a ``Decimal`` with its ISO 4217 currency, never a
float. Each tax on a line is rounded half up to the currency's minor unit before it enters the
next tax's base.

>>> from datetime import date
>>> from decimal import Decimal
>>> duty = Measure(MeasureType.CUSTOMS_DUTY, AdValorem(Decimal("12")), date(2021, 1, 1))
>>> vat = Measure(MeasureType.VAT, AdValorem(Decimal("20")), date(2011, 1, 4))
>>> line = GoodsLine("6403990000", Money(Decimal("1000"), "GBP"), origin="CN")
>>> result = assess(line, [duty, vat], date(2024, 5, 1))
>>> for step in result.trace:
...     print(step)
Customs duty 12% of GBP 1,000.00 customs value = GBP 120.00
VAT 20% of GBP 1,120.00 VAT value (customs value + duties + excise) = GBP 224.00
>>> print(result.total)
GBP 344.00
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from onewindow.money import Money, display_places, format_number

__all__ = [
    "ALCOHOLIC_STRENGTH",
    "DEGREES",
    "ERGA_OMNES",
    "UNITS",
    "AdValorem",
    "AssessmentError",
    "Bounded",
    "Charge",
    "ChargeContext",
    "Compound",
    "DayPeriod",
    "DeMinimis",
    "DeclarationAssessment",
    "DeclarationLine",
    "DegreeScale",
    "Free",
    "GoodsLine",
    "LineAssessment",
    "Measure",
    "MeasureType",
    "MissingQuantity",
    "PreferenceDecision",
    "Rate",
    "Season",
    "Seasonal",
    "Specific",
    "TraceStep",
    "UnitInfo",
    "assess",
    "assess_declaration",
    "belongs_to",
    "quantity_key",
]

ERGA_OMNES = "ERGA OMNES"
"""The origin group of a measure that applies whatever the origin of the goods."""

ALCOHOLIC_STRENGTH = "ASV"
"""Quantity key for the actual alcoholic strength in % vol (an attribute, not an amount)."""

DEGREES = "DEG"
"""Quantity key for a polarimetric (or other) reading in degrees, used by :class:`DegreeScale`."""

_HUNDRED = Decimal(100)


class AssessmentError(ValueError):
    """The goods line cannot be assessed as declared: the message says what is missing."""


class MissingQuantity(AssessmentError):
    """A specific rate needs a quantity that the goods line does not declare."""

    def __init__(self, unit: str, qualifier: str = "") -> None:
        self.unit = unit
        self.qualifier = qualifier
        what = UNITS[unit].label if unit in UNITS else unit
        if qualifier:
            what = f"{what} ({qualifier})"
        message = f"declare the quantity in {what} (quantity key {quantity_key(unit, qualifier)!r})"
        if unit in UNITS and UNITS[unit].dimension == "alcohol":
            message += f", or the volume and the alcoholic strength ({ALCOHOLIC_STRENGTH!r})"
        super().__init__(message)


# --- amounts in rates ----------------------------------------------------------------------------


def _rate_amount(amount: Decimal, currency: str) -> str:
    """Write a rate's amount with at least the currency's minor places: 77 GBP -> 77.00."""
    places = display_places(currency)
    text = format_number(amount)
    if len(text.partition(".")[2]) < places:
        return f"{amount:.{places}f}"
    return text


# --- units and quantities -------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitInfo:
    """A unit of measurement: its code, how it is written, and its size in its dimension."""

    code: str
    label: str
    dimension: str
    factor: Decimal


def _units(*rows: tuple[str, str, str, str]) -> dict[str, UnitInfo]:
    return {code: UnitInfo(code, label, dim, Decimal(f)) for code, label, dim, f in rows}


UNITS: Mapping[str, UnitInfo] = _units(
    # Codes follow UN/ECE Recommendation 20 where it has one; factors are to the dimension's base.
    ("KGM", "kg", "mass", "1"),
    ("GRM", "g", "mass", "0.001"),
    ("TNE", "tonne", "mass", "1000"),
    ("CTM", "carat", "mass", "0.0002"),
    ("LTR", "l", "volume", "1"),
    ("HLT", "hl", "volume", "100"),
    ("MTQ", "m3", "volume", "1000"),
    ("BLL", "bbl", "volume", "158.987294928"),
    # A % vol per hectolitre is one litre of pure alcohol; a proof litre is half of one.
    ("LPA", "l alc. 100%", "alcohol", "1"),
    ("ASV_HLT", "% vol / hl", "alcohol", "1"),
    ("PFL", "pf. liter", "alcohol", "0.5"),
    ("NAR", "item", "count", "1"),
    ("DZN", "doz.", "count", "12"),
    ("GRO", "gross", "count", "144"),
    ("PR", "pair", "pairs", "1"),
    ("DPR", "doz. pairs", "pairs", "12"),
    ("MTK", "m2", "area", "1"),
    ("MTR", "m", "length", "1"),
)
"""The units a specific rate may be expressed in, by code."""


def quantity_key(unit: str, qualifier: str = "") -> str:
    """Return the key under which a goods line declares a quantity in a unit, with its qualifier.

    >>> quantity_key("KGM"), quantity_key("KGM", "drained weight")
    ('KGM', 'KGM drained weight')
    """
    return f"{unit} {qualifier}" if qualifier else unit


def _quantity(quantities: Mapping[str, Decimal], unit: str, qualifier: str) -> Decimal:
    """Find the quantity in ``unit``: declared as such, or converted from the same dimension."""
    key = quantity_key(unit, qualifier)
    if key in quantities:
        return Decimal(quantities[key])
    wanted = UNITS.get(unit)
    if wanted is None:
        raise MissingQuantity(unit, qualifier)
    for other_key, value in quantities.items():
        code, _, other_qualifier = other_key.partition(" ")
        other = UNITS.get(code)
        if other and other_qualifier == qualifier and other.dimension == wanted.dimension:
            return Decimal(value) * other.factor / wanted.factor
    if wanted.dimension == "alcohol" and ALCOHOLIC_STRENGTH in quantities:
        # Pure alcohol follows from the volume and the strength, as the trader declares both.
        try:
            litres = _quantity(quantities, "LTR", qualifier)
        except MissingQuantity:
            raise MissingQuantity(unit, qualifier) from None
        pure = litres * Decimal(quantities[ALCOHOLIC_STRENGTH]) / _HUNDRED
        return pure / wanted.factor
    raise MissingQuantity(unit, qualifier)


# --- rates (duty expressions) ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeContext:
    """What a rate is applied to: the value base, the declared quantities, and the date."""

    base: Money
    base_name: str
    on: date
    quantities: Mapping[str, Decimal] = field(default_factory=dict)
    part_values: Mapping[str, Money] = field(default_factory=dict)
    exchange_rates: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        """The currency every charge is computed in: the base's (national) currency."""
        return self.base.currency

    def quantity(self, unit: str, qualifier: str = "") -> Decimal:
        """Return the declared quantity in ``unit``; raise :class:`MissingQuantity` if none."""
        return _quantity(self.quantities, unit, qualifier)


@dataclass(frozen=True)
class Charge:
    """An unrounded amount and the working that explains it."""

    amount: Money
    working: str


class Rate:
    """A duty expression: what a measure charges. Subclasses are immutable value objects."""

    def charge(self, ctx: ChargeContext) -> Charge:
        """Compute the amount due on ``ctx`` and explain how."""
        raise NotImplementedError

    def quantity_keys(self) -> frozenset[str]:
        """Return the quantity keys the rate may need from a goods line."""
        return frozenset()


@dataclass(frozen=True)
class Free(Rate):
    """No duty.

    >>> str(Free())
    'Free'
    """

    def charge(self, ctx: ChargeContext) -> Charge:
        return Charge(Money.zero(ctx.currency), "free")

    def __str__(self) -> str:
        return "Free"


@dataclass(frozen=True)
class AdValorem(Rate):
    """A percentage of the value, or of the value of a named part of the goods (``part``).

    >>> ctx = ChargeContext(Money(Decimal("250"), "GBP"), "customs value", date(2024, 1, 1))
    >>> AdValorem(Decimal("8.00")).charge(ctx).working
    '8% of GBP 250.00 customs value'
    """

    percent: Decimal
    part: str = ""

    def charge(self, ctx: ChargeContext) -> Charge:
        if self.part:
            base = ctx.part_values.get(self.part)
            if base is None:
                raise AssessmentError(f"declare the value of the {self.part} (part value key)")
            if base.currency != ctx.currency:
                raise AssessmentError(f"declare the value of the {self.part} in {ctx.currency}")
            base_text = f"{base} value of the {self.part}"
        else:
            base, base_text = ctx.base, f"{ctx.base} {ctx.base_name}"
        amount = base.times(self.percent / _HUNDRED)
        return Charge(amount, f"{format_number(self.percent)}% of {base_text}")

    def __str__(self) -> str:
        text = f"{format_number(self.percent)}%"
        return f"{text} on the {self.part}" if self.part else text


@dataclass(frozen=True)
class Specific(Rate):
    """An amount of money per quantity: ``amount currency / [per] unit [/ qualifier]``.

    ``per`` is the number of units the amount is for (100 for "per 100 kg"); ``qualifier`` names
    what is measured when it is not the goods as such (``"drained weight"``, ``"lactic matter"``).

    >>> rate = Specific(Decimal("12.10"), "GBP", "KGM", per=Decimal(100))
    >>> str(rate)
    '12.10 GBP / 100 kg'
    >>> ctx = ChargeContext(Money(Decimal("900"), "GBP"), "customs value", date(2024, 1, 1),
    ...                     quantities={"TNE": Decimal("2.5")})
    >>> charge = rate.charge(ctx)
    >>> charge.working, str(charge.amount)
    ('GBP 12.10 per 100 kg on 2,500 kg', 'GBP 302.50')
    """

    amount: Decimal
    currency: str
    unit: str
    per: Decimal = Decimal(1)
    qualifier: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit code {self.unit!r}")
        display_places(self.currency)  # refuses an unknown currency

    def unit_text(self) -> str:
        """Write the unit part, e.g. ``100 kg / drained weight``."""
        text = _unit_words(self.per, self.unit)
        return f"{text} / {self.qualifier}" if self.qualifier else text

    def charge(self, ctx: ChargeContext) -> Charge:
        quantity = ctx.quantity(self.unit, self.qualifier)
        unit_amount, fx_text = _in_currency(Money(self.amount, self.currency), ctx)
        amount = unit_amount.times(quantity / self.per)
        qualifier = f" {self.qualifier}" if self.qualifier else ""
        working = (
            f"{self.currency} {_rate_amount(self.amount, self.currency)} per "
            f"{_unit_words(self.per, self.unit)}{qualifier}{fx_text} on "
            f"{_unit_words(quantity, self.unit, counted=True)}{qualifier}"
        )
        return Charge(amount, working)

    def quantity_keys(self) -> frozenset[str]:
        return frozenset({quantity_key(self.unit, self.qualifier)})

    def __str__(self) -> str:
        return f"{_rate_amount(self.amount, self.currency)} {self.currency} / {self.unit_text()}"


def _unit_words(count: Decimal, unit: str, *, counted: bool = False) -> str:
    """Write a count of a unit: ``kg`` (per one, unless ``counted``), ``100 kg``, ``1,000 items``.

    >>> _unit_words(Decimal(1), "KGM"), _unit_words(Decimal(1), "KGM", counted=True)
    ('kg', '1 kg')
    """
    label = UNITS[unit].label
    if count == 1 and not counted:
        return label
    plural = "items" if unit == "NAR" and count != 1 else label
    return f"{format_number(count, grouping=True)} {plural}"


def _in_currency(price: Money, ctx: ChargeContext) -> tuple[Money, str]:
    """Convert a rate's amount into the national currency at the declared exchange rate."""
    if price.currency == ctx.currency:
        return price, ""
    fx = ctx.exchange_rates.get(price.currency)
    if fx is None:
        raise AssessmentError(f"no exchange rate from {price.currency} to {ctx.currency} given")
    text = f" at {format_number(fx)} {ctx.currency}/{price.currency}"
    return Money(price.amount * fx, ctx.currency), text


@dataclass(frozen=True)
class Compound(Rate):
    """The sum of several components, e.g. ``8% + 12.10 GBP / 100 kg``."""

    components: tuple[Rate, ...]

    def charge(self, ctx: ChargeContext) -> Charge:
        parts = [component.charge(ctx) for component in self.components]
        total = Money.zero(ctx.currency)
        for part in parts:
            total = total + part.amount
        return Charge(total, " + ".join(f"{p.working} ({p.amount})" for p in parts))

    def quantity_keys(self) -> frozenset[str]:
        return frozenset().union(*(c.quantity_keys() for c in self.components))

    def __str__(self) -> str:
        return " + ".join(str(c) for c in self.components)


@dataclass(frozen=True)
class Bounded(Rate):
    """A rate with a minimum and/or a maximum clause, e.g. ``8% MIN 1.50 GBP / 100 kg``.

    >>> rate = Bounded(AdValorem(Decimal(8)), minimum=Specific(Decimal("1.50"), "GBP", "KGM",
    ...                per=Decimal(100)))
    >>> ctx = ChargeContext(Money(Decimal("100"), "GBP"), "customs value", date(2024, 1, 1),
    ...                     quantities={"KGM": Decimal(1000)})
    >>> print(rate.charge(ctx).amount)
    GBP 15.00
    """

    rate: Rate
    minimum: Rate | None = None
    maximum: Rate | None = None

    def charge(self, ctx: ChargeContext) -> Charge:
        main = self.rate.charge(ctx)
        notes = []
        if self.minimum is not None:
            low = self.minimum.charge(ctx)
            if main.amount < low.amount:
                return Charge(
                    low.amount,
                    f"{main.working} = {main.amount}, below the minimum of {low.working}"
                    f" = {low.amount}, so the minimum applies",
                )
            notes.append(f"not below the minimum of {low.amount}")
        if self.maximum is not None:
            high = self.maximum.charge(ctx)
            if main.amount > high.amount:
                return Charge(
                    high.amount,
                    f"{main.working} = {main.amount}, above the maximum of {high.working}"
                    f" = {high.amount}, so the maximum applies",
                )
            notes.append(f"not above the maximum of {high.amount}")
        return Charge(main.amount, f"{main.working} ({', '.join(notes)})")

    def quantity_keys(self) -> frozenset[str]:
        keys = self.rate.quantity_keys()
        for clause in (self.minimum, self.maximum):
            if clause is not None:
                keys = keys | clause.quantity_keys()
        return keys

    def __str__(self) -> str:
        text = str(self.rate)
        if self.minimum is not None:
            text += f" MIN {self.minimum}"
        if self.maximum is not None:
            text += f" MAX {self.maximum}"
        return text


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class DayPeriod:
    """A period of every year, from one day to another, both included; it may span New Year.

    >>> winter = DayPeriod(11, 1, 4, 30)
    >>> str(winter), winter.contains(date(2024, 1, 15)), winter.contains(date(2024, 6, 1))
    ('01 NOV - 30 APR', True, False)
    """

    start_month: int
    start_day: int
    end_month: int
    end_day: int

    def __post_init__(self) -> None:
        for month, day in ((self.start_month, self.start_day), (self.end_month, self.end_day)):
            # 2000 is a leap year, so 29 February is a valid day of a period.
            if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
                raise ValueError(f"no such day: {day} of month {month}")

    def contains(self, on: date) -> bool:
        """Tell whether the day falls in the period, whatever the year."""
        day, start = (on.month, on.day), (self.start_month, self.start_day)
        end = (self.end_month, self.end_day)
        if start <= end:
            return start <= day <= end
        return day >= start or day <= end

    def __str__(self) -> str:
        start = f"{self.start_day:02d} {_MONTHS[self.start_month - 1]}"
        return f"{start} - {self.end_day:02d} {_MONTHS[self.end_month - 1]}"


@dataclass(frozen=True)
class Season:
    """A rate for some periods of the year; no periods means for the rest of the year."""

    rate: Rate
    periods: tuple[DayPeriod, ...] = ()

    def __str__(self) -> str:
        if not self.periods:
            return str(self.rate)
        return f"{self.rate} ({', '.join(str(p) for p in self.periods)})"


@dataclass(frozen=True)
class Seasonal(Rate):
    """Different rates for different periods of the year (fresh fruit, vegetables, fish).

    >>> rate = Seasonal((Season(AdValorem(Decimal(14)), (DayPeriod(7, 1, 1, 31),)),
    ...                  Season(AdValorem(Decimal(0)), (DayPeriod(2, 1, 6, 30),))))
    >>> str(rate)
    '14% (01 JUL - 31 JAN), 0% (01 FEB - 30 JUN)'
    >>> ctx = ChargeContext(Money(Decimal(100), "GBP"), "customs value", date(2024, 3, 1))
    >>> rate.charge(ctx).working
    'rate 0% for 01 FEB - 30 JUN: 0% of GBP 100.00 customs value'
    """

    seasons: tuple[Season, ...]

    def charge(self, ctx: ChargeContext) -> Charge:
        for season in self.seasons:
            if any(p.contains(ctx.on) for p in season.periods):
                found = season.rate.charge(ctx)
                periods = ", ".join(str(p) for p in season.periods)
                return Charge(found.amount, f"rate {season.rate} for {periods}: {found.working}")
        for season in self.seasons:
            if not season.periods:
                found = season.rate.charge(ctx)
                rest = f"rate {season.rate} for the rest of the year"
                return Charge(found.amount, f"{rest}: {found.working}")
        raise AssessmentError(f"the seasonal rate {self} sets no rate for {ctx.on:%d %b}")

    def quantity_keys(self) -> frozenset[str]:
        return frozenset().union(*(s.rate.quantity_keys() for s in self.seasons))

    def __str__(self) -> str:
        return ", ".join(str(s) for s in self.seasons)


@dataclass(frozen=True)
class DegreeScale(Rate):
    """A specific rate reduced for each degree the goods fall short of a reference reading.

    This is the US raw sugar rate: "1.4606¢/kg less 0.020668¢/kg for each degree under 100
    degrees (and fractions of a degree in proportion) but not less than 0.943854¢/kg". The reading
    is declared under the quantity key :data:`DEGREES`; ``reduction`` and ``floor`` are per the
    same unit as ``rate``.

    >>> rate = DegreeScale(Specific(Decimal("0.014606"), "USD", "KGM"),
    ...                    Decimal("0.00020668"), Decimal(100), Decimal("0.00943854"))
    >>> ctx = ChargeContext(Money(Decimal(5000), "USD"), "customs value", date(2025, 3, 1),
    ...                     quantities={"KGM": Decimal(10000), "DEG": Decimal(96)})
    >>> print(rate.charge(ctx).amount.exact())
    USD 137.7928
    """

    rate: Specific
    reduction: Decimal
    reference: Decimal
    floor: Decimal | None = None

    def charge(self, ctx: ChargeContext) -> Charge:
        if DEGREES not in ctx.quantities:
            raise AssessmentError(f"declare the reading in degrees (quantity key {DEGREES!r})")
        reading = Decimal(ctx.quantities[DEGREES])
        shortfall = max(Decimal(0), self.reference - reading)
        per_unit = self.rate.amount - self.reduction * shortfall
        floored = self.floor is not None and per_unit < self.floor
        if floored and self.floor is not None:
            per_unit = self.floor
        adjusted = Specific(
            per_unit, self.rate.currency, self.rate.unit, self.rate.per, self.rate.qualifier
        )
        found = adjusted.charge(ctx)
        why = (
            f"at {format_number(reading)} degrees, {format_number(shortfall)} under "
            f"{format_number(self.reference)}" + (", the floor applies" if floored else "")
        )
        return Charge(found.amount, f"{found.working} ({why})")

    def quantity_keys(self) -> frozenset[str]:
        return self.rate.quantity_keys() | {DEGREES}

    def __str__(self) -> str:
        cur = self.rate.currency
        text = (
            f"{self.rate} less {format_number(self.reduction)} {cur} / {self.rate.unit_text()} "
            f"for each degree under {format_number(self.reference)} degrees"
        )
        if self.floor is not None:
            text += (
                f" but not less than {format_number(self.floor)} {cur} / {self.rate.unit_text()}"
            )
        return text


# --- measures -------------------------------------------------------------------------------------


class MeasureType(StrEnum):
    """The kinds of tax a measure levies, in the order an assessment computes them."""

    CUSTOMS_DUTY = "customs_duty"
    PREFERENTIAL_DUTY = "preferential_duty"
    ANTI_DUMPING_DUTY = "anti_dumping_duty"
    EXCISE = "excise"
    VAT = "vat"

    @property
    def label(self) -> str:
        """How a trader reads the tax's name."""
        return _LABELS[self]


_LABELS = {
    MeasureType.CUSTOMS_DUTY: "Customs duty",
    MeasureType.PREFERENTIAL_DUTY: "Preferential duty",
    MeasureType.ANTI_DUMPING_DUTY: "Anti-dumping duty",
    MeasureType.EXCISE: "Excise",
    MeasureType.VAT: "VAT",
}
_ORDER = list(MeasureType)


def belongs_to(
    origin: str, group: str, origin_groups: Mapping[str, Collection[str]] | None = None
) -> bool:
    """Tell whether a country of origin belongs to a measure's origin group.

    A group listed in ``origin_groups`` has those member countries; a group not listed is taken
    to be a single country with that code (trade agreements are often coded by the partner).

    >>> belongs_to("AU", ERGA_OMNES), belongs_to("AU", "AU"), belongs_to("NZ", "AU")
    (True, True, False)
    >>> belongs_to("KE", "A", {"A": {"KE", "GH"}})
    True
    """
    if group == ERGA_OMNES:
        return True
    if origin_groups is not None and group in origin_groups:
        return origin in origin_groups[group]
    return origin == group


@dataclass(frozen=True)
class Measure:
    """A tax at a rate, in force from ``valid_from`` to ``valid_to``, for an origin group.

    ``valid_to`` is the last day the measure is in force (inclusive, as in a tariff's published
    end dates); ``None`` means until further notice. ``origin_group`` is :data:`ERGA_OMNES`, a
    country code, or the code of a group such as a trade agreement or preference programme.

    >>> m = Measure(MeasureType.CUSTOMS_DUTY, Free(), date(2021, 1, 1), date(2021, 12, 31))
    >>> m.in_force(date(2021, 12, 31)), m.in_force(date(2022, 1, 1))
    (True, False)
    """

    measure_type: MeasureType
    rate: Rate
    valid_from: date
    valid_to: date | None = None
    origin_group: str = ERGA_OMNES
    requires_proof_of_origin: bool = False
    label: str = ""
    legal_reference: str = ""

    def __post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"measure ends ({self.valid_to}) before it starts ({self.valid_from})")

    @property
    def title(self) -> str:
        """The measure's label, or the name of its tax."""
        return self.label or self.measure_type.label

    def in_force(self, on: date) -> bool:
        """Tell whether the measure applies on that day."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


# --- assessment -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoodsLine:
    """One line of goods as declared: what, what value, from where, how much.

    ``customs_value`` is already in the national currency. ``quantities`` maps quantity keys
    (:func:`quantity_key`, e.g. ``"KGM"``, ``"LTR"``, ``"KGM drained weight"``, plus
    :data:`ALCOHOLIC_STRENGTH` and :data:`DEGREES`) to decimals. ``part_values`` gives the value of
    named parts for rates charged on a part (a watch's case). ``intrinsic_value`` (the goods'
    own price, for de minimis) defaults to the customs value; ``vat_additions`` are costs that enter
    the VAT value but not the customs value (carriage to the place of destination).
    """

    commodity_code: str
    customs_value: Money
    origin: str
    quantities: Mapping[str, Decimal] = field(default_factory=dict)
    part_values: Mapping[str, Money] = field(default_factory=dict)
    intrinsic_value: Money | None = None
    vat_additions: Money | None = None
    description: str = ""


@dataclass(frozen=True)
class TraceStep:
    """One line of the explanation a trader reads: which measure, what rate, on what, how much.

    ``amount`` is ``None`` for a step that decides rather than charges (a refused preference).
    """

    measure_type: MeasureType
    label: str
    legal_reference: str
    rate_text: str
    base: Money | None
    amount: Money | None
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class PreferenceDecision:
    """What became of a claimed preference, and why."""

    claimed: str
    granted: bool
    reason: str


@dataclass(frozen=True)
class LineAssessment:
    """The taxes due on one goods line, rounded per tax, and the trace that explains them.

    ``amounts`` holds one entry per tax levied (zero if relieved); the customs duty entry is the
    duty actually charged, preferential if a preference was granted (see ``preference``).
    ``not_collected`` holds the amounts a relief waived.
    """

    item: GoodsLine
    on: date
    amounts: Mapping[MeasureType, Money]
    vat_value: Money | None
    preference: PreferenceDecision | None
    trace: tuple[TraceStep, ...]
    not_collected: Mapping[MeasureType, Money] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        """The national currency the line is assessed in."""
        return self.item.customs_value.currency

    def amount(self, measure_type: MeasureType) -> Money:
        """Return the amount of one tax on the line, zero if none is charged."""
        return self.amounts.get(measure_type, Money.zero(self.currency))

    @property
    def total(self) -> Money:
        """All taxes on the line."""
        total = Money.zero(self.currency)
        for amount in self.amounts.values():
            total = total + amount
        return total


def _applicable(
    measures: Sequence[Measure],
    measure_type: MeasureType,
    origin: str,
    origin_groups: Mapping[str, Collection[str]] | None,
) -> Measure | None:
    """Pick the measure of a type that governs the origin.

    A measure for a specific origin group beats an erga omnes one; among equals the latest
    ``valid_from`` wins, as later legislation supersedes earlier.
    """
    found = [
        m
        for m in measures
        if m.measure_type == measure_type and belongs_to(origin, m.origin_group, origin_groups)
    ]
    if not found:
        return None
    return max(found, key=lambda m: (m.origin_group != ERGA_OMNES, m.valid_from))


def _step(measure: Measure, base: Money, charge: Charge, amount: Money) -> TraceStep:
    exact = charge.amount
    result = str(amount) if exact == amount else f"{exact.exact()}, rounded to {amount}"
    simple = isinstance(measure.rate, AdValorem | Specific | Free)
    prefix = measure.title if simple else f"{measure.title} {measure.rate}:"
    return TraceStep(
        measure_type=measure.measure_type,
        label=measure.title,
        legal_reference=measure.legal_reference,
        rate_text=str(measure.rate),
        base=base,
        amount=amount,
        text=f"{prefix} {charge.working} = {result}",
    )


def _note(measure_type: MeasureType, label: str, text: str, reference: str = "") -> TraceStep:
    return TraceStep(measure_type, label, reference, "", None, None, text)


def _decide_preference(
    in_force: Sequence[Measure],
    claimed: str,
    item: GoodsLine,
    proof_of_origin: bool,
    origin_groups: Mapping[str, Collection[str]] | None,
    on: date,
    proof_refused: str = "",
) -> tuple[Measure | None, str]:
    """Return the preferential measure that may apply, or None and the reason it may not."""
    candidates = [
        m
        for m in in_force
        if m.measure_type == MeasureType.PREFERENTIAL_DUTY and m.origin_group == claimed
    ]
    if not candidates:
        return None, f"no preferential rate under {claimed} is in force on {on.isoformat()}"
    measure = max(candidates, key=lambda m: m.valid_from)
    if measure.requires_proof_of_origin and proof_refused:
        return None, proof_refused
    if measure.requires_proof_of_origin and not proof_of_origin:
        return None, f"no proof of origin was given for the preference under {claimed}"
    if not belongs_to(item.origin, claimed, origin_groups):
        return None, f"origin {item.origin} is not a beneficiary of {claimed}"
    return measure, ""


def assess(
    item: GoodsLine,
    measures: Sequence[Measure],
    on: date,
    *,
    proof_of_origin: bool = False,
    preference_claimed: str | None = None,
    origin_groups: Mapping[str, Collection[str]] | None = None,
    exchange_rates: Mapping[str, Decimal] | None = None,
    relieved: Mapping[MeasureType, str] | None = None,
    proof_refused: str = "",
) -> LineAssessment:
    """Assess the duties and taxes on one goods line under the measures in force on ``on``.

    In order: the customs duty (the most specific measure for the origin); a claimed preference,
    granted only if its measure is in force, the origin is a beneficiary, proof of origin is given
    where required (and not refused: ``proof_refused`` says why the proof given does not hold),
    and it is not dearer than the customs duty; anti-dumping duty; excise on
    the customs value plus duties (ad valorem) or per unit (specific); VAT on the customs value
    plus duties, excise and ``vat_additions``. Each tax is rounded to the currency's minor unit.
    A tax in ``relieved`` (type and the reason shown to the trader) is computed, then not
    collected, and so stays out of the later bases.

    Raises :class:`AssessmentError` when no customs duty measure is in force, or a rate needs a
    quantity, part value or exchange rate that was not given.

    >>> mfn = Measure(MeasureType.CUSTOMS_DUTY, AdValorem(Decimal(10)), date(2021, 1, 1),
    ...               label="Customs duty")
    >>> fta = Measure(MeasureType.PREFERENTIAL_DUTY, Free(), date(2021, 1, 1), origin_group="AU",
    ...               requires_proof_of_origin=True, label="Preference (UK-Australia FTA)")
    >>> line = GoodsLine("0204", Money(Decimal(500), "GBP"), origin="AU")
    >>> result = assess(line, [mfn, fta], date(2024, 1, 1), preference_claimed="AU")
    >>> result.preference.reason
    'no proof of origin was given for the preference under AU'
    >>> print(result.amount(MeasureType.CUSTOMS_DUTY))
    GBP 50.00
    >>> granted = assess(line, [mfn, fta], date(2024, 1, 1), preference_claimed="AU",
    ...                  proof_of_origin=True)
    >>> print(granted.amount(MeasureType.CUSTOMS_DUTY), granted.preference.granted)
    GBP 0.00 True
    """
    value = item.customs_value
    currency = value.currency
    in_force = [m for m in measures if m.in_force(on)]
    trace: list[TraceStep] = []
    amounts: dict[MeasureType, Money] = {}
    not_collected: dict[MeasureType, Money] = {}

    def levy(measure: Measure, base: Money, base_name: str) -> tuple[Money, TraceStep]:
        ctx = ChargeContext(
            base=base,
            base_name=base_name,
            on=on,
            quantities=item.quantities,
            part_values=item.part_values,
            exchange_rates=exchange_rates or {},
        )
        charge = measure.rate.charge(ctx)
        amount = charge.amount.rounded()
        return amount, _step(measure, base, charge, amount)

    def settle(measure_type: MeasureType, amount: Money) -> Money:
        """Record the tax, unless a relief waives it."""
        if relieved is None or measure_type not in relieved:
            amounts[measure_type] = amount
            return amount
        not_collected[measure_type] = amount
        amounts[measure_type] = Money.zero(currency)
        text = f"{measure_type.label} of {amount} not collected: {relieved[measure_type]}"
        trace.append(_note(measure_type, "Relief", text))
        return amounts[measure_type]

    mfn = _applicable(in_force, MeasureType.CUSTOMS_DUTY, item.origin, origin_groups)
    if mfn is None:
        raise AssessmentError(
            f"no customs duty measure is in force on {on.isoformat()} for {item.commodity_code}"
            f" from {item.origin}"
        )
    duty, mfn_step = levy(mfn, value, "customs value")
    trace.append(mfn_step)
    decision: PreferenceDecision | None = None
    if preference_claimed:
        duty, decision = _apply_preference(
            preference_claimed,
            duty,
            _decide_preference(
                in_force,
                preference_claimed,
                item,
                proof_of_origin,
                origin_groups,
                on,
                proof_refused,
            ),
            lambda m: levy(m, value, "customs value"),
            item.origin,
            trace,
        )
    duties = settle(MeasureType.CUSTOMS_DUTY, duty)

    anti_dumping = _applicable(in_force, MeasureType.ANTI_DUMPING_DUTY, item.origin, origin_groups)
    if anti_dumping is not None:
        amount, step = levy(anti_dumping, value, "customs value")
        trace.append(step)
        duties = duties + settle(MeasureType.ANTI_DUMPING_DUTY, amount)

    excise_due = Money.zero(currency)
    excise = _applicable(in_force, MeasureType.EXCISE, item.origin, origin_groups)
    if excise is not None:
        amount, step = levy(excise, value + duties, "customs value + duties")
        trace.append(step)
        excise_due = settle(MeasureType.EXCISE, amount)

    vat_value: Money | None = None
    vat = _applicable(in_force, MeasureType.VAT, item.origin, origin_groups)
    if vat is not None:
        vat_value = value + duties + excise_due
        name = "VAT value (customs value + duties + excise"
        if item.vat_additions is not None:
            vat_value = vat_value + item.vat_additions
            name += " + costs to destination"
        amount, step = levy(vat, vat_value, name + ")")
        trace.append(step)
        settle(MeasureType.VAT, amount)

    return LineAssessment(item, on, amounts, vat_value, decision, tuple(trace), not_collected)


def _apply_preference(
    claimed: str,
    duty: Money,
    decided: tuple[Measure | None, str],
    levy: Callable[[Measure], tuple[Money, TraceStep]],
    origin: str,
    trace: list[TraceStep],
) -> tuple[Money, PreferenceDecision]:
    """Grant or refuse a claimed preference, explain why in the trace, return the duty due."""
    preferential, refusal = decided
    kind = MeasureType.PREFERENTIAL_DUTY
    if preferential is None:
        text = f"Preference under {claimed} refused: {refusal}; the customs duty of {duty} applies"
        trace.append(_note(kind, "Preference refused", text))
        return duty, PreferenceDecision(claimed, False, refusal)
    pref_duty, pref_step = levy(preferential)
    trace.append(pref_step)
    if pref_duty > duty:
        reason = f"the customs duty of {duty} is lower than the preferential {pref_duty}"
        trace.append(
            _note(kind, "Preference not used", f"Preference under {claimed} not used: {reason}")
        )
        return duty, PreferenceDecision(claimed, False, reason)
    reason = f"origin {origin} qualifies under {claimed}"
    if preferential.requires_proof_of_origin:
        reason += " with proof of origin"
    text = (
        f"Preference under {claimed} granted ({reason}): {pref_duty} is charged instead of {duty}"
    )
    trace.append(_note(kind, "Preference granted", text, preferential.legal_reference))
    return pref_duty, PreferenceDecision(claimed, True, reason)


# --- declarations and de minimis ------------------------------------------------------------------


@dataclass(frozen=True)
class DeMinimis:
    """A relief: taxes of the given types are not collected on a consignment whose intrinsic
    value does not exceed the threshold. In force from ``valid_from`` to ``valid_to`` (inclusive);
    it applies only to declarations in the threshold's currency.
    """

    threshold: Money
    relieves: frozenset[MeasureType]
    valid_from: date
    valid_to: date | None = None
    label: str = "Low-value consignment relief"
    legal_reference: str = ""

    def in_force(self, on: date) -> bool:
        """Tell whether the relief applies on that day."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class DeclarationLine:
    """A goods line of a declaration, with the measures of its commodity code and its claim."""

    item: GoodsLine
    measures: Sequence[Measure]
    preference_claimed: str | None = None
    proof_of_origin: bool = False
    proof_refused: str = ""
    """Why the proof of origin given does not hold (a certificate its issuer never sent)."""


@dataclass(frozen=True)
class DeclarationAssessment:
    """The taxes due on a declaration: its lines, totals after relief, and the trace."""

    lines: tuple[LineAssessment, ...]
    intrinsic_value: Money
    amounts: Mapping[MeasureType, Money]
    relieved: frozenset[MeasureType]
    not_collected: Mapping[MeasureType, Money]
    trace: tuple[TraceStep, ...]

    @property
    def total(self) -> Money:
        """All taxes payable on the declaration."""
        total = Money.zero(self.intrinsic_value.currency)
        for amount in self.amounts.values():
            total = total + amount
        return total


def assess_declaration(
    lines: Sequence[DeclarationLine],
    on: date,
    *,
    de_minimis: Sequence[DeMinimis] = (),
    origin_groups: Mapping[str, Collection[str]] | None = None,
    exchange_rates: Mapping[str, Decimal] | None = None,
) -> DeclarationAssessment:
    """Assess every line of one declaration, applying the de minimis reliefs in force.

    The consignment's intrinsic value is the sum of the lines' intrinsic values (customs value
    where none is declared). A relief in force, in the declaration's currency, whose threshold
    that value does not exceed waives the taxes it names on every line, before the later taxes'
    bases are computed (a waived duty is not in the VAT value). The trace says which and why.

    >>> duty = Measure(MeasureType.CUSTOMS_DUTY, AdValorem(Decimal(12)), date(2021, 1, 1))
    >>> vat = Measure(MeasureType.VAT, AdValorem(Decimal(20)), date(2021, 1, 1))
    >>> goods = DeclarationLine(GoodsLine("6403", Money(Decimal(100), "GBP"), "CN"), [duty, vat])
    >>> relief = DeMinimis(Money(Decimal(135), "GBP"), frozenset({MeasureType.CUSTOMS_DUTY}),
    ...                    date(2021, 1, 1))
    >>> result = assess_declaration([goods], date(2024, 1, 1), de_minimis=[relief])
    >>> print(result.total)
    GBP 20.00
    >>> for step in result.trace:
    ...     print(step.text[:70])
    Customs duty not collected: the consignment's intrinsic value GBP 100.
    Customs duty on 1 line(s) = GBP 0.00 (GBP 12.00 not collected)
    VAT on 1 line(s) = GBP 20.00
    """
    if not lines:
        raise AssessmentError("a declaration needs at least one goods line")
    currency = lines[0].item.customs_value.currency
    if any(line.item.customs_value.currency != currency for line in lines):
        raise AssessmentError("all lines of a declaration must be valued in one currency")
    intrinsic = Money.zero(currency)
    for line in lines:
        intrinsic = intrinsic + (line.item.intrinsic_value or line.item.customs_value)

    trace: list[TraceStep] = []
    reasons: dict[MeasureType, str] = {}
    for relief in de_minimis:
        if not relief.in_force(on) or relief.threshold.currency != currency:
            continue
        first = min(relief.relieves, key=_ORDER.index)
        if intrinsic > relief.threshold:
            text = (
                f"{relief.label} does not apply: the consignment's intrinsic value {intrinsic}"
                f" exceeds {relief.threshold}"
            )
            trace.append(_note(first, relief.label, text, relief.legal_reference))
            continue
        reason = (
            f"the consignment's intrinsic value {intrinsic} does not exceed {relief.threshold}"
            f" ({relief.label})"
        )
        for measure_type in sorted(relief.relieves, key=_ORDER.index):
            reasons.setdefault(measure_type, reason)
            text = f"{measure_type.label} not collected: {reason}"
            trace.append(_note(measure_type, relief.label, text, relief.legal_reference))

    assessed = tuple(
        assess(
            line.item,
            line.measures,
            on,
            proof_of_origin=line.proof_of_origin,
            preference_claimed=line.preference_claimed,
            origin_groups=origin_groups,
            exchange_rates=exchange_rates,
            relieved=reasons,
            proof_refused=line.proof_refused,
        )
        for line in lines
    )
    amounts: dict[MeasureType, Money] = {}
    waived: dict[MeasureType, Money] = {}
    for result in assessed:
        for measure_type, amount in result.amounts.items():
            amounts[measure_type] = amounts.get(measure_type, Money.zero(currency)) + amount
        for measure_type, amount in result.not_collected.items():
            waived[measure_type] = waived.get(measure_type, Money.zero(currency)) + amount
    for measure_type in _ORDER:
        if measure_type in amounts:
            text = f"{measure_type.label} on {len(lines)} line(s) = {amounts[measure_type]}"
            if measure_type in waived:
                text += f" ({waived[measure_type]} not collected)"
            trace.append(_note(measure_type, measure_type.label, text))
    return DeclarationAssessment(
        assessed, intrinsic, amounts, frozenset(reasons), waived, tuple(trace)
    )
