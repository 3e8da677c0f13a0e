"""The cargo domain's door: calls, manifests, entry summaries, terminal events, the gate,
reconciliation and tracking.

Other domains, routes, pages and commands use cargo through this module only; the modules behind
it each hold one concern:

- ``calls``: vessel and flight calls, arrival, departure clearance and departure;
- ``manifests``: manifests and their transport documents and containers, versioned;
- ``entry``: entry summary declarations (ICS CC315A) checked against rules as data, assessed;
- ``terminal``: terminal events and the gate's answer;
- ``control``: the declaration-to-manifest link (a release condition), reconciliation, tracking.

Services flush; the boundary commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from onewindow import events, release
from onewindow.cargo.access import is_customs, require
from onewindow.cargo.calls import (
    STATUS_LABELS,
    arrivals,
    clear_departure,
    find_call,
    get_call,
    list_calls,
    open_matters,
    record_arrival,
    record_departure,
    register_call,
)
from onewindow.cargo.control import (
    RECONCILIATION,
    link_problems,
    reconciliation,
    release_conditions,
    track,
)
from onewindow.cargo.entry import (
    check,
    get_entry_summary,
    list_entry_summaries,
    lodge_entry_summary,
    resolve,
)
from onewindow.cargo.manifests import (
    check_manifest,
    content_summary,
    get_manifest,
    list_manifests,
    lodge_cuscar,
    lodge_manifest,
    manifest_versions,
)
from onewindow.cargo.terminal import (
    KIND_LABELS,
    GateDecision,
    ask_gate,
    at_terminal,
    event_times,
    list_events,
    report_event,
    tell_terminals_of_release,
)

__all__ = [
    "KIND_LABELS",
    "RECONCILIATION",
    "STATUS_LABELS",
    "GateDecision",
    "arrivals",
    "ask_gate",
    "at_terminal",
    "check",
    "check_manifest",
    "clear_departure",
    "content_summary",
    "event_times",
    "find_call",
    "get_call",
    "get_entry_summary",
    "get_manifest",
    "is_customs",
    "link_problems",
    "list_calls",
    "list_entry_summaries",
    "list_events",
    "list_manifests",
    "lodge_cuscar",
    "lodge_entry_summary",
    "lodge_manifest",
    "manifest_versions",
    "open_matters",
    "reconciliation",
    "record_arrival",
    "record_departure",
    "register_call",
    "register_consumers",
    "report_event",
    "require",
    "resolve",
    "track",
]


def _on_release(session: Session, event: events.Event) -> None:
    if event.topic == "declaration.released" and event.subject_type == "declaration":
        number = str(event.payload.get("number") or event.subject_id)
        tell_terminals_of_release(session, int(event.subject_id), number)


def register_consumers() -> None:
    """Tell the release registry what of cargo stops a declaration, and tell terminals when
    the cargo they hold is released (once per process)."""
    release.register("cargo", release_conditions)
    events.unsubscribe("cargo.releases")
    events.subscribe("cargo.releases", "declaration.released", _on_release)
