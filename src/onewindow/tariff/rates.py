"""Reading duty expressions as published into :class:`~onewindow.tariff.engine.Rate` values.

Two grammars:

* :func:`parse_rate` reads the European style of the UK Global Tariff and the EU Common External
  Tariff ("12.00%", "10.00 GBP / hl", "8.00% + 12.10 GBP/100kg", "4.50% MIN 0.30 EUR / item MAX
  0.80 EUR / item", "1.40 GBP / % vol / hl", seasonal "14.00% (01 JUL - 31 JAN), 0.00% (01 FEB -
  30 JUN)"). It is also the grammar of the national tariff file, and reads back what ``str(rate)``
  writes, with unit codes ("100 KGM") accepted beside labels.
* :func:`parse_us_rate` reads a rate of the Harmonized Tariff Schedule of the United States
  ("6.8%", "Free", "1.9¢/kg", "$1.05/kg + 5%", "37.5¢/kg less ... for each degree ..."), and
  :func:`parse_us_special` splits a special-programme column ("Free (A,AU,CL) 5% (JO)") into one
  rate per programme code.

What cannot be read raises :class:`RateParseError` with the reason, for the loader to report.

>>> print(parse_rate("8.00% + 12.10 GBP/100kg"))
8% + 12.10 GBP / 100 kg
>>> print(parse_us_rate("$1.05/kg + 5%"))
1.05 USD / kg + 5%
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from onewindow.money import minor_units
from onewindow.tariff.engine import (
    AdValorem,
    Bounded,
    Compound,
    DayPeriod,
    DegreeScale,
    Free,
    Rate,
    Season,
    Seasonal,
    Specific,
)

__all__ = ["RateParseError", "parse_rate", "parse_us_rate", "parse_us_special"]


class RateParseError(ValueError):
    """A rate text that cannot be read, with the reason why."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"cannot read rate {text!r}: {reason}")


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER_RE = re.compile(rf"^(?:{_NUMBER})$")
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _clean(text: str) -> str:
    """Drop markup and non-breaking spaces, collapse white space."""
    text = _TAGS.sub("", text).replace("\xa0", " ").replace("²", "2").replace("³", "3")
    return _SPACES.sub(" ", text).strip()


# --- units ----------------------------------------------------------------------------------------

_UNIT_ALIASES: dict[str, str] = {
    alias: code
    for code, aliases in {
        "KGM": ("kg", "kgm", "kilogram", "kilograms"),
        "GRM": ("g", "grm", "gram", "grams"),
        "TNE": ("tonne", "tonnes", "t", "tne"),
        "CTM": ("carat", "carats", "ctm"),
        "LTR": ("l", "ltr", "litre", "litres", "liter", "liters"),
        "HLT": ("hl", "hlt", "hectolitre", "hectolitres"),
        "MTQ": ("m3", "mtq"),
        "BLL": ("bbl", "bll", "barrel", "barrels"),
        "LPA": ("l alc. 100%", "lpa"),
        "ASV_HLT": ("% vol / hl", "%vol/hl", "% vol/hl", "%vol / hl", "asv_hlt"),
        "PFL": ("pf. liter", "pf.liter", "pf. liters", "pf.liters", "proof liter", "pfl"),
        "NAR": ("item", "items", "nar", "p/st", "piece", "pieces", "pce", "pcs", "article"),
        "DZN": ("doz.", "doz", "dozen", "dzn"),
        "GRO": ("gross", "gro"),
        "PR": ("pair", "pairs", "pr.", "pr", "prs."),
        "DPR": ("doz. pairs", "doz. prs.", "dpr"),
        "MTK": ("m2", "mtk"),
        "MTR": ("m", "mtr", "metre", "metres", "meter", "meters"),
    }.items()
    for alias in aliases
}
# Longest first, so that "doz. pairs" wins over "doz." and "% vol / hl" over nothing.
_ALIASES_LONGEST_FIRST = sorted(_UNIT_ALIASES, key=len, reverse=True)

