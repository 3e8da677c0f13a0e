"""Entry summary declarations (CC315A): the published rule and schema cases, the samples, the
assert language itself, and proof that the rules are data."""

from __future__ import annotations

import math
import re
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from onewindow.config import get_settings
from onewindow.formats import ens_rules
from onewindow.formats.ens import (
    MALFORMED,
    SCHEMA_ERROR,
    check_entry_summary,
    location_of,
    sentence,
)
from onewindow.formats.ens_rules import (
    ExpressionError,
    Node,
    RuleSetError,
    java_double,
    java_int,
    java_trim,
    load_rule_set,
    parse_expression,
)
from tests.conftest import require_data

RULES = get_settings().ens_rules_dir
ERR = {"err": "http://www.govtalk.gov.uk/CM/errorresponse"}


def _cases(kind: str) -> list[Path | None]:
    """Every case of a kind, found at collection; ``[None]`` without the data, so that the one
    test then says so (and fails in CI) instead of vanishing."""
    found = sorted((RULES / "cases" / kind).glob("*.xml"))
    return list(found) or [None]


def _id(path: Path | None) -> str:
    return path.stem if path else "missing"


def _need(case: Path | None) -> Path:
    require_data(case is not None, f"the entry summary declaration cases in {RULES / 'cases'}")
    assert case is not None
    return case


def _expected(ctl: Path) -> list[tuple[str, str]]:
    tree = etree.parse(str(ctl))
    pairs = []
    for error in tree.findall("err:Error", ERR):
        number = error.findtext("err:Number", namespaces=ERR) or ""
        pairs.append((number, error.findtext("err:Location", namespaces=ERR) or ""))
    return sorted(pairs)


@pytest.mark.parametrize("case", _cases("rule"), ids=_id)
def test_rule_case(case: Path | None) -> None:
    xml = _need(case)
    expected = _expected(xml.with_suffix(".ctl"))
    result = check_entry_summary(xml.read_bytes(), RULES)
    assert sorted((e.code, e.location) for e in result.errors) == expected
    assert result.accepted is (not expected)
    assert (result.summary is not None) is result.accepted


@pytest.mark.parametrize("case", _cases("schema"), ids=_id)
def test_schema_case(case: Path | None) -> None:
    xml = _need(case)
    refused = bool(etree.parse(str(xml.with_suffix(".ctl"))).findall("err:Error", ERR))
    result = check_entry_summary(xml.read_bytes(), RULES)
    schema_errors = [e for e in result.errors if e.code == SCHEMA_ERROR]
    assert bool(schema_errors) is refused
    if refused:
        assert not result.accepted
        assert all(e.location.startswith("/ie:CC315A[1]") for e in schema_errors)


def _sample(name: str) -> bytes:
    path = RULES / name
    require_data(path.is_file(), f"the sample {path}")
    return path.read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "CC315A-schemaValidSample-v11-2.xml",
        "CC315A-schemaValidSampleWithEnvelope-v11-2.xml",
        "315NoOptional.xml",
    ],
)
def test_valid_samples_pass_the_schema(name: str) -> None:
    # The samples hold placeholder data: the schema takes them, the business rules need not.
    result = check_entry_summary(_sample(name), RULES)
    assert result.errors
    assert not [e for e in result.errors if e.code in (SCHEMA_ERROR, MALFORMED)]
    assert all(e.code.isdigit() for e in result.errors)


def test_an_envelope_is_unwrapped() -> None:
    bare = check_entry_summary(_sample("CC315A-schemaValidSample-v11-2.xml"), RULES)
    wrapped = check_entry_summary(_sample("CC315A-schemaValidSampleWithEnvelope-v11-2.xml"), RULES)
    assert wrapped.errors == bare.errors


def test_the_rule_set_comes_from_the_settings_by_default() -> None:
    data = _sample("CC315A-schemaValidSample-v11-2.xml")
    assert check_entry_summary(data) == check_entry_summary(data, RULES)


