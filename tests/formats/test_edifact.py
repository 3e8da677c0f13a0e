"""The EDIFACT interchange layer: envelope checks, character repertoires, bounds, the writer
and the CONTRL report, on sample interchanges and broken copies of them."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

from pydifact.exceptions import MissingImplementationWarning
from pydifact.parser import Parser
from pydifact.segments import Segment

from onewindow.formats.edifact import (
    EdifactError,
    OutgoingMessage,
    contrl_report,
    parse_interchange,
    write_interchange,
)
from tests.formats.edifact_samples.generate import interchange, sample

CUSCAR = sample("cuscar_d95b.edi")
TEXT = CUSCAR.decode("latin-1")
WHEN = datetime(2026, 3, 14, 7, 0, tzinfo=UTC)


def pydifact_segments(text: str) -> list[Segment]:
    """The interchange as pydifact reads it (without its schema warnings for service segments)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)
        return list(Parser().parse(text))


def only(errors: list[EdifactError]) -> EdifactError:
    assert len(errors) == 1, errors
    return errors[0]


def test_a_valid_interchange_reads_without_errors() -> None:
    read, errors = parse_interchange(CUSCAR)
    assert errors == []
    assert read is not None
    assert (read.syntax_identifier, read.syntax_version) == ("UNOC", "3")
    assert (read.sender, read.sender_qualifier, read.recipient) == ("MAEU", "ZZ", "ONEWINDOW")
    assert read.control_reference == "CAR0001"
    assert read.prepared == "260314:0600"
    assert read.segment_count == 40
    [message] = read.messages
    assert message.identifier == "CUSCAR:D:95B:UN"
    assert (message.type, message.version, message.release, message.agency) == (
        "CUSCAR", "D", "95B", "UN",
    )  # fmt: skip
    assert message.reference == "M1"
    assert [s.tag for s in message.segments[:3]] == ["UNH", "BGM", "DTM"]
    assert message.segments[0].position == 2
    assert message.body_position(message.segments[-1]) == 38


def test_without_una_the_default_service_characters_apply() -> None:
    read, errors = parse_interchange(TEXT.replace("UNA:+.? '\n", ""))
    assert errors == []
    assert read is not None and read.messages[0].segments[1].value(2) == "MAN2026-0314"


def test_una_advises_other_service_characters() -> None:
    text = (
        'UNA*|.# "UNB|UNOB*3|S|R|260314*0600|X1"'
        'UNH|1|CUSCAR*D*95B*UN"BGM|85|A#|B|9"UNT|3|1"UNZ|1|X1"'
    )
    read, errors = parse_interchange(text)
    assert errors == []
    assert read is not None
    assert read.messages[0].segments[1].value(2) == "A|B"


def test_release_character_escapes_separators() -> None:
    read, errors = parse_interchange(CUSCAR)
    assert read is not None and not errors
    ftx = read.messages[0].segments[20]
    assert ftx.tag == "FTX" and ftx.value(4) == "LAPTOP COMPUTERS, 14 INCH"


