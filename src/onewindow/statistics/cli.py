"""``onewindow stats ...``: export to the analytical store, and read it from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from onewindow.db import session_scope
from onewindow.statistics import service

app = typer.Typer(help="Statistics: the Parquet export, trade statistics, release times.")


@app.command("export")
def export(
    full: Annotated[
        bool, typer.Option("--full", help="rewrite every day, not only the changed ones")
    ] = False,
) -> None:
    """Write the changed days of acceptance to the Parquet store (incremental; safe to rerun)."""
    report = service.export_changes(session_scope, full=full)
    rate = report.declarations / report.seconds if report.seconds else 0.0
    print(
        f"exported {report.days} days: {report.declarations} declarations, {report.items} items "
        f"in {report.seconds:.2f} s ({rate:,.0f} declarations/s)"
    )


@app.command("trs")
def trs(
    first: Annotated[str, typer.Option("--from", help="first month, YYYY-MM")],
    last: Annotated[str, typer.Option("--to", help="last month, YYYY-MM")],
    by: Annotated[
        str, typer.Option(help="all, office, mode, channel, aeo, waited, agency, month")
    ] = "channel",
) -> None:
    """Print the Time Release Study as CSV, then the bottlenecks in words."""
    print(service.table_csv(service.trs_table(by, first, last)), end="")
    for line in service.bottlenecks(first, last):
        print(f"# {line}")
