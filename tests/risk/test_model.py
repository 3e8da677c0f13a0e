"""Behaviour of the learned risk model on small synthetic declaration sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from onewindow.risk.model import (
    CSV_COLUMNS,
    FIELDS,
    LEFT_OUT,
    MODEL_FORMAT,
    RiskModel,
    RiskParams,
    evaluate,
    read_declarations_csv,
    threshold_for_rate,
)

# Few rounds keep training well under a second on frames of this size.
FAST = RiskParams(rounds=60, min_data_in_leaf=10)
PLANTED_IMPORTERS = [f"RISKY{i:02d}" for i in range(12)]
PLANTED_HS = 950300
HS_CODES = [71080, 392690, 481920, 630790, 640299, 847160, 851829, 854442, 940350, PLANTED_HS]


def make_declarations(rows: int, seed: int, planted_fraud_rate: float = 1.0) -> pd.DataFrame:
    """Declarations in the public CSV layout with one planted pattern.

    Twelve importers commit fraud (at ``planted_fraud_rate``) when they import toys
    (HS 950300), which every other importer imports honestly; their other goods are clean.
    Their toy frauds from Vietnam are critical (about a third). Elsewhere a 4 % background
    of random frauds.
    """
    rng = np.random.default_rng(seed)
    honest = [f"IMP{i:04d}" for i in range(150)]
    importer = np.where(
        rng.random(rows) < 0.25,
        rng.choice(PLANTED_IMPORTERS, rows),
        rng.choice(honest, rows),
    )
    planted_importer = np.isin(importer, PLANTED_IMPORTERS)
    hs = rng.choice(HS_CODES, rows)
    # Half of the planted importers' declarations are toys.
    hs = np.where(planted_importer & (rng.random(rows) < 0.5), PLANTED_HS, hs)
    planted = planted_importer & (hs == PLANTED_HS)
    planted_fraud = planted & (rng.random(rows) < planted_fraud_rate)
    background = rng.random(rows) < 0.04
    fraud = (planted_fraud | background).astype(int)
    origin = rng.choice(["CN", "US", "VN"], rows)
    critical = np.where(planted_fraud & (origin == "VN"), 2, fraud)
    mass = np.round(rng.lognormal(4.0, 1.5, rows), 1)
    price = np.round(mass * rng.lognormal(3.0, 0.5, rows), 2)
    seller = rng.choice([f"S{i:03d}" for i in range(80)], rows).astype(object)
    seller[rng.random(rows) < 0.1] = np.nan
    courier = ["CUR01" if draw < 0.2 else None for draw in rng.random(rows)]
    frame = pd.DataFrame(
        {
            "Declaration ID": np.arange(rows) + 10_000_000,
            "Date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), "D"),
            "Office ID": rng.choice([20, 30, 40], rows),
            "Process Type": "B",
            "Import Type": 11,
            "Import Use": rng.choice([11, 21], rows),
            "Payment Type": 11,
            "Mode of Transport": rng.choice([10, 40], rows),
            "Declarant ID": rng.choice([f"D{i:03d}" for i in range(40)], rows),
            "Importer ID": importer,
            "Seller ID": seller,
            "Courier ID": courier,
            "HS6 Code": hs,
            "Country of Departure": "CN",
            "Country of Origin": origin,
            "Tax Rate": 8.0,
            "Tax Type": rng.choice(["A", "C"], rows),
            "Country of Origin Indicator": "G",
            "Net Mass": mass,
            "Item Price": price,
            "Fraud": fraud,
            "Critical Fraud": critical,
        }
    )
    frame["Date"] = frame["Date"].dt.strftime("%Y-%m-%d")
    return frame


@pytest.fixture(scope="module")
def train_frame() -> pd.DataFrame:
    return make_declarations(3000, seed=1)


@pytest.fixture(scope="module")
def test_frame() -> pd.DataFrame:
    return make_declarations(1000, seed=2)


@pytest.fixture(scope="module")
def model(train_frame: pd.DataFrame) -> RiskModel:
    return RiskModel.train(train_frame, FAST)


def _records(frame: pd.DataFrame, count: int) -> list[dict[str, Any]]:
    return frame.head(count).to_dict("records")  # type: ignore[return-value]


def test_planted_pattern_is_ranked_on_top(model: RiskModel, test_frame: pd.DataFrame) -> None:
    scores = model.score(test_frame)
    planted = (test_frame["Importer ID"].str.startswith("RISKY")) & (
        test_frame["HS6 Code"] == PLANTED_HS
    )
    top = np.argsort(-scores, kind="stable")[: int(planted.sum())]
    assert planted.to_numpy()[top].mean() >= 0.95
    assert scores.min() >= 0.0 and scores.max() <= 1.0


def test_planted_pattern_is_caught_by_the_headline_metrics(
    model: RiskModel, test_frame: pd.DataFrame
) -> None:
    scores = model.score(test_frame)
    result = evaluate(scores, test_frame["Fraud"], test_frame["Critical Fraud"])
    assert set(result) == {"precision_at", "recall_at", "critical_recall_at"}
    assert list(result["precision_at"]) == ["1", "2", "5", "10"]
    # The planted rows make up about 12 % of the data, so the top 10 % should all be fraud.
    assert result["precision_at"]["10"] >= 0.95
    assert result["recall_at"]["10"] >= 0.5
    assert result["critical_recall_at"]["10"] >= 0.6


@pytest.mark.parametrize("seed", [11, 12])
def test_critical_frauds_come_before_ordinary_ones(seed: int) -> None:
    # The planted pattern is now only 70 % fraud; its Vietnamese frauds are critical.
    train = make_declarations(3000, seed=seed, planted_fraud_rate=0.7)
    test = make_declarations(1000, seed=seed + 1, planted_fraud_rate=0.7)
    scores = RiskModel.train(train, FAST).score(test)
    result = evaluate(scores, test["Fraud"], test["Critical Fraud"])
    # Criticals are about 3 % of the rows; without their extra weight about 0.7 are found.
    assert result["critical_recall_at"]["5"] >= 0.85


def test_evaluate_matches_a_hand_computed_example() -> None:
    # Twenty rows ranked by score; fraud among the ranks 1, 2, 4 and 15; criticals at 2, 15.
    scores = np.linspace(1.0, 0.05, 20)
    fraud = np.zeros(20, dtype=int)
    fraud[[0, 1, 3, 14]] = 1
    critical = np.zeros(20, dtype=int)
    critical[[0, 3]] = 1
    critical[[1, 14]] = 2
    # Shuffle so that the result cannot depend on the input order.
    order = np.random.default_rng(0).permutation(20)
    result = evaluate(scores[order], fraud[order], critical[order], rates=(5, 10, 20, 50))
    # 5 % of 20 = 1 row, 10 % = 2 rows, 20 % = 4 rows, 50 % = 10 rows.
    assert result["precision_at"] == {"5": 1.0, "10": 1.0, "20": 0.75, "50": 0.3}
    assert result["recall_at"] == {"5": 0.25, "10": 0.5, "20": 0.75, "50": 0.75}
    assert result["critical_recall_at"] == {"5": 0.0, "10": 0.5, "20": 0.5, "50": 0.5}


def test_evaluate_rounds_the_selection_half_up_and_selects_at_least_one_row() -> None:
    scores = np.arange(25, 0, -1, dtype=float)
    fraud = np.array([1, 0] + [0] * 23)
    critical = np.zeros(25, dtype=int)
    # 2 % of 25 rows = 0.5 -> 1 row; 10 % = 2.5 -> 3 rows.
    result = evaluate(scores, fraud, critical, rates=(2, 10))
    assert result["precision_at"] == {"2": 1.0, "10": pytest.approx(1 / 3)}
    assert result["critical_recall_at"] == {"2": 0.0, "10": 0.0}


def test_threshold_for_rate_selects_about_that_share() -> None:
    scores = np.random.default_rng(3).random(1000)
    for rate in (1, 2, 5, 10):
        threshold = threshold_for_rate(scores, rate)
        assert int((scores >= threshold).sum()) == rate * 10
    assert threshold_for_rate([], 5) == float("inf")


def test_save_and_load_give_identical_scores(
    model: RiskModel, test_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "risk-model.json"
    model.save(path)
    loaded = RiskModel.load(path)
    assert np.array_equal(loaded.score(test_frame), model.score(test_frame))
    record = _records(test_frame, 1)[0]
    assert loaded.score_one(record) == model.score_one(record)
    assert loaded.metadata == model.metadata
    assert loaded.metadata.training_rows == 3000
    assert loaded.metadata.trained_at.endswith("+00:00")
    assert "importer x HS6 fraud rate" in loaded.metadata.features
    assert path.read_bytes().startswith(b"{")  # JSON, not a pickle


def test_from_bytes_refuses_another_format(model: RiskModel) -> None:
    data = model.to_bytes().replace(MODEL_FORMAT.encode(), b"onewindow-risk/0")
    with pytest.raises(ValueError, match="onewindow-risk/0"):
        RiskModel.from_bytes(data)


def test_score_one_equals_score_on_the_same_record(
    model: RiskModel, test_frame: pd.DataFrame
) -> None:
    scores = model.score(test_frame.head(50))
    for record, expected in zip(_records(test_frame, 50), scores, strict=True):
        assert model.score_one(record) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_score_one_accepts_internal_field_names_and_string_values(
    model: RiskModel, test_frame: pd.DataFrame
) -> None:
    # A heading whose code starts with a zero, so that the CSV number lost it.
    record = _records(test_frame[test_frame["HS6 Code"] == 71080], 1)[0]
    internal = {CSV_COLUMNS[k]: v for k, v in record.items() if k in CSV_COLUMNS}
    internal["procedure"] = f"{record['Import Type']}-{record['Import Use']}"
    internal["preference"] = "Y" if str(record["Tax Type"]).startswith("F") else "N"
    # Declarations arrive as text: codes and amounts as strings, HS code with a dot.
    hs = f"{int(record['HS6 Code']):06d}"
    internal["hs6"] = f"{hs[:4]}.{hs[4:]}"
    internal["office"] = str(record["Office ID"])
    internal["net_mass"] = str(record["Net Mass"])
    internal["importer"] = f" {str(record['Importer ID']).lower()} "
    assert model.score_one(internal) == pytest.approx(model.score_one(record), abs=1e-15)


def test_a_missing_column_is_named(model: RiskModel, train_frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="Importer ID"):
        RiskModel.train(train_frame.drop(columns=["Importer ID"]), FAST)
    with pytest.raises(ValueError, match="Item Price"):
        model.score(train_frame.drop(columns=["Item Price"]))
    record = _records(train_frame, 1)[0]
    del record["HS6 Code"]
    with pytest.raises(ValueError, match="HS6 Code"):
        model.score_one(record)


def test_read_declarations_csv_concatenates_and_names_a_missing_column(
    train_frame: pd.DataFrame, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    train_frame.head(10).to_csv(first, index=False)
    train_frame.iloc[10:25].to_csv(second, index=False)
    frame = read_declarations_csv([first, second])
    assert len(frame) == 25
    # Identifiers stay text, so leading zeros survive.
    assert frame["Importer ID"].tolist() == train_frame["Importer ID"].head(25).tolist()
    broken = tmp_path / "broken.csv"
    train_frame.drop(columns=["Tax Type"]).head(5).to_csv(broken, index=False)
    with pytest.raises(ValueError, match="Tax Type"):
        read_declarations_csv([first, broken])
    unlabelled = tmp_path / "unlabelled.csv"
    train_frame.drop(columns=["Fraud", "Critical Fraud"]).head(5).to_csv(unlabelled, index=False)
    with pytest.raises(ValueError, match="Fraud"):
        read_declarations_csv([unlabelled])
    assert len(read_declarations_csv([unlabelled], labelled=False)) == 5


def test_explain_names_the_planted_feature(model: RiskModel, test_frame: pd.DataFrame) -> None:
    planted = test_frame[
        test_frame["Importer ID"].str.startswith("RISKY") & (test_frame["HS6 Code"] == PLANTED_HS)
    ]
    record = _records(planted, 1)[0]
    reasons = model.explain(record, top=3)
    assert 1 <= len(reasons) <= 3
    # The planted cross leads, by its fraud rate or (Vietnamese rows) its critical-fraud rate.
    assert reasons[0][0] in {"importer x HS6 fraud rate", "importer x HS6 critical-fraud rate"}
    assert all(value > 0 for _, value in reasons)
    assert [v for _, v in reasons] == sorted((v for _, v in reasons), reverse=True)
    # Only what pushes the score up is listed, even when more is asked for.
    everything = model.explain(record, top=1000)
    assert 3 <= len(everything) < len(model.metadata.features)
    assert all(value > 0 for _, value in everything)


def test_training_is_deterministic(train_frame: pd.DataFrame, test_frame: pd.DataFrame) -> None:
    first = RiskModel.train(train_frame, FAST).score(test_frame)
    second = RiskModel.train(train_frame, FAST).score(test_frame)
    assert np.array_equal(first, second)


def test_training_statistics_leave_out_the_rows_own_label() -> None:
    from onewindow.risk import model as risk

    frame = make_declarations(400, seed=5)
    # Every importer appears once: its out-of-fold history must be empty.
    frame["Importer ID"] = [f"ONCE{i:04d}" for i in range(len(frame))]
    canonical = risk._canonical_frame(frame, labelled=True)
    fraud, critical = risk._labels(canonical)
    params = RiskParams(folds=5)
    _, matrix = risk._Encoder.fit_transform(risk._frame_tokens(canonical), fraud, critical, params)
    names = list(risk.FEATURE_NAMES)
    prior = fraud.mean()
    assert np.all(matrix[:, names.index("importer declarations seen")] == 0)
    assert np.allclose(matrix[:, names.index("importer fraud rate")], prior)
    # A code shared by every row is seen in the other folds only (about 4/5 of the rows).
    seen = matrix[:, names.index("declaration type declarations seen")]
    assert np.all(seen < len(frame)) and np.all(seen > 0.6 * len(frame))


def test_the_columns_no_declaration_gives_do_not_change_the_score(
    model: RiskModel, test_frame: pd.DataFrame
) -> None:
    changed = test_frame.copy()
    changed["Payment Type"] = 43
    changed["Courier ID"] = "CUR99"
    changed["Tax Rate"] = 0.0
    changed["Country of Origin Indicator"] = "Y"
    assert np.array_equal(model.score(changed), model.score(test_frame))
    assert np.array_equal(
        model.score(test_frame.drop(columns=list(LEFT_OUT))), model.score(test_frame)
    )
    assert model.metadata.fields == list(FIELDS)


def test_a_free_trade_rate_is_read_as_a_preference_claimed(
    model: RiskModel, test_frame: pd.DataFrame
) -> None:
    record = _records(test_frame, 1)[0]
    claimed = {**record, "Tax Type": "FCN1"}
    internal = {**record, "preference": "Y"}
    del internal["Tax Type"]
    assert model.score_one(claimed) == model.score_one(internal)
