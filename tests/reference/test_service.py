"""Reference data as loaded from the real data sets."""

from __future__ import annotations

import pytest

from onewindow.db import session_scope
from onewindow.errors import NotFound
from onewindow.reference import service


def test_hs_code_has_its_path_up_the_tree() -> None:
    with session_scope() as session:
        entry = service.hs_entry(session, "0901.21")
    assert entry.level == 6
    assert [p.code for p in entry.path] == ["09", "0901", "090121"]
    assert entry.section == "II"
    assert "roasted" in entry.description.lower()


def test_hs_search_by_prefix_and_by_words() -> None:
    with session_scope() as session:
        by_prefix = service.search_hs(session, "8703")
        by_words = service.search_hs(session, "live horses")
    assert by_prefix[0].code == "8703"
    assert all(e.code.startswith("8703") for e in by_prefix)
    assert {"0101", "010121", "010129"} <= {e.code for e in by_words}


def test_the_nomenclature_is_complete() -> None:
    with session_scope() as session:
        assert len(service.hs_chapters(session)) == 97
        assert len(service.hs_sections(session)) == 21
        with pytest.raises(NotFound):
            service.hs_entry(session, "9801")


def test_currencies_know_their_minor_units() -> None:
    with session_scope() as session:
        assert service.get_currency(session, "JPY").minor_unit == 0
        assert service.get_currency(session, "KWD").minor_unit == 3
        assert service.get_currency(session, "TWD").minor_unit == 2


def test_locations_carry_their_function_flags() -> None:
    with session_scope() as session:
        singapore = service.get_location(session, "SG SIN")
        ports = service.search_locations(session, country="GB", function="port", limit=500)
        andorra = service.get_location(session, "ADALV")
    assert singapore.is_port and singapore.is_airport
    assert all(p.is_port for p in ports) and len(ports) > 100
    assert andorra.latitude == 42.5 and andorra.longitude == 1.5167
    assert not andorra.is_port and andorra.is_road


def test_withdrawn_locations_are_not_loaded() -> None:
    # "X" entries of UN/LOCODE are marked for deletion; GB has such entries in 2018-1.
    with session_scope() as session:
        names = {loc.locode for loc in service.search_locations(session, country="GB", limit=200)}
    assert names


def test_location_function_must_be_known() -> None:
    with session_scope() as session, pytest.raises(Exception, match="location function"):
        service.search_locations(session, function="spaceport")


def test_code_lists_are_loaded() -> None:
    with session_scope() as session:
        names = service.code_list_names(session)
        assert {"transport-mode", "package-type", "document-type", "procedure"} <= set(names)
        assert service.is_code(session, "transport-mode", "1")
        assert not service.is_code(session, "transport-mode", "X")
