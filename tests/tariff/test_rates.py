"""Reading real rate texts of the UK Global Tariff, the EU CET and the US HTS."""

from __future__ import annotations

from decimal import Decimal

import pytest

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
from onewindow.tariff.rates import RateParseError, parse_rate, parse_us_rate, parse_us_special

D = Decimal


def gbp(amount: str, unit: str, per: int = 1, qualifier: str = "") -> Specific:
    return Specific(D(amount), "GBP", unit, D(per), qualifier)


def eur(amount: str, unit: str, per: int = 1, qualifier: str = "") -> Specific:
    return Specific(D(amount), "EUR", unit, D(per), qualifier)


def usd(amount: str, unit: str, per: int = 1, qualifier: str = "") -> Specific:
    return Specific(D(amount), "USD", unit, D(per), qualifier)


def pct(value: str, part: str = "") -> AdValorem:
    return AdValorem(D(value), part)


# Texts exactly as published in the UK Global Tariff (ukgt_duty_rate) and the CET column beside it.
EUROPEAN = [
    ("0.0%", pct("0")),
    ("12.00%", pct("12")),
    ("10.00 GBP / hl", gbp("10", "HLT")),
    ("26.00 GBP/hl", gbp("26", "HLT")),
    ("34.00 GBP/100kg", gbp("34", "KGM", 100)),
    ("95.00 GBP/1000kg", gbp("95", "KGM", 1000)),
    ("43.00 GBP/1000 items", gbp("43", "NAR", 1000)),
    ("127.00 GBP/ 1000 items", gbp("127", "NAR", 1000)),
    ("0.20 GBP/ item", gbp("0.20", "NAR")),
    ("1.40 GBP / % vol / hl", gbp("1.40", "ASV_HLT")),
    ("1.00 GBP/%vol/hl", gbp("1", "ASV_HLT")),
    ("0.50 GBP/%vol/hl + 2.60 GBP/hl", Compound((gbp("0.5", "ASV_HLT"), gbp("2.6", "HLT")))),
    ("10.00% + 77.00 GBP/100kg", Compound((pct("10"), gbp("77", "KGM", 100)))),
    ("4.00% + 7.80 GBP/100kg eda", Compound((pct("4"), gbp("7.8", "KGM", 100, "drained weight")))),
    ("42.00 GBP/100kg mas", gbp("42", "KGM", 100, "dry matter")),
    ("28.00 GBP/100kg std qual", gbp("28", "KGM", 100, "standard quality")),
    ("0.30 GBP/100kg/net/%sacchar.", gbp("0.3", "KGM", 100, "% sucrose")),
    (
        "1.00 GBP/kg/lactic matter + 23.00 GBP/100kg",
        Compound((gbp("1", "KGM", 1, "lactic matter"), gbp("23", "KGM", 100))),
    ),
    (
        "40.00% + 101.00 GBP/hl + 17 GBP/100kg",
        Compound((pct("40"), gbp("101", "HLT"), gbp("17", "KGM", 100))),
    ),
    (
        "14.00% (01 JUL - 31 JAN), 0.00% (01 FEB - 30 JUN)",
        Seasonal(
            (
                Season(pct("14"), (DayPeriod(7, 1, 1, 31),)),
                Season(pct("0"), (DayPeriod(2, 1, 6, 30),)),
            )
        ),
    ),
    # the CET, with its MIN and MAX clauses
    ("41.20 EUR / 100 kg", eur("41.20", "KGM", 100)),
    ("1,024.00 EUR / tonne", eur("1024", "TNE")),
    ("52.00 EUR / 1,000 items", eur("52", "NAR", 1000)),
    ("12.00% MIN 0.40 EUR / 100 kg", Bounded(pct("12"), minimum=eur("0.4", "KGM", 100))),
    ("6.50% MAX 5.00 EUR / 100 m", Bounded(pct("6.5"), maximum=eur("5", "MTR", 100))),
    ("8.00% MAX 2.80 EUR / m2", Bounded(pct("8"), maximum=eur("2.8", "MTK"))),
    (
        "4.50% MIN 0.30 EUR / item MAX 0.80 EUR / item",
        Bounded(pct("4.5"), eur("0.3", "NAR"), eur("0.8", "NAR")),
    ),
    (
        "18.40% MIN 22.00 EUR / 100 kg MAX 24.00 EUR / 100 kg",
        Bounded(pct("18.4"), eur("22", "KGM", 100), eur("24", "KGM", 100)),
    ),
    ("0.50 EUR / item MIN 2.70% MAX 4.60%", Bounded(eur("0.5", "NAR"), pct("2.7"), pct("4.6"))),
    (
        "9.10% + 45.10 EUR / 100 kg MAX 18.90% + 16.50 EUR / 100 kg",
        Bounded(
            Compound((pct("9.1"), eur("45.1", "KGM", 100))),
            maximum=Compound((pct("18.9"), eur("16.5", "KGM", 100))),
        ),
    ),
    ("17.30% MIN 1.00 EUR / % vol / hl", Bounded(pct("17.3"), minimum=eur("1", "ASV_HLT"))),
    ("1.30 EUR / % vol / hl MIN 7.20 EUR / hl", Bounded(eur("1.3", "ASV_HLT"), eur("7.2", "HLT"))),
    (
        "3.80% MIN 0.60 EUR / 100 kg / gross",
        Bounded(pct("3.8"), eur("0.6", "KGM", 100, "gross weight")),
    ),
    (
        "5.10% + 9.40 EUR / 100 kg / net drained wt",
        Compound((pct("5.1"), eur("9.4", "KGM", 100, "drained weight"))),
    ),
    ("1.62 EUR / kg / tot alc", eur("1.62", "KGM", 1, "total alcohol")),
    ("0.40 EUR / 100 kg /net/ % sacchar.", eur("0.4", "KGM", 100, "% sucrose")),
    ("50.70 EUR / 100 kg / net dry", eur("50.7", "KGM", 100, "dry matter")),
    (
        "10.40% MIN 1.3€/100kg/br (01 JAN-31 MAR, 01 DEC-31 DEC), "
        "12.00% MIN 2€/100kg/br (01 APR-30 NOV)",
        Seasonal(
            (
                Season(
                    Bounded(pct("10.4"), eur("1.3", "KGM", 100, "gross weight")),
                    (DayPeriod(1, 1, 3, 31), DayPeriod(12, 1, 12, 31)),
                ),
                Season(
                    Bounded(pct("12"), eur("2", "KGM", 100, "gross weight")),
                    (DayPeriod(4, 1, 11, 30),),
                ),
            )
        ),
    ),
    # a last season without periods covers the rest of the year; "31 APR" means 30 April
    (
        "9.60% MIN 1.1\xa0€/100\xa0kg/net (01 JAN-14 APR, 1 DEC-31 DEC), 13.60% MIN 1.6€/100kg/net",
        Seasonal(
            (
                Season(
                    Bounded(pct("9.6"), eur("1.1", "KGM", 100)),
                    (DayPeriod(1, 1, 4, 14), DayPeriod(12, 1, 12, 31)),
                ),
                Season(Bounded(pct("13.6"), eur("1.6", "KGM", 100))),
            )
        ),
    ),
    (
        "11.20% (01 JAN-31 APR, 01 AUG-31 DEC), 12.80% MIN 2.4€/100kg/net (01 MAY-31 JUL)",
        Seasonal(
            (
                Season(pct("11.2"), (DayPeriod(1, 1, 4, 30), DayPeriod(8, 1, 12, 31))),
                Season(Bounded(pct("12.8"), eur("2.4", "KGM", 100)), (DayPeriod(5, 1, 7, 31),)),
            )
        ),
    ),
    (
        "4.00% (01 JAN-31 MAR, 01-31 DEC), 5.10% (01 JUN-30 NOV)",
        Seasonal(
            (
                Season(pct("4"), (DayPeriod(1, 1, 3, 31), DayPeriod(12, 1, 12, 31))),
                Season(pct("5.1"), (DayPeriod(6, 1, 11, 30),)),
            )
        ),
    ),
    # our own national file: unit codes and other currencies
    ("8% MIN 1.50 GBP / 100 KGM", Bounded(pct("8"), minimum=gbp("1.5", "KGM", 100))),
    ("12% MAX 20 EUR / 100 kg", Bounded(pct("12"), maximum=eur("20", "KGM", 100))),
    ("Free", Free()),
    ("250 JPY / LTR", Specific(D(250), "JPY", "LTR")),
    ("0.125 KWD / kg", Specific(D("0.125"), "KWD", "KGM")),
    ("5 EUR / 100 p/st", eur("5", "NAR", 100)),
]