def test_wrong_unt_count() -> None:
    _, errors = parse_interchange(TEXT.replace("UNT+38+M1", "UNT+37+M1"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        39, "UNT", "1", "29",
    )  # fmt: skip
    assert "says the message has 37 segments but 38 were received" in error.text


def test_unt_reference_must_match_unh() -> None:
    _, errors = parse_interchange(TEXT.replace("UNT+38+M1", "UNT+38+M2"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        39, "UNT", "2", "28",
    )  # fmt: skip
    assert "M2 does not match the UNH message reference M1" in error.text


def test_unz_reference_mismatch() -> None:
    _, errors = parse_interchange(TEXT.replace("UNZ+1+CAR0001", "UNZ+1+CAR0002"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        40, "UNZ", "2", "28",
    )  # fmt: skip
    assert "CAR0002 does not match the UNB reference CAR0001" in error.text


def test_unz_count_mismatch() -> None:
    _, errors = parse_interchange(TEXT.replace("UNZ+1+CAR0001", "UNZ+2+CAR0001"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        40, "UNZ", "1", "29",
    )  # fmt: skip
    assert "2 messages but 1 were received" in error.text


def test_a_character_outside_unoa_is_refused_with_its_position() -> None:
    text = TEXT.replace("UNOC:3", "UNOA:3").replace("LAPTOP COMPUTERS", "Laptop computers")
    read, errors = parse_interchange(text)
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        22, "FTX", None, "21",
    )  # fmt: skip
    offset = text.index("Laptop") + 1 - len("UNA:+.? '\n")
    assert f"'a' (U+0061) at offset {offset} is outside the UNOA repertoire" in error.text
    assert read is not None and read.messages == []


def test_unoc_takes_latin_1_but_not_other_characters() -> None:
    latin = TEXT.replace("DE HAAN SPEELGOED", "DÉ HAAN SPEELGOED")
    read, errors = parse_interchange(latin.encode("latin-1"))
    assert errors == [] and read is not None
    _, errors = parse_interchange(latin.replace("DÉ", "DŒ"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.code) == (34, "NAD", "21")
    assert "'Œ' (U+0152)" in error.text


def test_a_byte_the_encoding_lacks_is_refused() -> None:
    data = TEXT.replace("UNOC:3", "UNOA:3").encode("latin-1").replace(b"PLASTIC", b"PL\xc9STIC")
    _, errors = parse_interchange(data)
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.code) == (36, "FTX", "21")
    assert "Byte 0xC9" in error.text


def test_line_breaks_only_between_segments() -> None:
    _, errors = parse_interchange(TEXT.replace("COMPUTER MICE", "COMPUTER\nMICE"))
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.code) == (28, "FTX", "21")
    assert "line break" in error.text


def test_a_truncated_interchange() -> None:
    cut = TEXT[: TEXT.index("UNT+38") + 5]
    read, errors = parse_interchange(cut)
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        39, "UNT", None, "13",
    )  # fmt: skip
    assert "cut short" in error.text
    assert read is not None and read.messages == []
    _, errors = parse_interchange(TEXT[: TEXT.index("UNT+38") + 4])
    assert only(errors).code == "13"


def test_missing_unz_and_unt() -> None:
    _, errors = parse_interchange(TEXT[: TEXT.index("UNT+38")])
    assert [(e.segment_position, e.segment_tag, e.code) for e in errors] == [
        (39, "UNT", "13"),
        (39, "UNZ", "13"),
    ]
    assert "has no UNT trailer" in errors[0].text


def test_the_first_segment_must_be_unb() -> None:
    read, errors = parse_interchange("UNH+1+CUSCAR:D:95B:UN'UNT+2+1'")
    assert read is None
    assert (only(errors).segment_tag, only(errors).code) == ("UNH", "13")


def test_unknown_syntax_identifier_and_version() -> None:
    _, errors = parse_interchange(TEXT.replace("UNOC:3", "UNOZ:7"))
    assert [(e.segment_tag, e.element, e.code) for e in errors] == [
        ("UNB", "1:1", "2"),
        ("UNB", "1:2", "2"),
    ]


def test_test_indicator_is_refused_unless_accepted() -> None:
    text = TEXT.replace("+CAR0001'", "+CAR0001++++++1'", 1)
    _, errors = parse_interchange(text)
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        1, "UNB", "11", "25",
    )  # fmt: skip
    read, errors = parse_interchange(text, accept_test=True)
    assert errors == [] and read is not None and read.test


def test_duplicate_message_reference() -> None:
    text = interchange(["BGM+85+A+9"]).replace(
        "UNZ+1+REF1'", "UNH+1+CUSCAR:D:95B:UN'BGM+85+B+9'UNT+3+1'UNZ+2+REF1'"
    )
    _, errors = parse_interchange(text)
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.element, error.code) == (
        5, "UNH", "1", "26",
    )  # fmt: skip


def test_segment_outside_a_message() -> None:
    text = interchange(["BGM+85+A+9"]).replace("UNZ+1", "FTX+AAA+++STRAY'UNZ+1")
    _, errors = parse_interchange(text)
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.code) == (5, "FTX", "33")


def test_an_interchange_without_messages() -> None:
    _, errors = parse_interchange("UNB+UNOC:3+S+R+260314:0600+E1'UNZ+0+E1'")
    error = only(errors)
    assert (error.segment_position, error.segment_tag, error.code) == (2, "UNZ", "32")


def test_groups_are_counted() -> None:
    grouped = (
        "UNB+UNOC:3+S+R+260314:0600+G1'UNG+CUSCAR+S+R+260314:0600+GR1+UN+D:95B'"
        "UNH+1+CUSCAR:D:95B:UN'BGM+85+A+9'UNT+3+1'UNE+1+GR1'UNZ+1+G1'"
    )
    read, errors = parse_interchange(grouped)
    assert errors == [] and read is not None
    assert read.groups == ["GR1"] and read.messages[0].group == "GR1"
    _, errors = parse_interchange(grouped.replace("UNE+1+GR1", "UNE+2+GR9"))
    assert [(e.segment_tag, e.element, e.code) for e in errors] == [
        ("UNE", "1", "29"),
        ("UNE", "2", "28"),
    ]


