"""The requirements engine: which procedure each goods item needs, from rules as data.

Pure: no web, no ORM. A rule names a procedure and says which goods need it: an HS prefix or an
HS range (``hs_from``..``hs_to``, compared on as many digits as each bound has), a flow (import,
export, transit), countries of origin (imports) or destination (exports), customs procedure
codes, with exemptions (below a quantity or a value, samples by additional procedure code) and
validity dates. Rules are indexed by the common prefix of their HS bounds, so an item looks only
at the rules under each of its own prefixes (eleven look-ups), however many rules there are.

>>> rules = RuleIndex([Rule(1, "PHYTO", hs_from="0602", flows=("import",))])
>>> [r.procedure for r in rules.matching(Goods("0602909100", "import", date(2026, 1, 1)))]
['PHYTO']
>>> rules.matching(Goods("0602909100", "export", date(2026, 1, 1)))
[]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

FLOWS = {"IM": "import", "EX": "export", "TR": "transit", "CO": "import"}
FLOW_LABELS = {"import": "Import", "export": "Export", "transit": "Transit"}


@dataclass(frozen=True)
class Rule:
    """One regulatory requirement: these goods, in this flow, need this procedure."""

    id: int
    procedure: str
    hs_from: str = ""
    hs_to: str = ""
    flows: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    customs_procedures: tuple[str, ...] = ()
    exempt_below_quantity: Decimal | None = None
    exempt_quantity_unit: str | None = None
    exempt_below_value: Decimal | None = None
    exempt_value_currency: str | None = None
    exempt_additional_procedures: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    mandatory: bool = True
    legal_reference: str = ""
    note: str = ""

    @property
    def upper(self) -> str:
        return self.hs_to or self.hs_from

    @property
    def key(self) -> str:
        """The longest prefix every code the rule covers shares: its place in the index."""
        low, high = self.hs_from, self.upper
        n = 0
        while n < min(len(low), len(high)) and low[n] == high[n]:
            n += 1
        return low[:n]

    def covers_code(self, code: str) -> bool:
        if not self.hs_from:
            return True
        return code[: len(self.hs_from)] >= self.hs_from and code[: len(self.upper)] <= self.upper

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


@dataclass(frozen=True)
class Goods:
    """What the engine asks about one goods item."""

    code: str
    flow: str
    on: date
    country: str | None = None
    procedure: str | None = None
    additional_procedures: tuple[str, ...] = ()
    quantity: Decimal | None = None
    unit: str | None = None
    value: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Need:
    """An item needs a procedure, because of a rule (or is exempt from it, and why)."""

    item: int
    procedure: str
    rule: Rule
    exempt: str | None = None


@dataclass
class RuleIndex:
    """Rules by the common prefix of their HS bounds."""

    rules: Iterable[Rule]
    _by_key: dict[str, list[Rule]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for rule in self.rules:
            self._by_key[rule.key].append(rule)
        self.rules = ()

    def candidates(self, code: str) -> list[Rule]:
        found: list[Rule] = []
        for n in range(len(code) + 1):
            found += self._by_key.get(code[:n], ())
        return found

    def matching(self, goods: Goods) -> list[Rule]:
        """The rules in force that these goods fall under (exempt or not), in rule order."""
        found = [
            r
            for r in self.candidates(goods.code)
            if r.covers_code(goods.code)
            and r.in_force(goods.on)
            and (not r.flows or goods.flow in r.flows)
            and (not r.countries or goods.country in r.countries)
            and (not r.customs_procedures or goods.procedure in r.customs_procedures)
        ]
        return sorted(found, key=lambda r: r.id)


def exemption(rule: Rule, goods: Goods) -> str | None:
    """Why these goods are exempt from the rule, or None.

    >>> rule = Rule(1, "X", exempt_below_value=Decimal(100), exempt_value_currency="GBP")
    >>> goods = Goods("0101", "import", date(2026, 1, 1), value=Decimal(50), currency="GBP")
    >>> exemption(rule, goods)
    'value below 100 GBP'
    """
    if rule.exempt_additional_procedures and set(goods.additional_procedures) & set(
        rule.exempt_additional_procedures
    ):
        return "samples or goods under an exempt additional procedure"
    if (
        rule.exempt_below_quantity is not None
        and goods.quantity is not None
        and (rule.exempt_quantity_unit in (None, goods.unit))
        and goods.quantity < rule.exempt_below_quantity
    ):
        unit = f" {rule.exempt_quantity_unit}" if rule.exempt_quantity_unit else ""
        return f"quantity below {rule.exempt_below_quantity.normalize():f}{unit}"
    if (
        rule.exempt_below_value is not None
        and goods.value is not None
        and goods.currency == rule.exempt_value_currency
        and goods.value < rule.exempt_below_value
    ):
        return f"value below {rule.exempt_below_value.normalize():f} {rule.exempt_value_currency}"
    return None


def goods_of(content: Mapping[str, Any], on: date) -> list[tuple[int, Goods]]:
    """Each goods item of a declaration's content, as the engine asks about it."""
    flow = FLOWS.get(str(content.get("type")), "import")
    found = []
    for item in content.get("items", []):
        code = str(item.get("commodity_code") or "")
        if not code:
            continue
        quantity = item.get("supplementary_quantity") or {}
        value = item.get("value") or {}
        if flow == "export":
            country = content.get("country_of_destination")
        else:
            country = item.get("origin") or content.get("country_of_export")
        amount = quantity.get("value") or item.get("net_mass_kg")
        found.append(
            (
                int(item.get("sequence") or 0),
                Goods(
                    code=code,
                    flow=flow,
                    on=on,
                    country=country,
                    procedure=item.get("procedure"),
                    additional_procedures=tuple(item.get("additional_procedures") or ()),
                    quantity=Decimal(str(amount)) if amount not in (None, "") else None,
                    unit=quantity.get("unit") or ("KGM" if item.get("net_mass_kg") else None),
                    value=Decimal(str(value["amount"])) if value.get("amount") else None,
                    currency=value.get("currency"),
                ),
            )
        )
    return found