@pytest.mark.parametrize(("text", "expected"), EUROPEAN)
def test_european_rates(text: str, expected: Rate) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize(("text", "expected"), EUROPEAN)
def test_a_rate_reads_back_what_it_writes(text: str, expected: Rate) -> None:
    assert parse_rate(str(expected)) == expected


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("8.00% + 12.10 GBP/100kg", "8% + 12.10 GBP / 100 kg"),
        ("43.00 GBP/1000 items", "43.00 GBP / 1,000 items"),
        ("4.00% + 7.80 GBP/100kg eda", "4% + 7.80 GBP / 100 kg / drained weight"),
        (
            "12.00% (01 JUN - 31 AUG), 8.00% (01 SEP - 31 MAY)",
            "12% (01 JUN - 31 AUG), 8% (01 SEP - 31 MAY)",
        ),
        ("0.50 EUR / item MIN 2.70% MAX 4.60%", "0.50 EUR / item MIN 2.7% MAX 4.6%"),
        ("250 JPY / LTR", "250 JPY / l"),
    ],
)
def test_rates_are_written_for_a_trader(text: str, shown: str) -> None:
    assert str(parse_rate(text)) == shown


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Entry Price", "entry price system"),
        ("9.00% +  EA", "agricultural component EA (Meursing table)"),
        ("9.00% +  EA MAX 18.70%  + ADSZ", "agricultural component EA"),
        ("6.4 + 24.6 EUR/100 kg", "the number 6.4 has neither % nor a currency"),
        ("7.2 MIN 0.36 EUR/100 kg", "the number 7.2 has neither %"),
        ("", "the rate is empty"),
        ("12 ABC / kg", "'ABC' is not a currency code"),
        ("12 GBP / furlong", "unknown unit 'furlong'"),
        ("12% MIN 1 GBP / kg MIN 2 GBP / kg", "two MIN clauses"),
        ("12% (01 JAN - 31 XYZ)", "unknown month 'XYZ'"),
        ("12% (40 JAN - 31 JAN)", "no day 40 in a month"),
        ("12% (from January)", "cannot read the period 'from January'"),
        ("twelve per cent", "cannot read 'twelve per cent'"),
    ],
)
def test_european_rates_that_cannot_be_read_say_why(text: str, reason: str) -> None:
    with pytest.raises(RateParseError) as caught:
        parse_rate(text)
    assert reason in caught.value.reason
    assert caught.value.text == text


