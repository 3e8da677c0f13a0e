"""National rule sets: what an administration requires, tolerates with a warning, or refuses.

The engine is generic and pure: a rule set is data (``<country>.json`` in this folder, each entry
with its source), read once. The declaration rules in ``validation.py`` name each check by a rule
id (``item-value-required``, ``total-packages``, ...); before a finding becomes an error, the rule
set decides, by the declaration's type, additional type, kind and each item's procedure:

* ``refuse`` (the default, when no rule matches): an error, the declaration is not accepted;
* ``warn``: accepted, and the finding is returned beside the acceptance as a warning;
* ``tolerate``: accepted without a word (the data set of that declaration does not ask for it).

A rule may say what a dry run does instead (``dry_run``): a dry run checks a message, it does
not lodge, so what only lodging can settle (the national tariff's line, say) is a warning there.
The first matching rule wins. National code lists extend the international ones (countries
outside ISO 3166, delivery terms, document codes, additional procedure codes); an entry may
carry a ``warning``, returned when the code is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

Action = Literal["refuse", "warn", "tolerate"]
ACTIONS: frozenset[str] = frozenset({"refuse", "warn", "tolerate"})
CONDITIONS = frozenset({"type", "additional_type", "kind", "procedure", "additional_procedure"})
FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class Context:
    """What a rule can be conditioned on: the declaration, and the item when there is one."""

    type: str
    additional_type: str | None = None
    kind: str = "goods"
    procedure: str | None = None
    additional_procedures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    rule: str
    action: Action
    source: str
    dry_run: Action | None = None
    when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    text: str | None = None

    def matches(self, context: Context) -> bool:
        for name, values in self.when.items():
            if name == "procedure":
                code = context.procedure or ""
                if not any(code.startswith(value) for value in values):
                    return False
            elif name == "additional_procedure":
                if not set(values) & set(context.additional_procedures):
                    return False
            elif getattr(context, name) not in values:
                return False
        return True


@dataclass(frozen=True)
class NationalCode:
    code: str
    label: str
    source: str
    warning: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: Rule | None


@dataclass(frozen=True)
class RuleSet:
    country: str
    title: str
    source: str
    rules: tuple[Rule, ...]
    code_lists: dict[str, dict[str, NationalCode]]
    additional_types: dict[str, NationalCode]

    def decide(self, rule_id: str, context: Context, *, dry_run: bool = False) -> Decision:
        """What the administration does with a finding of ``rule_id`` in this context."""
        for rule in self.rules:
            if rule.rule == rule_id and rule.matches(context):
                action = rule.dry_run if dry_run and rule.dry_run else rule.action
                return Decision(action, rule)
        return Decision("refuse", None)

    def code(self, list_name: str, value: str | None) -> NationalCode | None:
        """The national entry for ``value`` in ``list_name``, or None."""
        if value is None:
            return None
        return self.code_lists.get(list_name, {}).get(value)

    def kind_of(self, additional_type: str | None) -> str | None:
        """The kind of declaration an additional declaration type stands for, if known."""
        entry = self.additional_types.get(additional_type or "")
        return entry.kind if entry else None


EMPTY = RuleSet("", "no national rule set", "", (), {}, {})
"""Every finding refused, no national codes: the international rules alone."""


def _rule(entry: dict[str, Any], where: str) -> Rule:
    action, dry = entry.get("action"), entry.get("dry_run")
    if action not in ACTIONS or (dry is not None and dry not in ACTIONS):
        raise ValueError(f"{where}: action must be one of {sorted(ACTIONS)}")
    if not entry.get("source"):
        raise ValueError(f"{where}: every rule names its source")
    when = entry.get("when", {})
    unknown = set(when) - CONDITIONS
    if unknown:
        raise ValueError(f"{where}: unknown conditions {sorted(unknown)}")
    return Rule(
        rule=entry["rule"],
        action=action,
        source=entry["source"],
        dry_run=dry,
        when={name: tuple(values) for name, values in when.items()},
        text=entry.get("text"),
    )


def _code(entry: dict[str, Any], where: str) -> NationalCode:
    if not entry.get("code") or not entry.get("source"):
        raise ValueError(f"{where}: every code has a code and a source")
    return NationalCode(
        code=entry["code"],
        label=entry.get("label", ""),
        source=entry["source"],
        warning=entry.get("warning"),
        kind=entry.get("kind"),
    )


def parse(data: dict[str, Any], name: str = "rule set") -> RuleSet:
    """A rule set from its JSON shape; ValueError naming the entry that is wrong."""
    rules = tuple(_rule(e, f"{name} rule {i + 1}") for i, e in enumerate(data.get("rules", [])))
    lists = {
        list_name: {
            entry["code"]: _code(entry, f"{name} {list_name} {i + 1}")
            for i, entry in enumerate(entries)
        }
        for list_name, entries in data.get("code_lists", {}).items()
    }
    types = {
        entry["code"]: _code(entry, f"{name} additional type {i + 1}")
        for i, entry in enumerate(data.get("additional_types", []))
    }
    return RuleSet(
        country=data.get("country", ""),
        title=data.get("title", ""),
        source=data.get("source", ""),
        rules=rules,
        code_lists=lists,
        additional_types=types,
    )


@lru_cache(maxsize=8)
def for_country(country: str) -> RuleSet:
    """The rule set of ``country`` (``gb.json``), or :data:`EMPTY` when there is none."""
    path = FOLDER / f"{country.lower()}.json"
    if not path.is_file():
        return EMPTY
    return parse(json.loads(path.read_text(encoding="utf-8")), path.name)
