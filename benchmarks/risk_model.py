"""Learned risk model: quality on the 2021 Q1 declarations and scoring latency.

Trains on the 2020 synthetic customs declarations, scores the 2021 Q1 ones and prints
Precision@n%, Recall@n% and critical-fraud recall@n% (n = 1, 2, 5, 10) as JSON, with the
training time, batch scoring time and single-declaration scoring time (mean and p99):

    .venv/bin/python benchmarks/risk_model.py [--data-dir DIR] [--records 2000]

DIR holds customs-declarations/df_syn_{train,valid}_eng.csv; it defaults to
$ONEWINDOW_DATA_DIR or to shared/data next to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from onewindow.risk.model import RiskModel, evaluate, read_declarations_csv  # noqa: E402

DEFAULT_DATA_DIR = Path(os.environ.get("ONEWINDOW_DATA_DIR") or ROOT.parent / "shared" / "data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--records", type=int, default=2000, help="single-record scorings")
    args = parser.parse_args()
    folder = args.data_dir / "customs-declarations"
    train = read_declarations_csv([folder / "df_syn_train_eng.csv"])
    test = read_declarations_csv([folder / "df_syn_valid_eng.csv"])

    start = time.perf_counter()
    model = RiskModel.train(train)
    train_seconds = time.perf_counter() - start

    start = time.perf_counter()
    scores = model.score(test)
    batch_seconds = time.perf_counter() - start
    metrics = evaluate(scores, test["Fraud"], test["Critical Fraud"])

    records = test.head(args.records).to_dict("records")
    model.score_one(records[0])  # builds the look-up tables once
    timings = []
    for record in records:
        begin = time.perf_counter()
        model.score_one(record)
        timings.append((time.perf_counter() - begin) * 1000.0)
    size = len(model.to_bytes())

    report = {
        **metrics,
        "train_rows": len(train),
        "test_rows": len(test),
        "train_seconds": round(train_seconds, 2),
        "batch_score_seconds": round(batch_seconds, 2),
        "score_one_ms": {
            "mean": round(float(np.mean(timings)), 3),
            "p99": round(float(np.percentile(timings, 99)), 3),
            "records": len(timings),
        },
        "model_bytes": size,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