def test_the_invalid_sample_is_refused_by_the_schema() -> None:
    result = check_entry_summary(_sample("CC315A-schemaInvalidSample-v11-2.xml"), RULES)
    assert not result.accepted
    assert [(e.code, e.location) for e in result.errors] == [
        (SCHEMA_ERROR, "/ie:CC315A[1]/HEAHEA[1]/TotNumOfIteHEA305[1]"),
        (SCHEMA_ERROR, "/ie:CC315A[1]/GOOITEGDS[2]/PACGS2[1]/NumOfPacGS24[1]"),
    ]
    assert result.errors[0].text == (
        "TotNumOfIteHEA305: The value 'XXX' is not accepted by the pattern '[0-9]{1,5}'."
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<ie:CC315A xmlns:ie='http://ics.dgtaxud.ec/CC315A'>",
        b"<!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><a>&x;</a>",
        b"<!DOCTYPE a [<!ENTITY x 'xx'><!ENTITY y '&x;&x;&x;&x;'>]><a>&y;</a>",
    ],
)
def test_not_well_formed_or_with_a_doctype_gives_one_error(data: bytes) -> None:
    result = check_entry_summary(data, RULES)
    assert not result.accepted
    assert [e.code for e in result.errors] == [MALFORMED]
    assert "passwd" not in result.errors[0].text


def test_another_root_is_refused() -> None:
    result = check_entry_summary(b"<CC313A/>", RULES)
    assert [(e.code, e.location) for e in result.errors] == [(SCHEMA_ERROR, "/CC313A[1]")]


def test_schema_messages_become_sentences() -> None:
    message = (
        "Element '{http://ics.dgtaxud.ec/CC315A}X': [facet 'pattern'] The value '' is not "
        "accepted by the pattern '.{1,35}'"
    )
    assert sentence(message) == "X: The value '' is not accepted by the pattern '.{1,35}'."


def test_location_indexes_every_step() -> None:
    root = etree.fromstring(b"<p:a xmlns:p='urn:x'><b/><c/><b><d/></b></p:a>")
    assert location_of(root[2][0]) == "/p:a[1]/b[2]/d[1]"


# --------------------------------------------------------------------------- rules are data


def _rule_set(tmp_path: Path, rules: dict[str, str]) -> Path:
    require_data((RULES / "xsds").is_dir(), f"the CC315A schemas in {RULES / 'xsds'}")
    shutil.copytree(RULES / "xsds", tmp_path / "xsds")
    (tmp_path / "rules").mkdir()
    for name, text in rules.items():
        (tmp_path / "rules" / name).write_text(text, encoding="utf-8")
    listed = "\n".join(n for n in rules if n.endswith(".json"))
    (tmp_path / "rules" / "businessRules315.txt").write_text(listed + "\n", encoding="utf-8")
    return tmp_path


INVENTED = """{"element": "/GOOITEGDS", "name": "invented", "asserts": [
  {"test": "number('IteNumGDS7') < 2", "errorCode": "X42", "localErrorMessage": "",
   "errorMessage": "Only one item, please."}]}"""


def test_an_invented_rule_set_is_applied(tmp_path: Path) -> None:
    folder = _rule_set(tmp_path, {"invented.json": INVENTED})
    data = _sample("CC315A-schemaValidSample-v11-2.xml")
    result = check_entry_summary(data, folder)
    # The sample numbers its items 42, 43, ...: each breaks the invented rule, nothing else.
    assert result.errors
    assert {e.code for e in result.errors} == {"X42"}
    assert result.errors[0].location == "/ie:CC315A[1]/GOOITEGDS[1]"
    assert result.errors[0].text == "Only one item, please."


def test_an_empty_rule_set_accepts_a_schema_valid_message_and_summarises_it(
    tmp_path: Path,
) -> None:
    folder = _rule_set(tmp_path, {})
    root = etree.fromstring(_sample("CC315A-schemaValidSample-v11-2.xml"))
    root.find("HEAHEA/RefNumHEA4").text = "LRN0001"  # type: ignore[union-attr]
    root.find("HEAHEA/TraModAtBorHEA76").text = "1"  # type: ignore[union-attr]
    root.find("HEAHEA/IdeOfMeaOfTraCroHEA85").text = "IMO9321483"  # type: ignore[union-attr]
    result = check_entry_summary(etree.tostring(root), folder)
    assert result.accepted and result.errors == []
    summary = result.summary
    assert summary is not None
    assert (summary.lrn, summary.transport_mode, summary.transport_identity) == (
        "LRN0001",
        "1",
        "IMO9321483",
    )
    assert summary.first_entry_office == "AB3C4D5E"
    assert summary.expected_arrival == datetime(2003, 2, 11, 12, 34)
    assert summary.carrier is not None and summary.carrier.identifier == "GB^"
    item = summary.items[0]
    assert item.item_number == 42 and item.commodity_code == "12345"
    assert item.gross_mass == Decimal("3.14")
    assert item.packages[0].kind == "A1" and item.packages[0].number == 42
    assert "ABC123" in item.containers and summary.seals and summary.itinerary


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{not json", "cannot be read"),
        (
            '{"element": "/X", "asserts": [{"test": "frobnicate(\'.\')", "errorCode": "1", '
            '"errorMessage": "m"}]}',
            "unknown function 'frobnicate'",
        ),
        (
            '{"element": "/X", "asserts": [{"test": "count(\'.\') == \'1\'", "errorCode": "1", '
            '"errorMessage": "m"}]}',
            "cannot compare",
        ),
        (
            '{"element": "X", "asserts": [{"test": "true", "errorCode": "1", '
            '"errorMessage": "m"}]}',
            "must be a path",
        ),
        (
            '{"element": "/X", "asserts": [{"test": "exists(\'.\'", "errorCode": "1", '
            '"errorMessage": "m"}]}',
            "expected ')'",
        ),
        ('{"element": "/X", "asserts": [{"test": "true", "errorMessage": "m"}]}', "errorCode"),
    ],
)
def test_a_malformed_rule_file_names_itself(tmp_path: Path, text: str, complaint: str) -> None:
    folder = _rule_set(tmp_path, {"broken.json": text})
    with pytest.raises(RuleSetError, match=re.escape(complaint)) as raised:
        load_rule_set(folder, "businessRules315.txt")
    assert "broken.json" in str(raised.value)


