"""Validation of the identifiers organisations are registered under.

>>> check_identifier("LEI", "529900T8BM49AURSDO55")
'529900T8BM49AURSDO55'
>>> check_identifier("EORI", "gb123456789000")
'GB123456789000'
"""

from __future__ import annotations

import re

import pycountry

SCHEMES: dict[str, str] = {
    "EORI": "Economic Operators Registration and Identification number",
    "LEI": "Legal Entity Identifier (ISO 17442)",
    "TIN": "Taxpayer identification number (country prefix and 4 to 18 letters or digits)",
}

_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_TIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{4,18}$")
# Prefixes used in identifiers that are not ISO 3166 countries (Northern Ireland, Greece's EL).
_EXTRA_PREFIXES = {"XI", "EL"}


def _country_prefix_ok(value: str) -> bool:
    return value[:2] in _EXTRA_PREFIXES or pycountry.countries.get(alpha_2=value[:2]) is not None


def lei_checksum_ok(value: str) -> bool:
    """ISO 7064 MOD 97-10, as for IBANs: letters count 10 to 35, the number mod 97 is 1."""
    digits = "".join(str(int(ch, 36)) for ch in value)
    return int(digits) % 97 == 1


def check_identifier(scheme: str, value: str) -> str:
    """The identifier in its normal form, or ValueError saying what is wrong with it."""
    scheme = scheme.upper()
    value = re.sub(r"[\s-]", "", value).upper()
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
    if scheme == "EORI":
        if not _EORI.match(value):
            raise ValueError(
                "an EORI number is a 2-letter country code and up to 15 letters or digits"
            )
        if not _country_prefix_ok(value):
            raise ValueError(f"an EORI number starts with a country code; {value[:2]!r} is not one")
    elif scheme == "LEI":
        if not _LEI.match(value):
            raise ValueError("an LEI is 18 letters or digits followed by 2 check digits")
        if not lei_checksum_ok(value):
            raise ValueError("the LEI's check digits do not match (ISO 7064 MOD 97-10)")
    elif not _TIN.match(value) or not _country_prefix_ok(value):
        raise ValueError("a TIN is a 2-letter country code followed by 4 to 18 letters or digits")
    return value


def check_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 country code in upper case, or ValueError."""
    code = code.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code
