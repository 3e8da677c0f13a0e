"""Loading the real UK Global Tariff and US HTS files, and a national tariff file."""

from __future__ import annotations

import io
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from onewindow.tariff.engine import (
    ERGA_OMNES,
    AssessmentError,
    Free,
    GoodsLine,
    Measure,
    MeasureType,
    Money,
    assess,
)
from onewindow.tariff.loaders import (
    UK_VALID_FROM,
    US_COLUMN_2,
    US_ORIGIN_GROUPS,
    US_VALID_FROM,
    TariffFormatError,
    TariffLine,
    TariffLoad,
    load_national_tariff,
    load_uk_global_tariff,
    load_us_hts,
    normalise_commodity_code,
)
from onewindow.tariff.rates import parse_rate
from tests.conftest import require_data

D = Decimal
DATA = Path(
    os.environ.get("ONEWINDOW_DATA_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
UK_FILE = DATA / "tariffs" / "uk" / "uk-global-tariff-2020.csv"
US_DIR = DATA / "tariffs" / "us"


@pytest.fixture(scope="module")
def uk() -> TariffLoad:
    require_data(UK_FILE.is_file(), f"the UK Global Tariff file at {UK_FILE}")
    return load_uk_global_tariff(UK_FILE)


@pytest.fixture(scope="module")
def us() -> TariffLoad:
    require_data(any(US_DIR.glob("chapter-*.csv")), f"the HTSUS chapter files in {US_DIR}")
    return load_us_hts(US_DIR)


def duty_measures(line: TariffLine, origin_group: str = ERGA_OMNES) -> list[str]:
    return [
        str(m.rate)
        for m in line.measures
        if m.measure_type == MeasureType.CUSTOMS_DUTY and m.origin_group == origin_group
    ]


# --- UK Global Tariff -----------------------------------------------------------------------------


def test_uk_rates_parse(uk: TariffLoad) -> None:
    # Measured: all 11,830 rate texts parse.
    count = uk.rates["ukgt_duty_rate"]
    assert count.read == 11830
    assert count.share >= 0.999
    assert uk.counts() == {
        "lines": 11830,
        "declarable": 11198,
        "measures": 11830,
        "rejections": 0,
    }


@pytest.mark.parametrize(
    ("code", "rate", "description"),
    [
        ("01012990", "10%", "Live horses (excl. for slaughter, pure-bred for breeding)"),
        ("01022910", "10% + 77.00 GBP / 100 kg", "Live cattle of a weight <= 80 kg"),
        ("22041011", "26.00 GBP / hl", "Champagne, with PDO"),
        ("2204218595", "1.40 GBP / % vol / hl", "Madeira and Setubal muscatel"),
        (
            "08081080",
            "4% (01 JAN - 31 MAR), 0% (01 APR - 31 JUL), 8% (01 AUG - 31 DEC)",
            "Fresh apples",
        ),
    ],
)
def test_known_uk_lines(uk: TariffLoad, code: str, rate: str, description: str) -> None:
    line = uk.by_code()[code]
    assert line.description.startswith(description)
    assert line.subheading == code[:6]
    assert duty_measures(line) == [rate]
    (measure,) = line.measures
    assert measure.valid_from == UK_VALID_FROM == date(2021, 1, 1)
    assert measure.valid_to is None
    assert "UK Global Tariff" in measure.legal_reference


def test_uk_codes_get_their_leading_zero_back_and_flags_become_notes(uk: TariffLoad) -> None:
    codes = uk.by_code()
    assert all(len(code) in (8, 10) and code.isdigit() for code in codes)
    assert codes["0301919011"].notes == ("a trade remedy applies",)
    # an eight-digit code with ten-digit codes under it is not declarable
    assert not codes["03019190"].declarable
    assert codes["0301919011"].declarable


def test_every_uk_rate_reads_back_what_it_writes(uk: TariffLoad) -> None:
    for line in uk.lines:
        for measure in line.measures:
            assert parse_rate(str(measure.rate)) == measure.rate, line.commodity_code


def test_champagne_is_assessed_from_the_real_tariff(uk: TariffLoad) -> None:
    champagne = uk.by_code()["22041011"]
    goods = GoodsLine("22041011", Money(D("3000"), "GBP"), "FR", {"LTR": D(750)})
    result = assess(goods, champagne.measures, date(2024, 6, 1))
    assert result.amount(MeasureType.CUSTOMS_DUTY) == Money(D("195.00"), "GBP")
    assert result.trace[0].text == (
        "Customs duty (UK Global Tariff) GBP 26.00 per hl on 7.5 hl = GBP 195.00"
    )
    with pytest.raises(AssessmentError, match="no customs duty measure is in force on 2020-12-31"):
        assess(goods, champagne.measures, date(2020, 12, 31))


# --- US Harmonized Tariff Schedule ----------------------------------------------------------------


def test_us_rates_parse(us: TariffLoad) -> None:
    # Measured: general 10,740 of 10,790 (99.5%), special 111,412 of 112,185 programme entries
    # (99.3%), column 2 10,733 of 10,790 (99.5%).
    assert us.rates["general"].read == 10790
    assert us.rates["general"].share >= 0.99
    assert us.rates["special"].share >= 0.99
    assert us.rates["column_2"].share >= 0.99
    assert us.counts()["lines"] == 21821
    reasons = {r.reason.split(" (")[0] for r in us.rejections if r.column == "general"}
    assert "the rate is that of another provision" in reasons


def test_known_us_line_with_its_three_columns(us: TariffLoad) -> None:
    water = us.by_code()["2201100000"]
    assert water.description == "Mineral waters and aerated waters"
    assert water.subheading == "220110"
    assert water.units == ("LTR",)
    assert water.declarable
    assert duty_measures(water) == ["0.0026 USD / l"]
    assert duty_measures(water, US_COLUMN_2) == ["0.026 USD / l"]
    preferences = {
        m.origin_group: m.rate
        for m in water.measures
        if m.measure_type == MeasureType.PREFERENTIAL_DUTY
    }
    assert preferences == {
        code: Free()
        for code in ("A", "AU", "BH", "CL", "CO", "D", "E", "IL", "JO", "KR", "MA", "OM", "P")
        + ("PA", "PE", "S", "SG")
    }
    assert all(m.valid_from == US_VALID_FROM for m in water.measures)
    assert all(
        m.requires_proof_of_origin
        for m in water.measures
        if m.measure_type == MeasureType.PREFERENTIAL_DUTY
    )


@pytest.mark.parametrize(
    ("code", "general", "column_2", "units"),
    [
        ("6109100012", "16.5%", "90%", ("DZN", "KGM")),
        ("0101210010", "Free", "Free", ("NAR",)),
        ("2202100020", "0.002 USD / l", "0.04 USD / l", ("LTR",)),
        (
            "1701121000",
            "0.036606 USD / kg less 0.00020668 USD / kg for each degree under 100 degrees "
            "but not less than 0.03143854 USD / kg",
            "0.065817 USD / kg less 0.000622005 USD / kg for each degree under 100 degrees "
            "but not less than 0.05031562 USD / kg",
            ("KGM",),
        ),
    ],
)
def test_known_us_lines(
    us: TariffLoad, code: str, general: str, column_2: str, units: tuple[str, ...]
) -> None:
    line = us.by_code()[code]
    assert duty_measures(line) == [general]
    assert duty_measures(line, US_COLUMN_2) == [column_2]
    assert line.units == units


def test_us_statistical_suffixes_inherit_the_subheading_rate(us: TariffLoad) -> None:
    codes = us.by_code()
    assert not codes["22021000"].declarable
    assert codes["2202100020"].measures == codes["22021000"].measures
    assert codes["2202100020"].description.startswith("Containing high-intensity sweeteners")


def test_an_unreadable_us_rate_is_rejected_and_the_line_kept(us: TariffLoad) -> None:
    juice = us.by_code()["2106905200"]
    assert duty_measures(juice) == []
    assert {m.origin_group for m in juice.measures} >= {"AU", "S", "SG"}
    rejected = {(r.column, r.reason.split(":")[0]) for r in us.rejections if r.code == "2106905200"}
    natural_juice = "The rate applicable to the natural juice in heading 2009"
    assert ("general", f"the rate is that of another provision ({natural_juice})") in rejected
    assert ("special", "programme A*") in rejected
    goods = GoodsLine("2106905200", Money(D(100), "USD"), "CN", {"LTR": D(10)})
    with pytest.raises(AssessmentError, match="no customs duty measure"):
        assess(goods, juice.measures, date(2025, 3, 1))


@pytest.mark.parametrize(
    ("origin", "claimed", "proof", "duty"),
    [
        ("CN", None, False, "2.60"),  # general: 0.26¢ per litre on 1,000 litres
        ("AU", "AU", True, "0.00"),  # US-Australia FTA, with proof
        ("AU", "AU", False, "2.60"),  # no proof of origin
        ("CU", None, False, "26.00"),  # column 2
    ],
)
def test_water_is_assessed_from_the_real_schedule(
    us: TariffLoad, origin: str, claimed: str | None, proof: bool, duty: str
) -> None:
    water = us.by_code()["2201100000"]
    goods = GoodsLine("2201100000", Money(D(500), "USD"), origin, {"LTR": D(1000)})
    result = assess(
        goods,
        water.measures,
        date(2025, 3, 1),
        preference_claimed=claimed,
        proof_of_origin=proof,
        origin_groups=US_ORIGIN_GROUPS,
    )
    assert result.amount(MeasureType.CUSTOMS_DUTY) == Money(D(duty), "USD")


# --- a national tariff ----------------------------------------------------------------------------

NATIONAL = """commodity_code,description,measure_type,rate,valid_from,valid_to,origin_group,\
requires_proof_of_origin,label,legal_reference,units
2203.00.01.00,Beer made from malt,customs_duty,Free,2021-01-01,,,,Customs duty,Tariff Act s.1,LTR
2203000100,,excise,19.08 GBP / % vol / hl,2023-08-01,,,,Beer duty,Excise Act s.36,
2203000100,,vat,20%,2011-01-04,,,,VAT,VAT Act s.2,
6403990000,Footwear,customs_duty,16%,2021-01-01,2023-12-31,,,Customs duty,Tariff Act s.1,NAR
6403990000,Footwear,customs_duty,12%,2024-01-01,,,,Customs duty,Tariff Act s.1,
6403990000,Footwear,preferential_duty,Free,2021-01-01,,AU,,Preference (AU FTA),FTA art. 2,
6403990000,Footwear,preferential_duty,4%,2021-01-01,,GSP,false,GSP,GSP Order,
6403990000,Footwear,anti_dumping_duty,8% MIN 1.50 GBP / 100 kg,2022-01-01,,CN,,AD duty,AD Reg,
6403990000,Footwear,excise,twelve,2021-01-01,,,,,,
6403990000,Footwear,tax,5%,2021-01-01,,,,,,
6403990000,Footwear,vat,20%,1/1/2021,,,,,,
6403990000,Footwear,vat,20%,2021-01-01,2020-01-01,,,,,
6403990000,Footwear,vat,20%,2021-01-01,,,maybe,,,
64O39,Bad code,vat,20%,2021-01-01,,,,,,
"""


def test_national_tariff_loads_good_rows_and_rejects_bad_ones() -> None:
    load = load_national_tariff(io.StringIO(NATIONAL))
    assert load.counts() == {"lines": 2, "declarable": 2, "measures": 8, "rejections": 6}
    assert load.rates["rate"].read == 13
    assert load.rates["rate"].parsed == 12
    assert [(r.code, r.column) for r in load.rejections] == [
        ("6403990000", "rate"),
        ("6403990000", "measure_type"),
        ("6403990000", "valid_from"),
        ("6403990000", "valid_to"),
        ("6403990000", "requires_proof_of_origin"),
        ("64O39", "commodity_code"),
    ]
    reasons = [r.reason for r in load.rejections]
    assert reasons[0] == "cannot read 'twelve'"
    assert reasons[1].startswith("unknown measure type 'tax'")
    assert "ends (2020-01-01) before it starts (2021-01-01)" in reasons[3]


def test_national_tariff_lines_carry_their_measures() -> None:
    lines = load_national_tariff(io.StringIO(NATIONAL)).by_code()
    beer, shoes = lines["2203000100"], lines["6403990000"]
    assert (beer.description, beer.subheading, beer.units) == (
        "Beer made from malt",
        "220300",
        ("LTR",),
    )
    assert [m.measure_type for m in beer.measures] == [
        MeasureType.CUSTOMS_DUTY,
        MeasureType.EXCISE,
        MeasureType.VAT,
    ]
    au, gsp = (m for m in shoes.measures if m.measure_type == MeasureType.PREFERENTIAL_DUTY)
    assert (au.origin_group, au.requires_proof_of_origin) == ("AU", True)
    assert (gsp.origin_group, gsp.requires_proof_of_origin) == ("GSP", False)
    first = shoes.measures[0]
    assert first == Measure(
        MeasureType.CUSTOMS_DUTY,
        parse_rate("16%"),
        date(2021, 1, 1),
        date(2023, 12, 31),
        label="Customs duty",
        legal_reference="Tariff Act s.1",
    )


@pytest.mark.parametrize(
    ("on", "origin", "duty", "anti_dumping"),
    [
        (date(2021, 6, 1), "CN", "16.00", None),
        (date(2023, 12, 31), "CN", "16.00", "15.00"),  # 8% of 100 is below 1.50 per 100 kg
        (date(2024, 1, 1), "CN", "12.00", "15.00"),
        (date(2024, 1, 1), "VN", "12.00", None),
    ],
)
def test_a_national_tariff_is_assessed_as_in_force_on_the_day(
    on: date, origin: str, duty: str, anti_dumping: str | None
) -> None:
    shoes = load_national_tariff(io.StringIO(NATIONAL)).by_code()["6403990000"]
    goods = GoodsLine("6403990000", Money(D(100), "GBP"), origin, {"KGM": D(1000)})
    result = assess(goods, shoes.measures, on)
    assert result.amount(MeasureType.CUSTOMS_DUTY) == Money(D(duty), "GBP")
    found = result.amounts.get(MeasureType.ANTI_DUMPING_DUTY)
    assert found == (Money(D(anti_dumping), "GBP") if anti_dumping else None)


def test_beer_from_a_national_tariff_explains_duty_excise_and_vat() -> None:
    beer = load_national_tariff(io.StringIO(NATIONAL)).by_code()["2203000100"]
    goods = GoodsLine("2203000100", Money(D(1000), "GBP"), "BE", {"LTR": D(500), "ASV": D(5)})
    result = assess(goods, beer.measures, date(2024, 6, 1))
    assert [(s.label, s.legal_reference, str(s.amount)) for s in result.trace] == [
        ("Customs duty", "Tariff Act s.1", "GBP 0.00"),
        ("Beer duty", "Excise Act s.36", "GBP 477.00"),
        ("VAT", "VAT Act s.2", "GBP 295.40"),
    ]


def test_a_national_tariff_without_its_required_columns_is_refused() -> None:
    with pytest.raises(TariffFormatError, match="rate, valid_from"):
        load_national_tariff(io.StringIO("commodity_code,measure_type\n220300,vat\n"))


def test_a_national_tariff_is_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "tariff.csv"
    path.write_text(NATIONAL, encoding="utf-8")
    load = load_national_tariff(path)
    assert load.source == str(path)
    assert load.counts()["lines"] == 2


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2201.10.00.00", "2201100000"),
        ("1012100", "01012100"),
        ("302118011", "0302118011"),
        ("220110", "220110"),
        (" 8703 23 ", "870323"),
    ],
)
def test_commodity_codes_are_normalised(text: str, code: str) -> None:
    assert normalise_commodity_code(text) == code


@pytest.mark.parametrize("text", ["22A1", "2201", "22011000001", ""])
def test_bad_commodity_codes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        normalise_commodity_code(text)
