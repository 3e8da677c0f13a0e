"""Money: rounding half up to the currency's minor unit, and refusing what is not money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onewindow.money import Money, minor_units

D = Decimal


def money(amount: str, currency: str = "GBP") -> Money:
    return Money(D(amount), currency)


@pytest.mark.parametrize(
    ("amount", "currency", "rounded", "shown"),
    [
        ("1234.565", "GBP", "1234.57", "GBP 1,234.57"),
        ("0.005", "GBP", "0.01", "GBP 0.01"),
        ("0.004999", "GBP", "0.00", "GBP 0.00"),
        ("1234.5", "JPY", "1235", "JPY 1,235"),
        ("1234.49", "JPY", "1234", "JPY 1,234"),
        ("12.3455", "KWD", "12.346", "KWD 12.346"),
        ("0.0005", "BHD", "0.001", "BHD 0.001"),
        ("-2.675", "EUR", "-2.68", "EUR -2.68"),
    ],
)
def test_money_rounds_half_up_to_the_minor_unit(
    amount: str, currency: str, rounded: str, shown: str
) -> None:
    value = Money(D(amount), currency)
    assert value.rounded() == Money(D(rounded), currency)
    assert str(value.rounded().amount) == rounded
    assert str(value) == shown


@pytest.mark.parametrize(
    ("currency", "places"), [("JPY", 0), ("GBP", 2), ("USD", 2), ("KWD", 3), ("BHD", 3)]
)
def test_minor_units_come_from_iso_4217(currency: str, places: int) -> None:
    assert minor_units(currency) == places


def test_money_refuses_floats_unknown_currencies_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(1.10, "GBP")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(D(1), "XYZ")
    with pytest.raises(ValueError, match="GBP and EUR"):
        _ = money("1") + money("1", "EUR")
