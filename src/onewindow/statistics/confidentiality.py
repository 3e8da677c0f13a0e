"""Statistical confidentiality: which cells of a published table are withheld (pure).

Primary suppression: a cell behind fewer than ``min_traders`` distinct traders (importers or
exporters) is confidential.

Secondary suppression: a table is published with its totals, so a single confidential cell in a
group would be the group's total minus the other cells. Within each group of cells that add up
to a published figure (the whole table; the headings of one chapter, whose chapter is published
in the chapter table; the subheadings of one heading), whenever exactly one cell is withheld, the
smallest other cell of the group (by value, then by code) is withheld too, and this is repeated
until no group has exactly one withheld cell. Two withheld cells only reveal their sum, and that
sum covers at least two cells. A cell whose parent is withheld (a heading of a confidential
chapter) is withheld too, so a parent cannot be rebuilt from its children either. When the total
of the table itself has fewer than ``min_traders`` traders, every cell is withheld.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal


@dataclass(frozen=True)
class Cell:
    code: str
    group: str
    traders: int
    value: Decimal
    confidential: bool = False
    why: str = ""


def suppress(
    cells: Sequence[Cell],
    min_traders: int,
    *,
    total_traders: int | None = None,
    hidden_parents: frozenset[str] = frozenset(),
) -> list[Cell]:
    """The cells with ``confidential`` set where they must be withheld (order kept)."""
    if total_traders is not None and total_traders < min_traders:
        return [replace(c, confidential=True, why="total") for c in cells]
    out = [
        replace(c, confidential=True, why="primary")
        if c.traders < min_traders
        else replace(c, confidential=True, why="parent")
        if c.group in hidden_parents
        else c
        for c in cells
    ]
    changed = True
    while changed:
        changed = False
        groups: dict[str, list[int]] = {}
        for i, cell in enumerate(out):
            groups.setdefault(cell.group, []).append(i)
        for members in groups.values():
            withheld = [i for i in members if out[i].confidential]
            if len(withheld) != 1 or len(members) < 2:
                continue
            shown = [i for i in members if not out[i].confidential]
            smallest = min(shown, key=lambda i: (out[i].value, out[i].code))
            out[smallest] = replace(out[smallest], confidential=True, why="secondary")
            changed = True
    return out
