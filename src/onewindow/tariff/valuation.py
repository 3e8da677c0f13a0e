"""Customs value build-up: from the invoice to the CIF value of each item, in national currency.

Pure functions. Freight and insurance to the border are added unless the delivery terms already
include them; what is added is shared over the items by value (default) or by net mass; each
item is converted at the customs exchange rate in force on the acceptance date.

>>> from decimal import Decimal as D
>>> items = [ItemPrice(Money(D(600), "USD"), D(10)), ItemPrice(Money(D(400), "USD"), D(30))]
>>> values = customs_values(items, freight=Money(D(100), "USD"), insurance=None, incoterm="FOB",
...                         national="GBP", rates={"USD": D("0.8")})
>>> [str(v.customs_value) for v in values]
['GBP 528.00', 'GBP 352.00']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from onewindow.money import Money
from onewindow.reference.codelists import INCOTERM_INCLUDES
from onewindow.tariff.engine import AssessmentError

Apportionment = Literal["value", "weight"]


@dataclass(frozen=True)
class ItemPrice:
    """What an item cost on the invoice, and its net mass (to share costs by weight)."""

    price: Money
    net_mass_kg: Decimal | None = None


@dataclass(frozen=True)
class ItemValue:
    """An item's customs value and how it was built, for the trader to read."""

    customs_value: Money
    steps: tuple[str, ...]


def _shares(items: Sequence[ItemPrice], by: Apportionment) -> list[Decimal]:
    if by == "weight":
        weights = [item.net_mass_kg or Decimal(0) for item in items]
    else:
        weights = [item.price.amount for item in items]
    total = sum(weights, Decimal(0))
    if total == 0:
        return [Decimal(1) / len(items)] * len(items)
    return [w / total for w in weights]


def _convert(amount: Money, national: str, rates: Mapping[str, Decimal]) -> tuple[Money, str]:
    if amount.currency == national:
        return amount, ""
    rate = rates.get(amount.currency)
    if rate is None:
        raise AssessmentError(
            f"no customs exchange rate for {amount.currency} is in force on the acceptance date"
        )
    converted = Money(amount.amount * rate, national)
    return converted, f"{amount.exact()} at {rate} {national}/{amount.currency}"


def customs_values(
    items: Sequence[ItemPrice],
    *,
    freight: Money | None,
    insurance: Money | None,
    incoterm: str | None,
    national: str,
    rates: Mapping[str, Decimal],
    by: Apportionment = "value",
) -> list[ItemValue]:
    """The CIF customs value of each item, in the national currency, with its build-up."""
    if not items:
        return []
    includes_freight, includes_insurance = INCOTERM_INCLUDES.get(incoterm or "", (False, False))
    shares = _shares(items, by)
    values = []
    for item, share in zip(items, shares, strict=True):
        base, note = _convert(item.price, national, rates)
        steps = [f"Invoice price {item.price}" + (f" = {base} ({note})" if note else "")]
        total = base
        for cost, included, name in (
            (freight, includes_freight, "freight"),
            (insurance, includes_insurance, "insurance"),
        ):
            if cost is None:
                continue
            if included:
                steps.append(f"{name.capitalize()} is in the price under {incoterm}: not added")
                continue
            # The share is kept to the currency's minor unit, as an invoice line would be.
            shared = Money(cost.amount * share, cost.currency).rounded()
            part, note = _convert(shared, national, rates)
            steps.append(
                f"{name.capitalize()} share {share:.2%} by {by} of {cost}"
                + (f" = {part} ({note})" if note else f" = {part}")
            )
            total = total + part
        total = total.rounded()
        steps.append(f"Customs value {total}")
        values.append(ItemValue(total, tuple(steps)))
    return values
