"""The tariff engine: rates, dates, preferences, the tax bases, rounding and de minimis."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal

import pytest

from onewindow.money import Money
from onewindow.tariff.engine import (
    AdValorem,
    AssessmentError,
    DeclarationLine,
    DeMinimis,
    GoodsLine,
    Measure,
    MeasureType,
    MissingQuantity,
    assess,
    assess_declaration,
)
from onewindow.tariff.rates import parse_rate, parse_us_rate

D = Decimal
ON = date(2024, 6, 1)
DUTY, PREF, AD = (
    MeasureType.CUSTOMS_DUTY,
    MeasureType.PREFERENTIAL_DUTY,
    MeasureType.ANTI_DUMPING_DUTY,
)
EXCISE, VAT = MeasureType.EXCISE, MeasureType.VAT


def money(amount: str, currency: str = "GBP") -> Money:
    return Money(D(amount), currency)


def measure(
    rate: str,
    measure_type: MeasureType = DUTY,
    valid_from: date = date(2021, 1, 1),
    valid_to: date | None = None,
    origin_group: str = "ERGA OMNES",
    proof: bool = False,
    label: str = "",
) -> Measure:
    parse = parse_us_rate if ("¢" in rate or "$" in rate) else parse_rate
    return Measure(
        measure_type,
        parse(rate),
        valid_from,
        valid_to,
        origin_group=origin_group,
        requires_proof_of_origin=proof,
        label=label,
    )


def line(
    value: str,
    currency: str = "GBP",
    origin: str = "CN",
    quantities: Mapping[str, Decimal] | None = None,
    *,
    part_values: Mapping[str, Money] | None = None,
    intrinsic_value: Money | None = None,
    vat_additions: Money | None = None,
) -> GoodsLine:
    return GoodsLine(
        "0000000000",
        money(value, currency),
        origin,
        quantities or {},
        part_values or {},
        intrinsic_value,
        vat_additions,
    )


def duty_on(
    rate: str, goods: GoodsLine, on: date = ON, exchange_rates: Mapping[str, Decimal] | None = None
) -> Money:
    return assess(goods, [measure(rate)], on, exchange_rates=exchange_rates).amount(DUTY)


# --- rates ----------------------------------------------------------------------------------------

# rate text, customs value, quantities, expected duty (GBP unless the rate is in USD)
RATES = [
    # ad valorem
    ("12%", "1000", {}, "120.00"),
    ("0.00%", "1000", {}, "0.00"),
    ("Free", "1000", {}, "0.00"),
    ("6.5%", "99.99", {}, "6.50"),
    # specific per kg, per 100 kg, per tonne, with conversion between mass units
    ("1.00 GBP / kg", "0", {"KGM": D(12)}, "12.00"),
    ("34.00 GBP/100kg", "0", {"KGM": D(250)}, "85.00"),
    ("34.00 GBP/100kg", "0", {"TNE": D("2.5")}, "850.00"),
    ("95.00 GBP/1000kg", "0", {"KGM": D(500)}, "47.50"),
    ("95.00 GBP/1000kg", "0", {"GRM": D(500000)}, "47.50"),
    # per hectolitre from litres; per % vol / hl from litres and strength
    ("26.00 GBP/hl", "0", {"LTR": D(750)}, "195.00"),
    ("10.00 GBP / hl", "0", {"HLT": D(3)}, "30.00"),
    ("1.40 GBP / % vol / hl", "0", {"LTR": D(1000), "ASV": D(15)}, "210.00"),
    ("1.40 GBP / % vol / hl", "0", {"LPA": D(150)}, "210.00"),
    # per items
    ("43.00 GBP/1000 items", "0", {"NAR": D(2500)}, "107.50"),
    ("0.20 GBP/ item", "0", {"DZN": D(10)}, "24.00"),
    # qualified quantities are declared as such
    ("4.00% + 7.80 GBP/100kg eda", "1000", {"KGM drained weight": D(300)}, "63.40"),
    (
        "1.00 GBP/kg/lactic matter + 23.00 GBP/100kg",
        "0",
        {"KGM lactic matter": D(40), "KGM": D(100)},
        "63.00",
    ),
    # compound
    ("10.00% + 77.00 GBP/100kg", "1000", {"KGM": D(250)}, "292.50"),
    ("40.00% + 101.00 GBP/hl + 17 GBP/100kg", "100", {"LTR": D(200), "KGM": D(260)}, "286.20"),
    # minimum: the percentage is below the minimum, then above it
    ("8% MIN 1.50 GBP / 100 kg", "100", {"KGM": D(1000)}, "15.00"),
    ("8% MIN 1.50 GBP / 100 kg", "1000", {"KGM": D(1000)}, "80.00"),
    # maximum: above, then below
    ("12% MAX 20 GBP / 100 kg", "10000", {"KGM": D(1000)}, "200.00"),
    ("12% MAX 20 GBP / 100 kg", "1000", {"KGM": D(1000)}, "120.00"),
    # both clauses (the CET's watch rate, here in GBP)
    ("4.50% MIN 0.30 GBP / item MAX 0.80 GBP / item", "20", {"NAR": D(10)}, "3.00"),
    ("4.50% MIN 0.30 GBP / item MAX 0.80 GBP / item", "100", {"NAR": D(10)}, "4.50"),
    ("4.50% MIN 0.30 GBP / item MAX 0.80 GBP / item", "1000", {"NAR": D(10)}, "8.00"),
    ("6.20% + 27.10 GBP / 100 kg MAX 17.90%", "100", {"KGM": D(100)}, "17.90"),
    # United States rates, in USD
    ("1.9¢/kg", "0", {"KGM": D(1000)}, "19.00"),
    ("$1.05/kg + 5%", "200", {"KGM": D(10)}, "20.50"),
    ("$1.32/pf. liter", "0", {"LTR": D(100), "ASV": D(40)}, "105.60"),
    ("5.25¢/bbl", "0", {"LTR": D("158.987294928") * 1000}, "52.50"),
    ("$3/head", "0", {"NAR": D(7)}, "21.00"),
]


@pytest.mark.parametrize(("rate", "value", "quantities", "expected"), RATES)
def test_duty_for_each_kind_of_rate(
    rate: str, value: str, quantities: dict[str, Decimal], expected: str
) -> None:
    currency = "USD" if ("¢" in rate or "$" in rate) else "GBP"
    goods = line(value, currency, quantities=quantities)
    assert duty_on(rate, goods) == money(expected, currency)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2024, 2, 10), "4.00"),
        (date(2024, 3, 31), "4.00"),
        (date(2024, 4, 1), "0.00"),
        (date(2024, 7, 31), "0.00"),
        (date(2024, 12, 31), "8.00"),
    ],
)
def test_seasonal_rate_follows_the_day_of_the_year(on: date, expected: str) -> None:
    apples = "4.00% (01 JAN - 31 MAR), 0.00% (01 APR - 31 JUL), 8.00% (01 AUG - 31 DEC)"
    assert duty_on(apples, line("100"), on) == money(expected)


@pytest.mark.parametrize(
    ("on", "expected"), [(date(2024, 1, 31), "14.00"), (date(2024, 2, 1), "0.00")]
)
def test_seasonal_period_may_span_new_year(on: date, expected: str) -> None:
    herring = "14.00% (01 JUL - 31 JAN), 0.00% (01 FEB - 30 JUN)"
    assert duty_on(herring, line("100"), on) == money(expected)


@pytest.mark.parametrize(
    ("degrees", "expected"),
    [("100", "146.06"), ("96", "137.79"), ("99.5", "145.03"), ("70", "94.39")],
)
def test_us_sugar_rate_slides_with_polarity_down_to_its_floor(degrees: str, expected: str) -> None:
    rate = (
        "1.4606¢/kg less 0.020668¢/kg for each degree under 100 degrees (and fractions of a "
        "degree in proportion) but not less than 0.943854¢/kg"
    )
    goods = line("5000", "USD", quantities={"KGM": D(10000), "DEG": D(degrees)})
    assert duty_on(rate, goods) == money(expected, "USD")


def test_rate_on_the_value_of_a_part() -> None:
    watch = line("80", "USD", quantities={"NAR": D(1)}, part_values={"case": money("50", "USD")})
    assert duty_on("40¢ each + 6% on the case", watch) == money("3.40", "USD")
    with pytest.raises(AssessmentError, match="value of the case"):
        duty_on("40¢ each + 6% on the case", line("80", "USD", quantities={"NAR": D(1)}))


def test_specific_rate_in_another_currency_needs_an_exchange_rate() -> None:
    goods = line("1000", quantities={"KGM": D(100)})
    with pytest.raises(AssessmentError, match="no exchange rate from EUR to GBP"):
        duty_on("93.10 EUR / 100 kg", goods)
    duty = duty_on("93.10 EUR / 100 kg", goods, exchange_rates={"EUR": D("0.85")})
    assert duty == money("79.14")


@pytest.mark.parametrize(
    ("rate", "quantities", "message"),
    [
        ("34.00 GBP/100kg", {"LTR": D(5)}, "declare the quantity in kg"),
        ("26.00 GBP/hl", {}, "declare the quantity in hl"),
        ("1.40 GBP / % vol / hl", {"LTR": D(5)}, r"% vol / hl"),
        ("4.00% + 7.80 GBP/100kg eda", {"KGM": D(5)}, r"kg \(drained weight\)"),
    ],
)
def test_a_missing_quantity_says_what_to_declare(
    rate: str, quantities: dict[str, Decimal], message: str
) -> None:
    with pytest.raises(MissingQuantity, match=message):
        duty_on(rate, line("100", quantities=quantities))


# --- dates ----------------------------------------------------------------------------------------

DATED = [
    measure("10%", valid_from=date(2021, 1, 1), valid_to=date(2021, 12, 31)),
    measure("8%", valid_from=date(2022, 1, 1)),
    measure("2%", valid_from=date(2030, 1, 1)),
]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2021, 1, 1), "10.00"),
        (date(2021, 12, 31), "10.00"),  # valid_to is the last day in force
        (date(2022, 1, 1), "8.00"),
        (date(2029, 12, 31), "8.00"),  # the 2% is not yet in force
        (date(2030, 1, 1), "2.00"),  # the later measure supersedes the open-ended one
    ],
)
def test_the_measure_in_force_on_the_day_is_used(on: date, expected: str) -> None:
    assert assess(line("100"), DATED, on).amount(DUTY) == money(expected)


def test_no_measure_in_force_is_an_error() -> None:
    with pytest.raises(AssessmentError, match="no customs duty measure is in force on 2020-06-01"):
        assess(line("100"), DATED, date(2020, 6, 1))


def test_an_origin_specific_duty_beats_the_erga_omnes_one() -> None:
    measures = [measure("1%"), measure("35%", origin_group="US COLUMN 2")]
    groups = {"US COLUMN 2": {"CU", "KP", "RU", "BY"}}
    assert assess(line("100", origin="CU"), measures, ON, origin_groups=groups).amount(
        DUTY
    ) == money("35.00")
    assert assess(line("100", origin="FR"), measures, ON, origin_groups=groups).amount(
        DUTY
    ) == money("1.00")


# --- preferences ----------------------------------------------------------------------------------

PREFERENCE_MEASURES = [
    measure("10%", label="Customs duty"),
    measure("Free", PREF, origin_group="AU", proof=True, label="Preference (UK-Australia FTA)"),
    measure("2%", PREF, origin_group="GSP", proof=True),
    measure("0%", PREF, origin_group="JP", proof=True, valid_from=date(2030, 1, 1)),
    measure("15%", PREF, origin_group="XX", proof=True),
    measure("5%", PREF, origin_group="NP", proof=False),
]
GROUPS: Mapping[str, Collection[str]] = {"GSP": {"KE", "GH"}, "XX": {"CN"}}

PREFERENCE_CASES = [
    # origin, claimed, proof, granted, duty, reason contains
    ("AU", "AU", True, True, "0.00", "origin AU qualifies under AU with proof of origin"),
    ("AU", "AU", False, False, "10.00", "no proof of origin was given"),
    ("NZ", "AU", True, False, "10.00", "origin NZ is not a beneficiary of AU"),
    ("KE", "GSP", True, True, "2.00", "origin KE qualifies under GSP"),
    ("CN", "GSP", True, False, "10.00", "origin CN is not a beneficiary of GSP"),
    ("JP", "JP", True, False, "10.00", "no preferential rate under JP is in force on 2024-06-01"),
    ("CN", "EU", True, False, "10.00", "no preferential rate under EU"),
    ("CN", "XX", True, False, "10.00", "the customs duty of GBP 10.00 is lower"),
    ("NP", "NP", False, True, "5.00", "origin NP qualifies under NP"),
    ("AU", None, True, None, "10.00", None),
]


@pytest.mark.parametrize(
    ("origin", "claimed", "proof", "granted", "duty", "reason"), PREFERENCE_CASES
)
def test_preference_is_granted_only_with_proof_and_a_qualifying_origin(
    origin: str,
    claimed: str | None,
    proof: bool,
    granted: bool | None,
    duty: str,
    reason: str | None,
) -> None:
    result = assess(
        line("100", origin=origin),
        PREFERENCE_MEASURES,
        ON,
        proof_of_origin=proof,
        preference_claimed=claimed,
        origin_groups=GROUPS,
    )
    assert result.amount(DUTY) == money(duty)
    if granted is None:
        assert result.preference is None
        return
    assert result.preference is not None
    assert result.preference.granted is granted
    assert reason is not None and reason in result.preference.reason
    assert any(reason in step.text for step in result.trace)


def test_a_refused_preference_is_explained_in_the_trace() -> None:
    result = assess(line("1000", origin="AU"), PREFERENCE_MEASURES, ON, preference_claimed="AU")
    assert [step.text for step in result.trace] == [
        "Customs duty 10% of GBP 1,000.00 customs value = GBP 100.00",
        "Preference under AU refused: no proof of origin was given for the preference under AU;"
        " the customs duty of GBP 100.00 applies",
    ]
    assert result.trace[1].amount is None


def test_a_granted_preference_is_explained_in_the_trace() -> None:
    result = assess(
        line("1000", origin="AU"),
        PREFERENCE_MEASURES,
        ON,
        preference_claimed="AU",
        proof_of_origin=True,
    )
    assert [step.text for step in result.trace] == [
        "Customs duty 10% of GBP 1,000.00 customs value = GBP 100.00",
        "Preference (UK-Australia FTA) free = GBP 0.00",
        "Preference under AU granted (origin AU qualifies under AU with proof of origin): "
        "GBP 0.00 is charged instead of GBP 100.00",
    ]


# --- the bases of excise and VAT ------------------------------------------------------------------


def test_vat_is_charged_on_customs_value_plus_duty_plus_excise() -> None:
    beer = line("1000", quantities={"LTR": D(500), "ASV": D(5)})
    measures = [
        measure("10%"),
        measure("19.08 GBP / % vol / hl", EXCISE, label="Beer duty"),
        measure("20%", VAT),
    ]
    result = assess(beer, measures, ON)
    assert result.amounts == {DUTY: money("100.00"), EXCISE: money("477.00"), VAT: money("315.40")}
    assert result.vat_value == money("1577.00")
    assert result.total == money("892.40")
    assert [step.text for step in result.trace] == [
        "Customs duty 10% of GBP 1,000.00 customs value = GBP 100.00",
        "Beer duty GBP 19.08 per % vol / hl on 25 % vol / hl = GBP 477.00",
        "VAT 20% of GBP 1,577.00 VAT value (customs value + duties + excise) = GBP 315.40",
    ]


def test_ad_valorem_excise_is_charged_on_customs_value_plus_duties() -> None:
    measures = [measure("10%"), measure("5%", AD), measure("10%", EXCISE), measure("20%", VAT)]
    result = assess(line("1000"), measures, ON)
    assert result.amount(AD) == money("50.00")
    assert result.amount(EXCISE) == money("115.00")  # 10% of 1,000 + 100 + 50
    assert result.vat_value == money("1265.00")
    assert result.amount(VAT) == money("253.00")


def test_costs_to_destination_enter_the_vat_value_only() -> None:
    goods = line("1000", vat_additions=money("50"))
    result = assess(goods, [measure("10%"), measure("20%", VAT)], ON)
    assert result.amount(DUTY) == money("100.00")
    assert result.vat_value == money("1150.00")
    assert result.amount(VAT) == money("230.00")


def test_vat_uses_the_preferential_duty_when_granted() -> None:
    measures = [*PREFERENCE_MEASURES, measure("20%", VAT)]
    result = assess(
        line("1000", origin="AU"), measures, ON, preference_claimed="AU", proof_of_origin=True
    )
    assert result.vat_value == money("1000.00")
    assert result.amount(VAT) == money("200.00")


# --- rounding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "duty", "vat"),
    [
        ("12345", "JPY", "407", "1275"),  # 3.3% = 407.385; 10% of 12,752 = 1,275.2
        ("10.01", "GBP", "0.33", "1.03"),  # 3.3% = 0.33033; 10% of 10.34 = 1.034
        ("12.345", "KWD", "0.407", "1.275"),  # 3.3% = 0.407385; 10% of 12.752
        ("1.111", "BHD", "0.037", "0.115"),  # 3.3% = 0.036663; 10% of 1.148 = 0.1148
        ("15", "GBP", "0.50", "1.55"),  # 3.3% = 0.495 rounds half up
    ],
)
def test_each_tax_is_rounded_to_the_currency_minor_unit(
    value: str, currency: str, duty: str, vat: str
) -> None:
    result = assess(line(value, currency), [measure("3.3%"), measure("10%", VAT)], ON)
    assert str(result.amount(DUTY).amount) == duty
    assert str(result.amount(VAT).amount) == vat


def test_the_trace_shows_the_exact_amount_before_rounding() -> None:
    result = assess(line("15"), [measure("3.3%")], ON)
    assert result.trace[0].text == (
        "Customs duty 3.3% of GBP 15.00 customs value = GBP 0.495, rounded to GBP 0.50"
    )


def test_a_compound_rate_is_explained_term_by_term() -> None:
    goods = line("1000", quantities={"KGM": D(250)})
    result = assess(goods, [measure("10.00% + 77.00 GBP/100kg", label="Customs duty")], ON)
    step = result.trace[0]
    assert step.text == (
        "Customs duty 10% + 77.00 GBP / 100 kg: 10% of GBP 1,000.00 customs value (GBP 100.00)"
        " + GBP 77.00 per 100 kg on 250 kg (GBP 192.50) = GBP 292.50"
    )
    assert (step.rate_text, step.base, step.amount) == (
        "10% + 77.00 GBP / 100 kg",
        money("1000"),
        money("292.50"),
    )


def test_a_minimum_that_applies_is_explained() -> None:
    goods = line("100", quantities={"KGM": D(1000)})
    text = assess(goods, [measure("8% MIN 1.50 GBP / 100 kg")], ON).trace[0].text
    assert "below the minimum of GBP 1.50 per 100 kg on 1,000 kg = GBP 15.00" in text
    assert text.endswith("so the minimum applies = GBP 15.00")


# --- declarations and de minimis ------------------------------------------------------------------

RELIEF = DeMinimis(
    money("135"),
    frozenset({DUTY}),
    date(2021, 1, 1),
    label="Low-value consignment relief",
    legal_reference="national customs code, art. 23",
)
TARIFF = [measure("12%"), measure("20%", VAT)]


def goods(value: str, currency: str = "GBP", intrinsic: Money | None = None) -> DeclarationLine:
    return DeclarationLine(line(value, currency, intrinsic_value=intrinsic), TARIFF)


@pytest.mark.parametrize(
    ("values", "relieved", "duty", "vat"),
    [
        # the waived duty stays out of the VAT value: 20% of 100
        (["100"], True, "0.00", "20.00"),
        (["135"], True, "0.00", "27.00"),  # "does not exceed": equal is relieved
        (["135.01"], False, "16.20", "30.24"),  # 20% of 135.01 + 16.20
        (["60", "80"], False, "16.80", "31.36"),  # the consignment, not the line, counts
        (["60", "70"], True, "0.00", "26.00"),
    ],
)
def test_de_minimis_relieves_duty_under_the_threshold(
    values: list[str], relieved: bool, duty: str, vat: str
) -> None:
    result = assess_declaration([goods(v) for v in values], ON, de_minimis=[RELIEF])
    assert (DUTY in result.relieved) is relieved
    assert result.amounts[DUTY] == money(duty)
    assert result.amounts[VAT] == money(vat)
    assert result.total == money(duty) + money(vat)


def test_de_minimis_uses_the_intrinsic_value_and_explains_itself() -> None:
    with_freight = goods("150", intrinsic=money("120"))
    result = assess_declaration([with_freight], ON, de_minimis=[RELIEF])
    assert result.relieved == {DUTY}
    assert result.intrinsic_value == money("120")
    assert result.not_collected == {DUTY: money("18.00")}
    assert [step.text for step in result.trace] == [
        "Customs duty not collected: the consignment's intrinsic value GBP 120.00 does not exceed"
        " GBP 135.00 (Low-value consignment relief)",
        "Customs duty on 1 line(s) = GBP 0.00 (GBP 18.00 not collected)",
        "VAT on 1 line(s) = GBP 30.00",
    ]
    assert result.trace[0].legal_reference == "national customs code, art. 23"
    assert [step.text for step in result.lines[0].trace] == [
        "Customs duty 12% of GBP 150.00 customs value = GBP 18.00",
        "Customs duty of GBP 18.00 not collected: the consignment's intrinsic value GBP 120.00"
        " does not exceed GBP 135.00 (Low-value consignment relief)",
        "VAT 20% of GBP 150.00 VAT value (customs value + duties + excise) = GBP 30.00",
    ]


@pytest.mark.parametrize(
    ("relief", "why"),
    [
        (DeMinimis(money("135"), frozenset({DUTY}), date(2025, 1, 1)), "not yet in force"),
        (
            DeMinimis(money("135"), frozenset({DUTY}), date(2021, 1, 1), date(2023, 12, 31)),
            "expired",
        ),
        (DeMinimis(money("150", "EUR"), frozenset({DUTY}), date(2021, 1, 1)), "other currency"),
    ],
)
def test_de_minimis_applies_only_in_force_and_in_its_currency(relief: DeMinimis, why: str) -> None:
    result = assess_declaration([goods("100")], ON, de_minimis=[relief])
    assert not result.relieved, why
    assert result.amounts[DUTY] == money("12.00")


def test_de_minimis_may_relieve_several_taxes_and_says_when_it_does_not_apply() -> None:
    both = DeMinimis(money("22"), frozenset({DUTY, VAT}), date(2021, 1, 1))
    small = assess_declaration([goods("20")], ON, de_minimis=[both])
    assert small.relieved == {DUTY, VAT}
    assert small.total == money("0")
    assert small.not_collected == {DUTY: money("2.40"), VAT: money("4.00")}
    large = assess_declaration([goods("30")], ON, de_minimis=[both])
    assert large.relieved == frozenset()
    assert "exceeds GBP 22.00" in large.trace[0].text


def test_declaration_lines_keep_their_own_preference_claims() -> None:
    lines = [
        DeclarationLine(line("1000", origin="AU"), PREFERENCE_MEASURES, "AU", proof_of_origin=True),
        DeclarationLine(line("1000", origin="AU"), PREFERENCE_MEASURES, "AU"),
    ]
    result = assess_declaration(lines, ON)
    assert [r.amount(DUTY) for r in result.lines] == [money("0.00"), money("100.00")]
    assert result.amounts[DUTY] == money("100.00")


def test_a_declaration_is_in_one_currency() -> None:
    with pytest.raises(AssessmentError, match="one currency"):
        assess_declaration([goods("10"), goods("10", "EUR")], ON)
    with pytest.raises(AssessmentError, match="at least one"):
        assess_declaration([], ON)


def test_measures_are_values_that_can_be_compared_and_reused() -> None:
    assert measure("12%") == measure("12.00%")
    with pytest.raises(ValueError, match="ends"):
        Measure(DUTY, AdValorem(D(1)), date(2022, 1, 1), date(2021, 1, 1))
