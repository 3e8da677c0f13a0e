"""The learned model's lifecycle: register, promote if better, load at start, explain, drift."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, update

from onewindow.clearance import service as clearance
from onewindow.db import session_scope, utcnow
from onewindow.declarations.schemas import DeclarationIn
from onewindow.parties import service as parties
from onewindow.risk import service as risk
from onewindow.risk.learning import model_record
from onewindow.risk.model import FIELDS, RiskModel
from onewindow.risk.models import RiskModelVersion
from onewindow.security import Principal
from tests.conftest import make_party
from tests.declarations.factory import declaration
from tests.risk.test_model import FAST, make_declarations


@pytest.fixture(scope="module")
def recent() -> pd.DataFrame:
    return make_declarations(1000, seed=2)


@pytest.fixture(scope="module")
def good() -> RiskModel:
    return RiskModel.train(make_declarations(3000, seed=1), FAST)


@pytest.fixture(scope="module")
def bad() -> RiskModel:
    """A model that learned from shuffled labels: it knows nothing."""
    frame = make_declarations(3000, seed=1)
    order = np.random.default_rng(5).permutation(len(frame))
    frame["Fraud"] = frame["Fraud"].to_numpy()[order]
    frame["Critical Fraud"] = frame["Critical Fraud"].to_numpy()[order]
    return RiskModel.train(frame, FAST)


@pytest.fixture(autouse=True)
def isolated_models() -> Iterator[None]:
    """Models promoted here are retired afterwards and the one in use is put back."""
    before = risk.promoted_model()
    with session_scope() as session:
        first = (session.scalar(select(func.max(RiskModelVersion.id))) or 0) + 1
        session.execute(
            update(RiskModelVersion)
            .where(RiskModelVersion.status == "promoted")
            .values(status="retired")
        )
    risk.promote_model(None)
    yield
    risk.promote_model(before)
    with session_scope() as session:
        session.execute(
            update(RiskModelVersion)
            .where(RiskModelVersion.id >= first, RiskModelVersion.status == "promoted")
            .values(status="retired")
        )


def principal_of(party: Any) -> Principal:
    with session_scope() as session:
        user = parties.find_user(session, party.email)
        assert user is not None
        return parties.principal_for_user(user, "test")


def test_a_better_candidate_is_promoted_and_a_worse_one_refused(
    good: RiskModel, bad: RiskModel, recent: pd.DataFrame
) -> None:
    with session_scope() as session:
        first = risk.register_model(session, bad, source="csv:bad.csv", recent_frame=recent)
        assert first.status == "candidate"
        assert set(first.thresholds) == {"red", "yellow"}
        assert first.thresholds["red"] >= first.thresholds["yellow"]
        assert "5" in first.metrics["precision_at"]
        assert first.metrics["fields"] == list(FIELDS)
        promoted, reason = risk.promote_if_better(session, first.id, recent_frame=recent)
        assert promoted, reason
        assert "No model is promoted" in reason

        better = risk.register_model(session, good, source="csv:good.csv", recent_frame=recent)
        promoted, reason = risk.promote_if_better(session, better.id, recent_frame=recent)
        assert promoted, reason
        assert reason.startswith("Better than")
        assert better.status == "promoted" and first.status == "retired"
        assert risk.promoted_model() is None  # in use once committed
        session.commit()
        in_use = risk.promoted_model()
        assert in_use is not None and in_use.version == better.version

        worse = risk.register_model(session, bad, source="csv:bad.csv", recent_frame=recent)
        promoted, reason = risk.promote_if_better(session, worse.id, recent_frame=recent)
        assert not promoted
        assert reason.startswith(f"Not better than {better.version}")
        assert "precision@5%" in reason
        assert worse.status == "candidate" and better.status == "promoted"
        again, why = risk.promote_if_better(session, first.id, recent_frame=recent)
        assert not again and "retired" in why


def test_the_promoted_model_is_loaded_in_a_fresh_process(
    good: RiskModel, recent: pd.DataFrame
) -> None:
    with session_scope() as session:
        assert not risk.load_promoted(session)
        row = risk.register_model(session, good, source="csv:good.csv", recent_frame=recent)
        risk.promote_if_better(session, row.id, recent_frame=recent)
        version = row.version
    risk.promote_model(None)  # what a new process starts with
    assert risk.load_promoted_at_start()
    loaded = risk.promoted_model()
    assert loaded is not None and loaded.version == version
    record = recent.head(1).to_dict("records")[0]
    assert loaded.model.score_one(record) == pytest.approx(good.score_one(record))


def test_the_models_opinion_names_the_features_behind_it(good: RiskModel) -> None:
    risk.promote_model(
        risk.PromotedModel(good, red_threshold=0.0, yellow_threshold=0.0, version="t")
    )
    body = declaration()
    body["importer"] = {"identifier": "RISKY01"}
    body["items"] = [
        {**body["items"][0], "commodity_code": "9503000000", "origin": "VN", "description": "Toys"}
    ]
    with session_scope() as session:
        selection = risk.select_channel(session, 880_000_001, DeclarationIn.model_validate(body))
        reasons = [r for r in selection.decision.reasons if r["source"] == "model"]
        session.rollback()
    assert selection.decision.channel == "red"
    assert len(reasons) == 1
    text = reasons[0]["text"]
    assert text.startswith("Learned model score 0.")
    assert re.search(r": [a-zA-Z].* \+\d+\.\d", text), text
    assert "importer" in text


def test_drift_flags_values_the_model_never_saw(good: RiskModel, recent: pd.DataFrame) -> None:
    trader = principal_of(make_party())
    officer = principal_of(make_party(("customs-office",), user_role="staff"))
    since = utcnow()
    with session_scope() as session:
        empty = risk.drift_report(session, since=since)
        assert empty["model"] is None and "reason" in empty
        row = risk.register_model(session, good, source="csv:good.csv", recent_frame=recent)
        risk.promote_if_better(session, row.id, recent_frame=recent)
    with session_scope() as session:
        lodged = clearance.lodge(session, trader, DeclarationIn.model_validate(declaration()))
        declaration_id = lodged.declaration.id
        assert lodged.declaration.status != "rejected"
    with session_scope() as session:
        report = risk.drift_report(session, since=since)
    assert set(report) >= {
        "model",
        "since",
        "declarations",
        "items",
        "unseen_share",
        "flagged",
        "mean_score",
        "fraud_rate",
        "selection",
    }
    assert report["model"]["version"] == row.version
    assert (report["declarations"], report["items"]) == (1, 2)  # this test's declaration
    assert report["unseen_share"]["importer"] == 1.0
    assert "importer" in report["flagged"]
    assert "transport mode" in report["unseen_share"]
    assert report["mean_score"]["recent"] is not None
    assert report["selection"]["decisions"] == 1

    with session_scope() as session:
        risk.record_inspection(
            session, officer, declaration_id, finding="major", currency="GBP", goods_seized=True
        )
    with session_scope() as session:
        frame = risk.training_frame_from_inspections(session, since)
    mine = frame[frame["declaration_id"] == declaration_id]
    assert len(mine) == 2
    assert set(mine["fraud"]) == {1} and set(mine["critical_fraud"]) == {2}
    assert {"importer", "hs6", "item_price", "net_mass"} <= set(frame.columns)


def test_a_promotion_rolled_back_puts_no_model_in_use(
    good: RiskModel, recent: pd.DataFrame
) -> None:
    with session_scope() as session:
        row = risk.register_model(session, good, source="csv:good.csv", recent_frame=recent)
        promoted, reason = risk.promote_if_better(session, row.id, recent_frame=recent)
        assert promoted, reason
        session.rollback()
    assert risk.promoted_model() is None
    with session_scope() as session:
        assert risk.promoted_version(session) is None
        assert risk.refresh_promoted(session, force=True) is None


def test_a_promotion_in_a_savepoint_rolled_back_is_forgotten_when_the_rest_commits(
    good: RiskModel, recent: pd.DataFrame
) -> None:
    with session_scope() as session:
        row = risk.register_model(session, good, source="csv:good.csv", recent_frame=recent)
        savepoint = session.begin_nested()
        promoted, _ = risk.promote_if_better(session, row.id, recent_frame=recent)
        assert promoted
        savepoint.rollback()
    assert risk.promoted_model() is None


def test_a_model_promoted_by_another_process_is_put_in_use_at_the_next_refresh(
    good: RiskModel, recent: pd.DataFrame
) -> None:
    with session_scope() as session:
        row = risk.register_model(session, good, source="csv:good.csv", recent_frame=recent)
        version = row.version
        # Another process promotes it: this one learns of it from the database only.
        row.status, row.promoted_at = "promoted", utcnow()
    assert risk.promoted_model() is None
    with session_scope() as session:
        in_use = risk.refresh_promoted(session, force=True)
    assert in_use is not None and in_use.version == version
    with session_scope() as session:
        session.execute(update(RiskModelVersion).values(status="retired"))
    with session_scope() as session:
        assert risk.refresh_promoted(session, force=True) is None
    assert risk.promoted_model() is None


def test_the_model_reads_at_scoring_every_field_it_learned_on() -> None:
    body = DeclarationIn.model_validate(declaration())
    records = [model_record(body, item) for item in body.items]
    assert all(set(record) == set(FIELDS) for record in records)
    first = records[0]
    assert body.importer is not None and first["importer"] == body.importer.identifier
    assert first["procedure"] == body.items[0].procedure
    assert first["hs6"] == body.items[0].commodity_code[:6]
    assert first["items"] == len(body.items)