def test_a_rule_set_is_loaded_once() -> None:
    require_data((RULES / "rules").is_dir(), f"the business rules in {RULES / 'rules'}")
    first = load_rule_set(RULES, "businessRules315.txt")
    assert load_rule_set(RULES, "businessRules315.txt") is first
    assert len(first.rules) == len(
        [n for n in (RULES / "rules" / "businessRules315.txt").read_text().split() if n]
    )


# --------------------------------------------------------------------------- the language

DOC = b"""<r:M xmlns:r="urn:x">
  <H><A> 7 </A><B>x</B><D>0.5</D><E>+12</E><F/></H>
  <I><N>1</N><P><K>VQ</K><C>3</C><Q>a</Q></P><P><K> VQ</K><C>4</C></P><T>GB1</T></I>
  <I><N>2</N><P><K>PK</K><C>5</C></P><T>GB1 </T><!-- a comment --></I>
</r:M>"""


def _run(test: str, context: str = "/M/H") -> bool:
    root = etree.fromstring(DOC)
    nodes = ens_rules.contexts(ens_rules.Message(root), context)
    assert nodes, context
    return ens_rules.evaluate(parse_expression(test), nodes[0][1])


@pytest.mark.parametrize(
    "test",
    [
        "true || false && false",  # && binds tighter than ||
        "!(false && true) || false",
        "!false && !false",
        "1 + 2 * 3 == 7",
        "(1 + 2) * 3 == 9",
        "10 - 2 - 3 == 5",
        "1 < 2 == true",  # comparisons bind tighter than equality
        "2 >= 2 && 2 <= 2 && 3 > 2 && 2 != 3",
        "-1 < 0",
        "0.1 + 0.2 == 0.3",  # decimal literals are exact
        "'abc' == \"abc\" && 'a' < 'b'",
        "'it\\'s'.length() == 4",
    ],
)
def test_operators_and_precedence(test: str) -> None:
    assert _run(test)


@pytest.mark.parametrize(
    "test",
    ["false || true && false", "!true || false", "1 + 2 * 3 == 9", "'a' == 'b'", "2 < 1"],
)
def test_false_expressions(test: str) -> None:
    assert not _run(test)