# Texts exactly as published in the HTSUS 2025 general and column 2 columns.
AMERICAN = [
    ("Free", Free()),
    ("6.8%", pct("6.8")),
    ("2.5% <u></u>", pct("2.5")),
    ("1.9¢/kg", usd("0.019", "KGM")),
    ("0.26¢/liter", usd("0.0026", "LTR")),
    ("4.5¢/ liter", usd("0.045", "LTR")),
    ("$1.05/kg + 5%", Compound((usd("1.05", "KGM"), pct("5")))),
    ("4.4¢/kg + 10%", Compound((usd("0.044", "KGM"), pct("10")))),
    ("40¢/kg +10.4%", Compound((usd("0.40", "KGM"), pct("10.4")))),
    ("2.2¢/kg  +  33.5%", Compound((usd("0.022", "KGM"), pct("33.5")))),
    ("33 1/3%", pct("33.3333333333")),
    ("0.9¢ each", usd("0.009", "NAR")),
    ("$2.16 each", usd("2.16", "NAR")),
    ("$3/head", usd("3", "NAR")),
    ("2.8¢/doz.", usd("0.028", "DZN")),
    ("76¢/pr. + 32%", Compound((usd("0.76", "PR"), pct("32")))),
    ("6.5¢/gross<il></il>", usd("0.065", "GRO")),
    ("$1.34/1000", usd("1.34", "NAR", 1000)),
    ("$2.50/thou- sand + 40%", Compound((usd("2.50", "NAR", 1000), pct("40")))),
    ("10¢/1,000 pins + 3.5%", Compound((usd("0.10", "NAR", 1000), pct("3.5")))),
    ("39.7¢/t", usd("0.397", "TNE")),
    ("5.25¢/bbl", usd("0.0525", "BLL")),
    ("10.6¢/g", usd("0.106", "GRM")),
    ("10¢/m", usd("0.10", "MTR")),
    ("18.7¢/m<sup>2</sup>", usd("0.187", "MTK")),
    ("$1.13/m<sup>3</sup>", usd("1.13", "MTQ")),
    ("14.5¢/m<sup>2 </sup>+ 0.4%", Compound((usd("0.145", "MTK"), pct("0.4")))),
    ("$1.32/pf. liter", usd("1.32", "PFL")),
    ("18.9¢/pf.liter", usd("0.189", "PFL")),
    (
        "18.5¢/ liter + $1.32/pf. liter on ethyl alcohol content",
        Compound((usd("0.185", "LTR"), usd("1.32", "PFL"))),
    ),
    ("18.7¢/clean kg", usd("0.187", "KGM", 1, "clean")),
    ("3.7¢/kg on drained weight", usd("0.037", "KGM", 1, "drained weight")),
    (
        "16.9¢/kg of total sugars + 5.1%",
        Compound((usd("0.169", "KGM", 1, "total sugars"), pct("5.1"))),
    ),
    ("5¢/kg on contents and container", usd("0.05", "KGM", 1, "gross weight")),
    ("2.1¢/kg on entire contents of container", usd("0.021", "KGM", 1, "gross weight")),
    ("$1.32/t, including weight of container", usd("1.32", "TNE", 1, "gross weight")),
    ("1.7¢/kg on lead content", usd("0.017", "KGM", 1, "lead content")),
    ("$40/kg of anhydrous morphine content", usd("40", "KGM", 1, "anhydrous morphine content")),
    (
        "8.8¢/kg on copper content + 3.3¢/kg on lead content + 3.7¢/kg on zinc content",
        Compound(
            (
                usd("0.088", "KGM", 1, "copper content"),
                usd("0.033", "KGM", 1, "lead content"),
                usd("0.037", "KGM", 1, "zinc content"),
            )
        ),
    ),
    ("20¢/gross of immediate containers", usd("0.20", "GRO", 1, "immediate containers")),
    ("2.5% on the value of the lead content", pct("2.5", "lead content")),
    ("6.5% on the entire set", pct("6.5")),
    (
        "4.7% on the value of the rifle + 20% on the value of the telescopic sight, if any",
        Compound((pct("4.7", "rifle"), pct("20", "telescopic sight"))),
    ),
    (
        "44¢ each + 6% on the case + 14% on the strap, band or bracelet + 5.3% on the battery",
        Compound(
            (
                usd("0.44", "NAR"),
                pct("6", "case"),
                pct("14", "strap, band or bracelet"),
                pct("5.3", "battery"),
            )
        ),
    ),
    (
        "$2.70 each + 45% on the case + 35% on thebattery",
        Compound((usd("2.70", "NAR"), pct("45", "case"), pct("35", "battery"))),
    ),
    (
        "17¢ each + 2.5% + 1¢/jewel",
        Compound((usd("0.17", "NAR"), pct("2.5"), usd("0.01", "NAR", 1, "jewel"))),
    ),
    (
        "1.4606¢/kg less 0.020668¢/kg for each degree under 100 degrees (and fractions of a "
        "degree in proportion) but not less than 0.943854¢/kg",
        DegreeScale(usd("0.014606", "KGM"), D("0.00020668"), D(100), D("0.00943854")),
    ),
    (
        "4.3817¢/kg less 0.0622005¢ /kg for each degree under 100 degrees (and fractions of a "
        "degree in proportion) but not less 2.831562¢ /kg",
        DegreeScale(usd("0.043817", "KGM"), D("0.000622005"), D(100), D("0.02831562")),
    ),
]


