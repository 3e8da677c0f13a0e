"""``onewindow risk ...``: train and evaluate the learned risk model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from onewindow.risk import model

app = typer.Typer(help="Risk management: the learned selectivity model.")


@app.command("evaluate")
def evaluate(
    train: Annotated[list[Path], typer.Option("--train", help="training CSV; repeat for several")],
    test: Annotated[Path, typer.Option("--test", help="CSV to evaluate on")],
    json_output: Annotated[bool, typer.Option("--json", help="print JSON only")] = False,
) -> None:
    """Train on the --train files and report Precision@n%, Recall@n% and critical-fraud recall
    at n = 1, 2, 5 and 10 on the --test file (Customs Import Declaration Datasets format)."""
    for path in [*train, test]:
        if not path.exists():
            typer.echo(f"{path} does not exist.", err=True)
            raise typer.Exit(2)
    try:
        figures = model.evaluate_files(train, test)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if json_output:
        typer.echo(json.dumps(figures))
        return
    for name, values in figures.items():
        row = "  ".join(f"{n}%: {v:.4f}" for n, v in values.items())
        typer.echo(f"{name:<20} {row}")


@app.command("train")
def train(
    csv: Annotated[list[Path], typer.Option("--csv", help="training CSV; repeat for several")],
    out: Annotated[Path, typer.Option("--out", help="where to write the model")] = Path(
        "var/models/risk.json"
    ),
) -> None:
    """Train a model from labelled declarations and save it (JSON: booster and encodings)."""
    frame = model.read_declarations_csv(csv)
    trained = model.RiskModel.train(frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    trained.save(out)
    meta = trained.metadata
    typer.echo(f"model {meta.version}: {meta.training_rows} declarations, saved to {out}")