_QUALIFIERS: dict[str, str] = {
    "net": "",
    "net weight": "",
    "lactic matter": "lactic matter",
    "dry lactic matter": "dry lactic matter",
    "tot alc": "total alcohol",
    "total alcohol": "total alcohol",
    "mas": "dry matter",
    "net dry": "dry matter",
    "dry matter": "dry matter",
    "eda": "drained weight",
    "net drained wt": "drained weight",
    "net drained weight": "drained weight",
    "drained weight": "drained weight",
    "gross": "gross weight",
    "br": "gross weight",
    "gross weight": "gross weight",
    "std qual": "standard quality",
    "standard quality": "standard quality",
    "net/%sacchar.": "% sucrose",
    "%sacchar.": "% sucrose",
    "% sucrose": "% sucrose",
}


def _qualifier(text: str, whole: str) -> str:
    """Name what is measured in one canonical way ("eda" and "net drained wt" alike)."""
    key = re.sub(r"\s*/\s*", "/", text.strip().lower()).strip("/ ")
    for candidate in (key, re.sub(r"%\s+", "%", key), key.replace("/", " ")):
        if candidate in _QUALIFIERS:
            return _QUALIFIERS[candidate]
    words = key.replace("/", " ")
    if re.fullmatch(r"[a-z%][a-z %.,-]*", words):
        return words
    raise RateParseError(whole, f"cannot read the unit qualifier {text.strip()!r}")


def _unit_phrase(phrase: str, whole: str) -> tuple[Decimal, str, str]:
    """Read ``[per] unit [/ qualifier]`` into (per, unit code, qualifier)."""
    text = phrase.strip()
    per = Decimal(1)
    match = re.match(rf"^({_NUMBER})\s*(?=[^\d,.])", text)
    if match:
        per = _number(match.group(1))
        text = text[match.end() :]
    lowered = text.lower()
    for alias in _ALIASES_LONGEST_FIRST:
        if lowered.startswith(alias):
            rest = lowered[len(alias) :]
            if rest and rest[0] not in " /":
                continue
            return per, _UNIT_ALIASES[alias], _qualifier(rest, whole) if rest.strip() else ""
    raise RateParseError(whole, f"unknown unit {phrase.strip()!r}")


# --- the European grammar -------------------------------------------------------------------------

