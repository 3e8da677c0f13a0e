"""``onewindow risk ...``: train and evaluate the learned risk model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import pandas as pd
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
    csv: Annotated[
        list[Path] | None, typer.Option("--csv", help="training CSV; repeat for several")
    ] = None,
    from_inspections: Annotated[
        int | None,
        typer.Option(
            "--from-inspections",
            help="train on the declarations inspected in the last N days (results are labels)",
        ),
    ] = None,
    recent: Annotated[
        Path | None,
        typer.Option(
            "--recent", help="labelled CSV to judge on (default: the last 20% of rows by date)"
        ),
    ] = None,
    promote: Annotated[
        bool, typer.Option("--promote", help="promote it if it beats the model in use")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="also write the model to this file")
    ] = None,
) -> None:
    """Train a model from labelled declarations and register it as a candidate, judged on
    recent declarations; with --promote, put it in use if it beats the promoted one."""
    from onewindow.db import session_scope
    from onewindow.risk import service

    csv = csv or []
    if not csv and from_inspections is None:
        typer.echo("Give --csv FILE or --from-inspections DAYS.", err=True)
        raise typer.Exit(2)
    for path in [*csv, *([recent] if recent else [])]:
        if not path.exists():
            typer.echo(f"{path} does not exist.", err=True)
            raise typer.Exit(2)
    try:
        if from_inspections is not None:
            since = datetime.now(UTC) - timedelta(days=from_inspections)
            with session_scope() as session:
                frame = service.training_frame_from_inspections(session, since)
            if len(frame) < 50:
                typer.echo(f"Only {len(frame)} inspected goods items: too few to learn from.")
                raise typer.Exit(2)
        else:
            frame = model.read_declarations_csv(csv)
        if recent is not None:
            recent_frame = model.read_declarations_csv([recent])
        else:
            frame, recent_frame = split_recent(frame)
        trained = model.RiskModel.train(frame)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        trained.save(out)
    source = "csv:" + ",".join(p.name for p in csv) if csv else "inspections"
    with session_scope() as session:
        row = service.register_model(
            session, trained, source=source, recent_frame=recent_frame, actor="cli"
        )
        typer.echo(
            f"model {row.version} (id {row.id}): {row.training_rows} declarations, "
            f"precision@5% {row.metrics['precision_at']['5']:.4f} "
            f"on {row.metrics['rows']} recent ones"
        )
        if promote:
            done, reason = service.promote_if_better(
                session, row.id, recent_frame=recent_frame, actor="cli"
            )
            typer.echo(("promoted: " if done else "not promoted: ") + reason)


def split_recent(frame: pd.DataFrame, share: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The older rows to train on and the last ``share`` of rows by date to judge on."""
    date_column = "Date" if "Date" in frame.columns else "date"
    if date_column in frame.columns:
        frame = frame.sort_values(date_column, kind="stable")
    cut = len(frame) - max(1, round(len(frame) * share))
    if cut < 1:
        raise ValueError("too few declarations to keep some aside as recent ones")
    return frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:].reset_index(drop=True)


@app.command("models")
def models(json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List the stored models, newest first, with how they were judged and their status."""
    from onewindow.db import session_scope
    from onewindow.risk import service

    with session_scope() as session:
        rows = [
            {
                "id": r.id,
                "version": r.version,
                "status": r.status,
                "training_rows": r.training_rows,
                "source": r.source,
                "precision_at_5": r.metrics.get("precision_at", {}).get("5"),
                "critical_recall_at_5": r.metrics.get("critical_recall_at", {}).get("5"),
                "thresholds": r.thresholds,
                "fields": r.metrics.get("fields"),
            }
            for r in service.model_versions(session)
        ]
    if json_output:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("No model is stored.")
    for r in rows:
        p5, c5 = r["precision_at_5"], r["critical_recall_at_5"]
        figures = (
            f"P@5% {p5:.4f}  critical R@5% {c5:.4f}" if p5 is not None and c5 is not None else ""
        )
        typer.echo(
            f"{r['id']:>4}  {r['version']:<24} {r['status']:<9} "
            f"{r['training_rows']:>8} rows  {figures}  {r['source']}"
        )
        if r["fields"]:
            typer.echo(f"      reads: {', '.join(r['fields'])}")


@app.command("drift")
def drift(
    json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    days: Annotated[int, typer.Option("--days", help="how far back to look")] = 30,
) -> None:
    """How recent declarations differ from what the promoted model learned on."""
    from onewindow.db import session_scope, utcnow
    from onewindow.risk import service

    with session_scope() as session:
        report = service.drift_report(session, since=utcnow() - timedelta(days=days))
    if json_output:
        typer.echo(json.dumps(report, default=str))
        return
    if report["model"] is None:
        typer.echo(report.get("reason", "No model."))
        return
    typer.echo(f"model {report['model']['version']}: {report['items']} recent goods items")
    for group, share in report["unseen_share"].items():
        mark = "  <- drift" if group in report["flagged"] else ""
        typer.echo(f"  {group:<34} {share:6.1%} unseen{mark}")
    typer.echo(f"mean score {report['mean_score']}")
    typer.echo(f"selection {report['selection']}")
