"""Sample interchanges built for the EDIFACT tests: one message with correct counts, and a
CUSCAR manifest of any number of goods lines (for the timing test)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def sample(name: str) -> bytes:
    """A sample interchange file from this folder."""
    return (HERE / name).read_bytes()


def message_segments(name: str) -> list[str]:
    """The segments between UNH and UNT of a one-message sample, as written (no terminator)."""
    text = sample(name).decode("latin-1")
    segments = [s.strip() for s in text.replace("\n", "").split("'") if s.strip()]
    start = next(i for i, s in enumerate(segments) if s.startswith("UNH"))
    end = next(i for i, s in enumerate(segments) if s.startswith("UNT"))
    return segments[start + 1 : end]


def interchange(
    body: list[str],
    *,
    identifier: str = "CUSCAR:D:95B:UN",
    syntax: str = "UNOC",
    reference: str = "REF1",
) -> str:
    """One message holding ``body`` (segments without terminators), counts right."""
    lines = [
        "UNA:+.? '",
        f"UNB+{syntax}:3+SENDER:ZZ+ONEWINDOW:ZZ+260314:0600+{reference}'",
        f"UNH+1+{identifier}'",
        *(f"{segment}'" for segment in body),
        f"UNT+{len(body) + 2}+1'",
        f"UNZ+1+{reference}'",
    ]
    return "\n".join(lines)


def cuscar_with_lines(lines: int, containers: int = 40) -> str:
    """A CUSCAR manifest of ``lines`` goods lines over 20 bills of lading and ``containers``
    containers, with parties, descriptions, weights, marks and tariff codes on every line."""
    body = [
        "BGM+85+MAN-BIG+9",
        "DTM+137:202603140600:203",
        "TDT+20+412E+1++MAEU:172:20:MAERSK LINE+++9778791:146:11:MAERSK ESSEX",
        "LOC+9+CNSHA",
        "LOC+11+NLRTM",
        "DTM+132:202603200600:203",
    ]
    numbers = [f"MSKU{index:07d}" for index in range(containers)]
    for number in numbers:
        body += [f"EQD+CN+{number}+45G1+++5", f"SEL+SEAL{number[4:]}+CA"]
    documents = 20
    per_document = lines // documents
    line = 0
    for document in range(documents):
        bill = f"MAEU26{document:05d}"
        body += [
            f"CNI+{document + 1}+{bill}",
            f"RFF+BM:{bill}",
            "NAD+CZ+SHIPCN001++SHANGHAI ELECTRONICS CO. LTD+88 PUDONG AVENUE+SHANGHAI++200120+CN",
            "NAD+CN+NL123456789++ROTTERDAM TRADING B.V.+WAALHAVEN 12+ROTTERDAM++3089JH+NL",
        ]
        count = per_document if document < documents - 1 else lines - line
        for _ in range(count):
            line += 1
            body += [
                f"GID+{line}+{line % 90 + 10}:CT",
                f"FTX+AAA+++LAPTOP COMPUTERS AND ACCESSORIES?, LOT {line}",
                f"MEA+AAE+G+KGM:{line % 500 + 100}.25",
                f"PCI+24+RTB/2026/{line}:CARTONS 1-{line % 90 + 10}",
                f"SGP+{numbers[line % containers]}+{line % 90 + 10}",
                "CST++847130",
            ]
    return interchange(body)