_MERGED = re.compile(r"\b(EA|EAR|ADSZ|ADSZR|ADFM|ADFMR|AD S/Z|AD F/M)\b")
_PERCENT = re.compile(rf"^({_NUMBER})\s*%(?:\s+on\s+(?:the\s+)?(.+))?$", re.IGNORECASE)
_SPECIFIC = re.compile(rf"^({_NUMBER})\s*([A-Za-z]{{3}})\s*/\s*(.+)$")
_PERIOD = re.compile(r"^(\d{1,2})\s*([A-Za-z]{3,9})?\s*-\s*(\d{1,2})\s*([A-Za-z]{3,9})$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _term(text: str, whole: str) -> Rate:
    term = text.strip()
    if not term:
        raise RateParseError(whole, "an empty term")
    if term.lower() == "free":
        return Free()
    match = _PERCENT.match(term)
    if match:
        return AdValorem(_number(match.group(1)), (match.group(2) or "").strip().lower())
    match = _SPECIFIC.match(term)
    if match:
        amount, currency, phrase = match.groups()
        currency = currency.upper()
        try:
            minor_units(currency)
        except ValueError:
            raise RateParseError(whole, f"{currency!r} is not a currency code") from None
        per, unit, qualifier = _unit_phrase(phrase, whole)
        return Specific(_number(amount), currency, unit, per, qualifier)
    if _NUMBER_RE.match(term):
        raise RateParseError(whole, f"the number {term} has neither % nor a currency and unit")
    raise RateParseError(whole, f"cannot read {term!r}")


def _sum(text: str, whole: str) -> Rate:
    terms = [_term(part, whole) for part in text.split("+")]
    return terms[0] if len(terms) == 1 else Compound(tuple(terms))


def _bounded(text: str, whole: str) -> Rate:
    pieces = re.split(r"\s+(MIN|MAX)\s+", text)
    main = _sum(pieces[0], whole)
    clauses: dict[str, Rate] = {}
    for keyword, clause in zip(pieces[1::2], pieces[2::2], strict=True):
        if keyword in clauses:
            raise RateParseError(whole, f"two {keyword} clauses")
        clauses[keyword] = _sum(clause, whole)
    if not clauses:
        return main
    return Bounded(main, clauses.get("MIN"), clauses.get("MAX"))


def _month(name: str | None, whole: str) -> int:
    key = (name or "").upper()[:3]
    if key not in _MONTHS:
        raise RateParseError(whole, f"unknown month {name!r}")
    return _MONTHS.index(key) + 1


def _day(day: str, month: int, whole: str) -> int:
    value = int(day)
    if not 1 <= value <= 31:
        raise RateParseError(whole, f"no day {value} in a month")
    # Published periods sometimes end on "31 APR": that means the month's last day.
    return min(value, _MONTH_DAYS[month - 1])


def _periods(text: str, whole: str) -> tuple[DayPeriod, ...]:
    periods = []
    for part in text.split(","):
        match = _PERIOD.match(part.strip())
        if not match:
            raise RateParseError(whole, f"cannot read the period {part.strip()!r}")
        start_day, start_month, end_day, end_month = match.groups()
        end = _month(end_month, whole)
        start = _month(start_month, whole) if start_month else end
        periods.append(
            DayPeriod(start, _day(start_day, start, whole), end, _day(end_day, end, whole))
        )
    return tuple(periods)


def _seasonal(text: str, whole: str) -> Rate:
    seasons = []
    position = 0
    for match in re.finditer(r"\(([^()]*)\)", text):
        rate_text = text[position : match.start()].strip().lstrip(",").strip()
        seasons.append(Season(_bounded(rate_text, whole), _periods(match.group(1), whole)))
        position = match.end()
    rest = text[position:].strip().lstrip(",").strip()
    if rest:
        seasons.append(Season(_bounded(rest, whole)))
    return Seasonal(tuple(seasons))


@lru_cache(maxsize=4096)
def parse_rate(text: str) -> Rate:
    """Read a duty expression in the European style (UK Global Tariff, EU CET, national file).

    Terms are ``N%``, ``N% on the <part>``, ``N CUR / [per] unit [/ qualifier]`` and ``Free``,
    joined by ``+``, followed by optional ``MIN`` and ``MAX`` clauses; a seasonal rate lists rates
    each followed by its periods in brackets. Raises :class:`RateParseError` otherwise.

    >>> print(parse_rate("4.50% MIN 0.30 EUR / item MAX 0.80 EUR / item"))
    4.5% MIN 0.30 EUR / item MAX 0.80 EUR / item
    >>> parse_rate("1.40 GBP / % vol / hl")
    Specific(amount=Decimal('1.40'), currency='GBP', unit='ASV_HLT', per=Decimal('1'), qualifier='')
    >>> print(parse_rate("4.00% + 7.80 GBP/100kg eda"))
    4% + 7.80 GBP / 100 kg / drained weight
    >>> try:
    ...     parse_rate("Entry Price")
    ... except RateParseError as error:
    ...     print(error.reason)
    entry price system: the duty depends on the declared entry price
    """
    cleaned = _clean(text).replace("€", " EUR ")
    cleaned = _SPACES.sub(" ", cleaned).strip()
    if not cleaned:
        raise RateParseError(text, "the rate is empty")
    if cleaned.lower().startswith("entry price"):
        raise RateParseError(
            text, "entry price system: the duty depends on the declared entry price"
        )
    merged = _MERGED.search(cleaned)
    if merged:
        raise RateParseError(
            text,
            f"agricultural component {merged.group(1)} (Meursing table) depends on the "
            "composition of the goods",
        )
    if "(" in cleaned or ")" in cleaned:
        return _seasonal(cleaned, text)
    return _bounded(cleaned, text)


# --- the United States grammar --------------------------------------------------------------------

_US_AMOUNT = re.compile(rf"^(\$)?\s*({_NUMBER})\s*(¢)?\s*(?:/\s*(.+)|each(?:\s+(.+))?)$")
_US_FRACTION = re.compile(r"^(\d+)\s+(\d+)/(\d+)\s*%$")
_US_QUALIFIERS: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern), qualifier)
    for pattern, qualifier in (
        (r",? including (?:the )?weight of (?:the )?containers?$", "gross weight"),
        (r" on (?:the )?(?:entire )?contents (?:and|of) (?:the )?containers?$", "gross weight"),
        (r" on (?:the )?drained weight$", "drained weight"),
        (r" of total sugars$", "total sugars"),
        (r" of immediate containers$", "immediate containers"),
        (r" on ethyl alcohol content$", ""),
        (r" (?:on|of) ((?:[a-z]+ )*content)$", None),
    )
)
_US_UNIT_WORDS = {
    "head": ("NAR", ""),
    "pins": ("NAR", ""),
    "thousand": ("NAR", "1000"),
    "jewel": ("NAR", "jewel"),
    "pack": ("NAR", "pack"),
}


