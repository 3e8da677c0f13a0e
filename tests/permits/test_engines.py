"""The pure engines: requirements by HS prefix and range, flow, country, exemptions, dates; the
steps of a procedure's graph."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from onewindow.permits import engine
from onewindow.permits.requirements import Goods, RuleIndex, evaluate, goods_of, rule_from_data

DAY = date(2026, 6, 1)


def _index(*rules: dict[str, object]) -> RuleIndex:
    return RuleIndex([rule_from_data(n, {"procedure": f"P{n}", **r}) for n, r in enumerate(rules)])


def _needs(index: RuleIndex, **goods: object) -> list[str]:
    item = Goods(**{"code": "0602909100", "flow": "import", "on": DAY, **goods})  # type: ignore[arg-type]
    return [n.procedure for n in evaluate(index, [(1, item)]) if n.exempt is None]


def test_prefix_range_flow_and_country() -> None:
    index = _index(
        {"hs": "0602"},
        {"hs_from": "0601", "hs_to": "0603", "flows": ["import"]},
        {"hs_from": "0701", "hs_to": "0709", "countries": ["KE"]},
        {"hs": "06029091", "flows": ["export"]},
        {},
    )
    assert _needs(index) == ["P0", "P1", "P4"]
    assert _needs(index, code="0603110000") == ["P1", "P4"]
    assert _needs(index, code="0604110000") == ["P4"]
    assert _needs(index, code="0705110000", country="KE") == ["P2", "P4"]
    assert _needs(index, code="0705110000", country="NL") == ["P4"]
    assert _needs(index, code="0710000000", country="KE") == ["P4"]
    assert _needs(index, flow="export") == ["P0", "P3", "P4"]


def test_exemptions_and_validity_dates() -> None:
    index = _index(
        {"hs": "0602", "exemptions": {"below_quantity": {"value": "5", "unit": "KGM"}}},
        {"hs": "0602", "exemptions": {"below_value": {"amount": "100", "currency": "GBP"}}},
        {"hs": "0602", "exemptions": {"additional_procedures": ["C08"]}},
        {"hs": "0602", "valid_from": "2026-07-01"},
        {"hs": "0602", "valid_to": "2026-05-31"},
        {"hs": "0602", "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
    )
    small = {"quantity": Decimal(2), "unit": "KGM", "value": Decimal(50), "currency": "GBP"}
    assert _needs(index, **small) == ["P2", "P5"]
    assert _needs(index, **small, additional_procedures=("C08",)) == ["P5"]
    assert _needs(index, quantity=Decimal(2), unit="NAR") == ["P0", "P1", "P2", "P5"]
    assert _needs(index, value=Decimal(50), currency="USD") == ["P0", "P1", "P2", "P5"]
    assert _needs(index, on=date(2026, 8, 1)) == ["P0", "P1", "P2", "P3", "P5"]


def test_declaration_items_become_goods() -> None:
    content = {
        "type": "EX",
        "country_of_destination": "EG",
        "items": [
            {
                "sequence": 1,
                "commodity_code": "6109100010",
                "origin": "GB",
                "procedure": "1000",
                "net_mass_kg": "12",
                "value": {"amount": "300", "currency": "GBP"},
            }
        ],
    }
    [(sequence, goods)] = goods_of(content, DAY)
    assert (sequence, goods.flow, goods.country, goods.quantity, goods.unit) == (
        1,
        "export",
        "EG",
        Decimal(12),
        "KGM",
    )


def test_ten_thousand_rules_answer_a_hundred_items_quickly() -> None:
    import time

    rules = [{"hs": f"{n:06d}"[:6]} for n in range(10_000)]
    index = _index(*rules)
    items = [(n, Goods(f"{n * 97:06d}0000", "import", DAY)) for n in range(100)]
    start = time.perf_counter()
    evaluate(index, items)
    assert time.perf_counter() - start < 0.5


def test_steps_branch_join_and_skip() -> None:
    procedure = {
        "form": {"fields": [{"name": "controlled", "type": "boolean"}]},
        "steps": [
            {"id": "review", "kind": "review"},
            {"id": "fee", "kind": "fee", "after": ["review"]},
            {
                "id": "inspection",
                "kind": "inspection",
                "after": ["review"],
                "when": {"field": "controlled", "equals": True},
            },
            {"id": "decision", "kind": "decision", "after": ["fee", "inspection"]},
        ],
    }
    assert engine.open_steps(procedure, {"controlled": True}, {"review": "done"}) == [
        "fee",
        "inspection",
    ]
    done = {"review": "done", "fee": "done"}
    assert engine.open_steps(procedure, {"controlled": True}, done) == ["inspection"]
    assert engine.open_steps(procedure, {"controlled": False}, done) == ["decision"]
    assert engine.decision_open(procedure, {"controlled": False}, done)
    assert not engine.decision_open(procedure, {"controlled": True}, done)


def test_a_circle_of_steps_is_not_a_procedure() -> None:
    procedure = {
        "code": "X",
        "name": "X",
        "version": 1,
        "document_type": "X",
        "outcome": "permit",
        "agency": {"code": "A", "name": "A"},
        "steps": [
            {"id": "a", "kind": "review", "after": ["b"]},
            {"id": "b", "kind": "review", "after": ["a"]},
        ],
    }
    assert engine.check_procedure(procedure) == [("/steps", "the steps go round in a circle")]


def test_fields_taken_from_the_declaration() -> None:
    procedure = {
        "form": {
            "fields": [
                {"name": "hs", "type": "hs", "from_declaration": "commodity_code"},
                {"name": "who", "type": "text", "from_declaration": "importer"},
                {"name": "purpose", "type": "text"},
            ]
        }
    }
    facts = engine.declaration_facts(
        {"country_of_export": "CN"}, {"commodity_code": "0602909100"}, {"importer": "Acme Ltd"}
    )
    assert facts["origin"] == "CN"
    assert engine.fill_from_declaration(procedure, facts) == {"hs": "0602909100", "who": "Acme Ltd"}


def test_a_skipped_step_does_not_open_what_follows_before_its_predecessors_end() -> None:
    procedure = {
        "steps": [
            {"id": "review", "kind": "review"},
            {
                "id": "lab",
                "kind": "lab_test",
                "after": ["review"],
                "when": {"field": "purpose", "equals": "trade"},
            },
            {"id": "decision", "kind": "decision", "after": ["lab"]},
        ]
    }
    assert engine.open_steps(procedure, {"purpose": "private"}, {}) == ["review"]
    assert not engine.decision_open(procedure, {"purpose": "private"}, {})
    assert engine.open_steps(procedure, {"purpose": "private"}, {"review": "done"}) == ["decision"]
