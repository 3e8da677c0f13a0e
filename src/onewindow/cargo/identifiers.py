"""Identifiers of cargo and of the means that carry it, with their check digits.

Pure functions: a string in, the reason it is wrong (or None) out.

>>> container_problem("CSQU3054383") is None
True
>>> container_problem("CSQU3054384")
'the check digit should be 3, not 4'
>>> imo_problem("9321483") is None
True
>>> imo_problem("9321485")
'the check digit should be 3, not 5'
>>> flight_problem("BA0117") is None
True
"""

from __future__ import annotations

import re

_CONTAINER = re.compile(r"^[A-Z]{3}[UJZR][0-9]{7}$")
_IMO = re.compile(r"^[0-9]{7}$")
_FLIGHT = re.compile(r"^([A-Z0-9]{2}[A-Z]?)([0-9]{1,4})[A-Z]?$")


def _letter_values() -> dict[str, int]:
    """ISO 6346 letter values: A=10 upwards, skipping the multiples of 11."""
    values: dict[str, int] = {}
    value = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


_LETTERS = _letter_values()


def container_check_digit(first_ten: str) -> int:
    """The ISO 6346 check digit of an owner code, category and serial number (10 characters)."""
    total = 0
    for position, char in enumerate(first_ten):
        value = _LETTERS[char] if char.isalpha() else int(char)
        total += value * 2**position
    return total % 11 % 10


def container_problem(number: str) -> str | None:
    """What is wrong with an ISO 6346 container number, or None."""
    if not _CONTAINER.match(number):
        return "must be an ISO 6346 container number: owner code, U, J, Z or R, 7 digits"
    expected = container_check_digit(number[:10])
    if int(number[10]) != expected:
        return f"the check digit should be {expected}, not {number[10]}"
    return None


def imo_problem(number: str) -> str | None:
    """What is wrong with an IMO ship identification number (7 digits, the last a check digit)."""
    digits = number.removeprefix("IMO").strip()
    if not _IMO.match(digits):
        return "must be an IMO number: 7 digits"
    expected = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10
    if int(digits[6]) != expected:
        return f"the check digit should be {expected}, not {digits[6]}"
    return None


def flight_problem(number: str) -> str | None:
    """What is wrong with a flight number: an airline designator and 1 to 4 digits."""
    if not _FLIGHT.match(number):
        return "must be a flight number: the airline's two- or three-character code and 1-4 digits"
    return None


def transport_problem(mode: str, transport_id: str) -> str | None:
    """Check the identity of a means of transport by mode (IMO for ships, flight for aircraft)."""
    if mode == "sea":
        return imo_problem(transport_id)
    if mode == "air":
        return flight_problem(transport_id)
    if not transport_id.strip():
        return "must not be empty"
    return None
