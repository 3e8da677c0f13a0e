"""The risk domain's door: selectivity (the channel of a declaration), the rules behind it,
and the inspection results that tell whether the rules were right.

Other domains, routes, pages and commands use risk through this module only; the modules behind
it each hold one concern:

- ``conditions``: the clauses of a risk profile and whether a declaration meets them (pure);
- ``selectivity``: the channel of a declaration and its reasons;
- ``rules``: risk profiles, the watch list, fast lanes, IPR records and detentions;
- ``inspections``: inspection results, the queue, hit rates;
- ``settings``: the selectivity rates and the replayable draws;
- ``learning``: the learned model's versions, promotion, the model in use, training frames;
- ``drift``: how recent declarations differ from what the model learned on.

Services flush; the boundary commits. State a process keeps in memory (the rates, the model in
use) changes only once the transaction that changed it in the database commits.
"""

from __future__ import annotations

from onewindow.risk.access import CUSTOMS, ENGINE, is_customs, require_customs
from onewindow.risk.cargo import (
    DECISION_LABELS,
    DO_NOT_LOAD,
    INSPECT_ON_ARRIVAL,
    CargoDecision,
    assess_cargo,
)
from onewindow.risk.conditions import (
    CARGO_FIELDS,
    ITEM_FIELDS,
    OPS,
    PARTY_FIELDS,
    CargoFacts,
    check_conditions,
    matches,
    matches_cargo,
)
from onewindow.risk.drift import drift_report
from onewindow.risk.inspections import (
    hit_rates,
    inspection_queue,
    inspection_result_for,
    inspection_results,
    inspections_due,
    record_inspection,
)
from onewindow.risk.learning import (
    MIN_RECENT_ROWS,
    RECENT_DAYS,
    PromotedModel,
    enough_recent_data,
    get_model_version,
    load_promoted,
    load_promoted_at_start,
    model_versions,
    promote_if_better,
    promote_model,
    promoted_model,
    promoted_version,
    refresh_promoted,
    register_model,
    training_frame_from_inspections,
)
from onewindow.risk.models import CHANNELS, FINDINGS, InspectionResult
from onewindow.risk.rules import (
    backtest,
    close_fast_lane,
    create_profile,
    deactivate_profile,
    fast_lanes,
    get_profile,
    ipr_detentions,
    ipr_records,
    list_profiles,
    new_profile_version,
    open_fast_lane,
    record_ipr,
    remove_ipr,
    unwatch_party,
    watch_list,
    watch_party,
)
from onewindow.risk.selectivity import Selection, decision_for, select_by_officer, select_channel
from onewindow.risk.settings import (
    REFRESH_SECONDS,
    SETTABLE,
    Rates,
    configure_rates,
    draw,
    rates,
    refresh_rates,
    set_rates,
)

__all__ = [
    "CARGO_FIELDS",
    "DECISION_LABELS",
    "DO_NOT_LOAD",
    "INSPECT_ON_ARRIVAL",
    "CargoDecision",
    "CargoFacts",
    "assess_cargo",
    "matches_cargo",
    "CHANNELS",
    "CUSTOMS",
    "ENGINE",
    "FINDINGS",
    "ITEM_FIELDS",
    "MIN_RECENT_ROWS",
    "OPS",
    "PARTY_FIELDS",
    "RECENT_DAYS",
    "REFRESH_SECONDS",
    "SETTABLE",
    "InspectionResult",
    "PromotedModel",
    "Rates",
    "Selection",
    "backtest",
    "check_conditions",
    "close_fast_lane",
    "configure_rates",
    "create_profile",
    "deactivate_profile",
    "decision_for",
    "draw",
    "drift_report",
    "enough_recent_data",
    "fast_lanes",
    "get_model_version",
    "get_profile",
    "hit_rates",
    "inspection_queue",
    "inspections_due",
    "inspection_result_for",
    "inspection_results",
    "ipr_detentions",
    "ipr_records",
    "is_customs",
    "list_profiles",
    "load_promoted",
    "load_promoted_at_start",
    "matches",
    "model_versions",
    "new_profile_version",
    "open_fast_lane",
    "promote_if_better",
    "promote_model",
    "promoted_model",
    "promoted_version",
    "rates",
    "record_inspection",
    "record_ipr",
    "refresh_promoted",
    "refresh_rates",
    "register_model",
    "remove_ipr",
    "require_customs",
    "select_by_officer",
    "select_channel",
    "set_rates",
    "training_frame_from_inspections",
    "unwatch_party",
    "watch_list",
    "watch_party",
]