def evaluate(index: RuleIndex, items: Sequence[tuple[int, Goods]]) -> list[Need]:
    """Every procedure each item needs (or is exempt from), once per item and procedure; a
    mandatory rule wins over an advisory one, a rule without exemption over an exempting one."""
    needs: list[Need] = []
    for sequence, goods in items:
        chosen: dict[str, Need] = {}
        for rule in index.matching(goods):
            need = Need(sequence, rule.procedure, rule, exemption(rule, goods))
            held = chosen.get(rule.procedure)
            if held is None or _stronger(need, held):
                chosen[rule.procedure] = need
        needs += chosen.values()
    return needs


def _stronger(new: Need, old: Need) -> bool:
    return (new.rule.mandatory, new.exempt is None) > (old.rule.mandatory, old.exempt is None)


def rule_from_data(rule_id: int, data: Mapping[str, Any]) -> Rule:
    """A rule from its stored data (see ``permits/data/*.json``, ``requirements``)."""
    exempt = data.get("exemptions") or {}
    below_value = exempt.get("below_value") or {}
    below_quantity = exempt.get("below_quantity") or {}
    hs = str(data.get("hs") or "")
    return Rule(
        id=rule_id,
        procedure=str(data["procedure"]),
        hs_from=str(data.get("hs_from") or hs),
        hs_to=str(data.get("hs_to") or hs),
        flows=tuple(data.get("flows") or ()),
        countries=tuple(data.get("countries") or ()),
        customs_procedures=tuple(data.get("customs_procedures") or ()),
        exempt_below_quantity=Decimal(str(below_quantity["value"])) if below_quantity else None,
        exempt_quantity_unit=below_quantity.get("unit") if below_quantity else None,
        exempt_below_value=Decimal(str(below_value["amount"])) if below_value else None,
        exempt_value_currency=below_value.get("currency") if below_value else None,
        exempt_additional_procedures=tuple(exempt.get("additional_procedures") or ()),
        valid_from=date.fromisoformat(data["valid_from"]) if data.get("valid_from") else None,
        valid_to=date.fromisoformat(data["valid_to"]) if data.get("valid_to") else None,
        mandatory=bool(data.get("mandatory", True)),
        legal_reference=str(data.get("legal_reference") or ""),
        note=str(data.get("note") or ""),
    )


def check_rule(data: Mapping[str, Any]) -> list[str]:
    """What is wrong with a rule's data (empty when it is sound)."""
    problems = []
    hs_from = str(data.get("hs_from") or data.get("hs") or "")
    hs_to = str(data.get("hs_to") or hs_from)
    for bound in (hs_from, hs_to):
        if bound and not bound.isdigit():
            problems.append("HS bounds are digits")
    if hs_from and hs_to and hs_from[: len(hs_to)] > hs_to:
        problems.append("hs_from comes after hs_to")
    if any(f not in FLOW_LABELS for f in data.get("flows") or ()):
        problems.append("flows are import, export or transit")
    try:
        rule_from_data(0, {"procedure": "x", **data})
    except (ValueError, KeyError, ArithmeticError) as exc:
        problems.append(f"cannot be read: {exc}")
    return problems