def _us_unit(phrase: str, whole: str) -> tuple[Decimal, str, str]:
    """Read a US unit phrase ("kg", "clean kg", "kg on lead content", "1,000 pins")."""
    text = phrase.strip().lower()
    qualifier = ""
    for pattern, fixed in _US_QUALIFIERS:
        match = pattern.search(text)
        if match:
            qualifier = fixed if fixed is not None else match.group(1)
            text = text[: match.start()].strip()
            break
    if text.startswith("clean "):
        qualifier, text = "clean", text.removeprefix("clean ")
    per = Decimal(1)
    match = re.match(rf"^({_NUMBER})(?:\s+(.*))?$", text)
    if match:
        per, text = _number(match.group(1)), (match.group(2) or "item")
    if text in _US_UNIT_WORDS:
        unit, extra = _US_UNIT_WORDS[text]
        if extra.isdigit():
            return per * Decimal(extra), unit, qualifier
        return per, unit, extra or qualifier
    if text in _UNIT_ALIASES:
        return per, _UNIT_ALIASES[text], qualifier
    raise RateParseError(whole, f"unknown unit {phrase.strip()!r}")


def _us_specific(term: str, whole: str) -> Specific:
    match = _US_AMOUNT.match(term)
    if not match:
        raise RateParseError(whole, f"cannot read {term!r}")
    dollar, number, cent, phrase, after_each = match.groups()
    if bool(dollar) == bool(cent):
        raise RateParseError(whole, f"the amount {term!r} needs either $ or ¢")
    amount = _number(number) / 100 if cent else _number(number)
    if phrase is None:
        if after_each:
            raise RateParseError(whole, f"cannot read {term!r}")
        return Specific(amount, "USD", "NAR")
    if re.search(r"\bover \d+$", phrase):
        raise RateParseError(whole, f"a rate per unit above a threshold ({phrase.strip()!r})")
    if "/" in phrase:
        raise RateParseError(whole, f"a rate per compound unit ({phrase.strip()!r})")
    per, unit, qualifier = _us_unit(phrase, whole)
    return Specific(amount, "USD", unit, per, qualifier)


def _us_term(text: str, whole: str) -> Rate:
    term = text.strip()
    if term.lower() == "free":
        return Free()
    match = _US_FRACTION.match(term)
    if match:
        whole_part, numerator, denominator = (Decimal(g) for g in match.groups())
        # "33 1/3%": kept to ten decimals, a negligible difference on any customs value.
        percent = (whole_part + numerator / denominator).quantize(Decimal("1e-10"))
        return AdValorem(percent)
    match = _PERCENT.match(term)
    if match:
        part = (match.group(2) or "").strip().lower()
        part = re.sub(r"^value of (?:the )?", "", part)
        part = re.sub(r", if any$", "", part)
        return AdValorem(_number(match.group(1)), "" if part == "entire set" else part)
    return _us_specific(term, whole)


def _us_clean(text: str) -> str:
    cleaned = _clean(text)
    # Words hyphenated across a line break in the source: "thou- sand", "appli- cable".
    cleaned = re.sub(r"([a-z])- ([a-z])", r"\1\2", cleaned)
    return cleaned.replace("thebattery", "the battery")


