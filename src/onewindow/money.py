"""Money: an amount as a ``Decimal`` with its ISO 4217 currency, never a float.

Arithmetic keeps full precision; rounding is half up to the currency's minor unit, as ISO 4217
gives it. The tariff engine, declarations, payments and clearance all count in :class:`Money`.

>>> duty = Money(Decimal("120.004"), "GBP")
>>> print(duty + Money(Decimal("224"), "GBP"))
GBP 344.00
>>> amount_text(duty.times(Decimal("0.5")))
'60.00'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import iso4217

__all__ = ["Money", "amount_text", "display_places", "format_number", "minor_units"]


@lru_cache(maxsize=512)
def _exponent(currency: str) -> int | None:
    try:
        return iso4217.Currency(currency).exponent
    except ValueError:
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code") from None


def display_places(currency: str) -> int:
    """Return how many decimals an amount in the currency is written with at least.

    The minor unit's decimals, or none for a code without minor unit (gold, SDR); raises
    ``ValueError`` for an unknown code.

    >>> display_places("JPY"), display_places("KWD"), display_places("XAU")
    (0, 3, 0)
    """
    return _exponent(currency) or 0


def minor_units(currency: str) -> int:
    """Return how many decimals the currency's minor unit has, per ISO 4217.

    Raises ``ValueError`` for an unknown code and for a code without minor unit (gold, SDR).

    >>> minor_units("JPY"), minor_units("GBP"), minor_units("KWD"), minor_units("BHD")
    (0, 2, 3, 3)
    """
    exponent = _exponent(currency)
    if exponent is None:
        raise ValueError(f"{currency} has no minor unit, so amounts in it cannot be rounded")
    return exponent


def format_number(value: Decimal, *, grouping: bool = False) -> str:
    """Write a decimal plainly: no exponent, no trailing zeros, thousands grouped if asked.

    >>> [format_number(Decimal(text)) for text in ("12.00", "1E+2", "0.50")]
    ['12', '100', '0.5']
    >>> format_number(Decimal("5000"), grouping=True)
    '5,000'
    """
    normal = value.normalize()
    if normal == 0:
        return "0"
    return format(normal, ",f" if grouping else "f")


@dataclass(frozen=True)
class Money:
    """An amount of money in an ISO 4217 currency.

    The amount must be a ``Decimal`` (a float would silently lose cents). Arithmetic keeps full
    precision; :meth:`rounded` rounds half up to the currency's minor unit.

    >>> Money(Decimal("1234.565"), "GBP").rounded()
    Money(amount=Decimal('1234.57'), currency='GBP')
    >>> print(Money(Decimal("1234.5"), "JPY"))
    JPY 1,235
    >>> print(Money(Decimal("0.0005"), "KWD"))
    KWD 0.001
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"a Money amount must be a Decimal, not {type(self.amount).__name__}")
        _exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return nothing, in this currency."""
        return cls(Decimal(0), currency)

    def rounded(self) -> Money:
        """Return the amount rounded half up to the currency's minor unit."""
        step = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(step, rounding=ROUND_HALF_UP), self.currency)

    def times(self, factor: Decimal) -> Money:
        """Return the amount multiplied by a factor, unrounded."""
        return Money(self.amount * factor, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency} amounts")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        places = _exponent(self.currency)
        if places is None:
            return f"{self.currency} {format_number(self.amount, grouping=True)}"
        return f"{self.currency} {self.rounded().amount:,.{places}f}"

    def exact(self) -> str:
        """Write the amount unrounded, e.g. ``GBP 120.005``, never with fewer places than str."""
        places = display_places(self.currency)
        text = format_number(self.amount, grouping=True)
        decimals = len(text.partition(".")[2])
        if decimals < places:
            return f"{self.currency} {self.amount:,.{places}f}"
        return f"{self.currency} {text}"


def amount_text(amount: Money) -> str:
    """The amount rounded to the currency's minor unit, written plainly.

    >>> amount_text(Money(Decimal("344"), "GBP")), amount_text(Money(Decimal("1234.5"), "JPY"))
    ('344.00', '1235')
    """
    return f"{amount.rounded().amount:.{minor_units(amount.currency)}f}"