@pytest.mark.parametrize(
    ("test", "context"),
    [
        ("exists('A') && not('Z') && exists('.') && not('A/Z')", "/M/H"),
        ("getValue('A') == ' 7 ' && trim('A') == '7' && getValue('Z') == ''", "/M/H"),
        ("trim('F') == '' && exists('F')", "/M/H"),
        ("number('A') == 7 && number('D') * 2 == 1 && number('E') == 12", "/M/H"),
        ("number('Z') != number('Z') && !(number('B') == number('B'))", "/M/H"),  # NaN
        ("!(number('Z') < 1) && !(number('Z') >= 1)", "/M/H"),
        ("sum('I/P/C') == 12 && sum('Z') == 0", "/M"),
        ("sum('H/B') == sum('H/B') && sum('H/B') > 1000000", "/M"),  # boxed NaN orders last
        ("count('I') == 2 && count('I/P') == 3 && count('Z') == 0", "/M"),
        ("countEquals('I/P/K', 'VQ') == 2 && countEquals('I/P/K', 'PK') == 1", "/M"),
        ("countDistinct('I/T', true) == 1 && countDistinct('I/T', false) == 2", "/M"),
        ("countDistinctChildCount('I/P') == 2", "/M"),
        ("areIndices('I/N') && !areIndices('I/P/C') && areIndices('Z')", "/M"),
        ("applyRegex('A', '\\\\s*[0-9]\\\\s*') && !applyRegex('A', '[0-9]')", "/M/H"),
        ("!applyRegex('Z', '.*')", "/M/H"),
        ("intOrElse('E', 0) == 12 && intOrElse('D', -1) == -1 && intOrElse('Z', 3) == 3", "/M/H"),
        ("substringAfter(trim('D'), '.') == '5' && substringAfter('abc', '.') == ''", "/M/H"),
        ("trim('B').take(1) == 'x' && 'abc'.take(9) == 'abc' && 'abc'.take(0) == ''", "/M/H"),
        ("trim('A').startsWith('7') && getValue('D').contains('.') && 'ab'.length() == 2", "/M/H"),
        ("existsForAll('I', 'P/K', 'VQ') == false && existsForAll('Z', 'K', 'x')", "/M"),
        ("existsForAll('I', 'T', 'GB1')", "/M"),
        ("trim('../../I/N') == '1' && number('../../H/A') == 7", "/M/H/A"),
        ("number('../H/A') != 7 && not('../../../../H') && not('./..')", "/M/H/A"),
        ("trim('/M/H/B') == 'x' && count('/M/I') == 2", "/M/I"),
        ("getValue('.') == '1'", "/M/I/N"),
        ("trim('.') == 'GB1'", "/M/I/T"),  # the comment's text is no part of the value
        (
            "exists('I/P', {Helper current, Helper local -> local.trim('K') == 'PK'})"
            " && !exists('I/P', {a, b -> b.exists('Z')})",
            "/M",
        ),
        (
            "exists('../../I/P', {ContextHelper current, ContextHelper local -> "
            "current.trim('K') == local.trim('K') && local.exists('Q') == false})",
            "/M/I/P",
        ),
    ],
)
def test_functions(test: str, context: str) -> None:
    assert _run(test, context), test


def test_rule_contexts_are_every_element_reached_with_its_location() -> None:
    root = etree.fromstring(DOC)
    found = ens_rules.contexts(ens_rules.Message(root), "/r:M/I/P")
    assert [loc for loc, _ in found] == [
        "/r:M[1]/I[1]/P[1]",
        "/r:M[1]/I[1]/P[2]",
        "/r:M[1]/I[2]/P[1]",
    ]
    assert [loc for loc, _ in ens_rules.contexts(ens_rules.Message(root), "/r:M/")] == ["/r:M[1]"]
    assert all(isinstance(node, Node) for _, node in found)


@pytest.mark.parametrize(
    "test",
    [
        "nothing('A')",
        "exists()",
        "exists(trim('A'))",
        "count('A') == 'x'",
        "exists('A') <",
        "exists('A') ; true",
        "unknownName",
        "trim('A').frobnicate()",
        "applyRegex('A', '[')",
        "true < false",
    ],
)
def test_bad_expressions_are_refused_when_parsed(test: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(test)


def test_numbers_are_read_as_java_reads_them() -> None:
    assert java_double(" 1e3 ") == 1000.0
    assert java_double("+2.5d") == 2.5
    assert java_double(".5") == 0.5
    assert math.isnan(java_double("1_0"))
    assert math.isnan(java_double("inf"))
    assert math.isnan(java_double(""))
    assert java_double("-Infinity") == -math.inf
    assert java_int(" 12 ") == 12 and java_int("+3") == 3
    assert java_int("1.0") is None and java_int("2147483648") is None
    assert java_trim("\t\n x \x01") == "x" and java_trim("\u00a0x") == "\u00a0x"


def test_a_dot_stops_at_java_line_terminators() -> None:
    assert ens_rules.java_pattern("a.[.]\\.") == "a[^\\n\\r\\u0085\\u2028\\u2029][.]\\."
    assert ens_rules._regex("a.c").fullmatch("abc")
    assert not ens_rules._regex("a.c").fullmatch("a\rc")


def test_a_rule_failing_at_run_time_names_itself(tmp_path: Path) -> None:
    text = """{"element": "/", "name": "after", "asserts": [{"test":
      "substringAfter(trim('MesSenMES3'), '') == ''", "errorCode": "X1", "errorMessage": "m"}]}"""
    folder = _rule_set(tmp_path, {"after.json": text})
    with pytest.raises(RuleSetError, match="rule after \\(error X1\\)"):
        check_entry_summary(_sample("CC315A-schemaValidSample-v11-2.xml"), folder)