_DEGREES = re.compile(
    r"^(?P<rate>.+?) less (?P<step>.+?) for each degree under (?P<ref>[\d.]+) degrees"
    r" \(and fractions of a degree in proportion\) but not less(?: than)? (?P<floor>.+)$"
)


@lru_cache(maxsize=4096)
def parse_us_rate(text: str) -> Rate:
    """Read a rate of the US Harmonized Tariff Schedule (general or column 2).

    Terms are ``Free``, ``N%``, ``N% on the <part>``, ``N¢/unit``, ``$N/unit``, ``N¢ each``
    joined by ``+``; the raw sugar sliding scale becomes a :class:`DegreeScale`. Rates that
    refer to another provision or carry a condition raise :class:`RateParseError`.

    >>> print(parse_us_rate("4.4¢/kg + 10%"))
    0.044 USD / kg + 10%
    >>> print(parse_us_rate("1.9¢/kg on drained weight"))
    0.019 USD / kg / drained weight
    >>> try:
    ...     parse_us_rate("The rate applicable to the natural juice in heading 2009")
    ... except RateParseError as error:
    ...     print(error.reason)
    the rate is that of another provision (The rate applicable to the natural juice in heading 2009)
    """
    cleaned = _us_clean(text)
    lowered = cleaned.lower()
    if not cleaned:
        raise RateParseError(text, "the rate is empty")
    if lowered.startswith(("the rate", "see ")):
        shown = cleaned if len(cleaned) <= 80 else cleaned[:77] + "..."
        raise RateParseError(text, f"the rate is that of another provision ({shown})")
    if lowered.startswith("free,"):
        raise RateParseError(text, f"a conditional rate ({cleaned})")
    if "but if" in lowered or "shall not exceed" in lowered:
        raise RateParseError(text, "a rate with a ceiling set by another provision")
    match = _DEGREES.match(cleaned)
    if match:
        rate, step, floor = (
            _us_specific(match.group(name), text) for name in ("rate", "step", "floor")
        )
        if {(s.unit, s.per, s.qualifier) for s in (rate, step, floor)} != {
            (rate.unit, rate.per, rate.qualifier)
        }:
            raise RateParseError(text, "the sliding scale mixes units")
        return DegreeScale(rate, step.amount, Decimal(match.group("ref")), floor.amount)
    terms = [_us_term(part, text) for part in cleaned.split("+")]
    return terms[0] if len(terms) == 1 else Compound(tuple(terms))


_PROGRAMME = re.compile(r"^[A-Z]{1,2}[*+]?$")


def parse_us_special(text: str) -> dict[str, Rate | RateParseError]:
    """Split a US special-programme rate column into one rate (or error) per programme code.

    Raises :class:`RateParseError` when the text is not a list of ``rate (codes)`` groups.

    >>> rates = parse_us_special("Free (A,AU,CL) 1.7% (KR) See 9822.04.01 (AU+)")
    >>> {code: str(rate) for code, rate in rates.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'A': 'Free', 'AU': 'Free', 'CL': 'Free', 'KR': '1.7%',
     'AU+': "cannot read rate 'See 9822.04.01': the rate is that of another provision
     (See 9822.04.01)"}
    """
    cleaned = _us_clean(text)
    result: dict[str, Rate | RateParseError] = {}
    position = 0
    for match in re.finditer(r"\(([^()]*)\)", cleaned):
        rate_text = cleaned[position : match.start()].strip()
        position = match.end()
        rate: Rate | RateParseError
        try:
            rate = parse_us_rate(rate_text)
        except RateParseError as error:
            rate = error
        for raw in match.group(1).split(","):
            code = raw.strip().replace(" ", "")
            if not code:
                continue
            if not _PROGRAMME.match(code):
                result[code] = RateParseError(text, f"{code!r} is not a programme code")
            elif code not in result:
                result[code] = rate
    if cleaned[position:].strip() or not result:
        raise RateParseError(text, "not a list of rates each followed by programme codes")
    return result