def test_bad_service_string_advice() -> None:
    _, errors = parse_interchange(TEXT.replace("UNA:+.? '", "UNA::.? '"))
    assert (only(errors).segment_tag, only(errors).code) == ("UNA", "20")


def test_size_bounds() -> None:
    _, errors = parse_interchange(CUSCAR, max_bytes=1000)
    error = only(errors)
    assert error.code == "18" and "over the limit of 1000 bytes" in error.text
    _, errors = parse_interchange(CUSCAR, max_segments=10)
    error = only(errors)
    assert (error.segment_position, error.code) == (11, "18")
    assert "more than 10 segments" in error.text


def test_the_writer_counts_and_escapes() -> None:
    message = OutgoingMessage(
        "77", ("CUSRES", "D", "96B", "UN"), [("FTX", ["AAO", None, None, ["A+B:C'D?E", ""]])]
    )
    text = write_interchange(
        [message], sender="ONEWINDOW", recipient="TRADER", control_reference="W1", prepared=WHEN
    )
    assert "FTX+AAO+++A?+B?:C?'D??E'" in text
    assert text.endswith("UNT+3+77'UNZ+1+W1'")
    read, errors = parse_interchange(text)
    assert errors == [] and read is not None
    assert read.messages[0].segments[1].value(4) == "A+B:C'D?E"


def test_the_writer_refuses_characters_outside_the_repertoire() -> None:
    message = OutgoingMessage("1", ("CUSRES", "D", "96B", "UN"), [("FTX", ["AAO", "", "", "é"])])
    try:
        write_interchange(
            [message], sender="A", recipient="B", control_reference="1", syntax="UNOA"
        )
    except ValueError as error:
        assert "UNOA" in str(error)
    else:
        raise AssertionError("a character outside UNOA was written")


def test_contrl_rejects_and_names_the_failing_segment() -> None:
    broken = TEXT.replace("UNT+38+M1", "UNT+37+M1")
    read, errors = parse_interchange(broken)
    extra = EdifactError(21, "GID", "2:1", "37", "not a number")
    report = contrl_report(read, [*errors, extra], control_reference="C1", prepared=WHEN)
    segments = pydifact_segments(report)
    tags = [s.tag for s in segments]
    assert tags == ["UNA", "UNB", "UNH", "UCI", "UCM", "UCS", "UCD", "UNT", "UNZ"]
    unh, uci, ucm, ucs, ucd = (segments[i] for i in (2, 3, 4, 5, 6))
    assert unh.elements[1] == ["CONTRL", "D", "3", "UN"]
    assert uci.elements[:4] == ["CAR0001", ["MAEU", "ZZ"], ["ONEWINDOW", "ZZ"], "7"]
    assert ucm.elements == ["M1", ["CUSCAR", "D", "95B", "UN"], "4", "29", "UNT", "1"]
    assert ucs.elements == ["20", "37"]  # GID at interchange position 21 is 20 in the message
    assert ucd.elements == ["37", ["2", "1"]]
    assert segments[1].elements[2] == ["MAEU", "ZZ"]  # the report goes back to the sender
    again, problems = parse_interchange(report)
    assert problems == [] and again is not None


def test_contrl_acknowledges_and_rejects_at_interchange_level() -> None:
    read, errors = parse_interchange(CUSCAR)
    report = contrl_report(read, errors, prepared=WHEN)
    uci = next(s for s in pydifact_segments(report) if s.tag == "UCI")
    assert uci.elements[3] == "7"
    read, errors = parse_interchange(TEXT.replace("UNZ+1+CAR0001", "UNZ+1+CAR0002"))
    report = contrl_report(read, errors, prepared=WHEN)
    uci = next(s for s in pydifact_segments(report) if s.tag == "UCI")
    assert uci.elements[3:] == ["4", "28", "UNZ", "2"]
    ucm = next(s for s in pydifact_segments(report) if s.tag == "UCM")
    assert ucm.elements[2] == "7"


def test_contrl_for_an_unreadable_interchange() -> None:
    read, errors = parse_interchange(b"")
    report = contrl_report(read, errors, prepared=WHEN)
    assert "UNB+UNOC:3+ONEWINDOW+UNKNOWN" in report
    assert "UCI++UNKNOWN+ONEWINDOW+4+13+UNB'" in report