@pytest.mark.parametrize(("text", "expected"), AMERICAN)
def test_us_rates(text: str, expected: Rate) -> None:
    assert parse_us_rate(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The rate applicable to the natural juice in heading 2009", "another provision"),
        ("The rate of duty appli- cable to that article in the set", "another provision"),
        ("See additional U.S. note 3", "another provision"),
        ("Free, under bond", "a conditional rate"),
        ("0.3¢/line/ gross + 4.5%", "a rate per compound unit ('line/ gross')"),
        ("$2.25 each + 15¢/jewel over 7 + 60% on the case", "above a threshold ('jewel over 7')"),
        (
            "6% + 2.3¢/jewel + 0.2¢ for each other piece or part, but if consisting in part of a "
            "plate or a set of plates the total duty shall not exceed the duty for the complete "
            "movement",
            "a ceiling set by another provision",
        ),
        ("12/kg", "needs either $ or ¢"),
        ("3¢/furlong", "unknown unit 'furlong'"),
    ],
)
def test_us_rates_that_cannot_be_read_say_why(text: str, reason: str) -> None:
    with pytest.raises(RateParseError) as caught:
        parse_us_rate(text)
    assert reason in caught.value.reason


def test_us_special_rates_give_one_rate_per_programme() -> None:
    text = (
        "Free (BH,CL,JO,MA,OM,P,PE,SG) 5.7¢/kg (CO,KR,PA) See 9822.04.15 (AU) "
        "See 9823.02.01-9823.02.04 (S+) See 9908.04.03 (IL)"
    )
    rates = parse_us_special(text)
    parsed = {code: rate for code, rate in rates.items() if not isinstance(rate, RateParseError)}
    assert parsed == {
        **{code: Free() for code in ("BH", "CL", "JO", "MA", "OM", "P", "PE", "SG")},
        **{code: usd("0.057", "KGM") for code in ("CO", "KR", "PA")},
    }
    refused = {
        code: rate.reason for code, rate in rates.items() if isinstance(rate, RateParseError)
    }
    assert refused == {
        "AU": "the rate is that of another provision (See 9822.04.15)",
        "S+": "the rate is that of another provision (See 9823.02.01-9823.02.04)",
        "IL": "the rate is that of another provision (See 9908.04.03)",
    }


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Free (A,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)", 17),
        ("Free \n(A+,AU,BH,CL,CO,D, E,IL,JO, KR,MA,OM,P ,PA,PE,S,SG)", 17),
        ("Free(A*,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)", 17),
        ("Free (A,AU,BH,CL,CO,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG) 1.6% (D)", 17),
    ],
)
def test_us_special_rates_tolerate_the_published_spacing(text: str, codes: int) -> None:
    rates = parse_us_special(text)
    assert len(rates) == codes
    assert all(not isinstance(rate, RateParseError) for rate in rates.values())
    assert all(code.replace("*", "").replace("+", "").isalpha() for code in rates)


def test_us_special_rates_reject_what_is_not_a_list_of_programmes() -> None:
    with pytest.raises(RateParseError, match="not a list of rates"):
        parse_us_special("Free")
    with pytest.raises(RateParseError, match="not a list of rates"):
        parse_us_special("Free (A,B) and more")
    garbled = parse_us_special("Free (A) See 9919.04.50, 9919.04.67 (PA (PA)")
    assert garbled["A"] == Free()
    assert isinstance(garbled["PA"], RateParseError)
