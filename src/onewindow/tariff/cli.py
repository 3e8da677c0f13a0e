"""``onewindow tariff ...``: load the national tariff and look at what was loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from onewindow.config import get_settings
from onewindow.db import session_scope
from onewindow.errors import DomainError
from onewindow.tariff import service

app = typer.Typer(help="The national tariff: load it, inspect it.")
console = Console()

DEFAULT_PATHS = {"uk": "tariffs/uk/uk-global-tariff-2020.csv", "us": "tariffs/us"}


@app.command("load")
def load(
    kind: Annotated[str, typer.Argument(help="uk, us, or national (our CSV format)")],
    path: Annotated[
        Path | None, typer.Argument(help="file or folder; uk and us have defaults")
    ] = None,
) -> None:
    """Load a tariff: uk or us replace the national base tariff, national adds its measures."""
    if path is None:
        if kind not in DEFAULT_PATHS:
            console.print("[red]Give the file of a national tariff.[/red]")
            raise typer.Exit(2)
        path = get_settings().data_dir / DEFAULT_PATHS[kind]
    try:
        with console.status(f"loading {path}"), session_scope() as session:
            report = service.load_tariff(session, kind, path)
    except DomainError as exc:
        console.print(f"[red]{exc.detail}[/red] " + "; ".join(e.detail for e in exc.errors))
        raise typer.Exit(2) from None
    if report.skipped:
        console.print(f"{report.source}: unchanged ({report.lines} lines already loaded)")
        return
    console.print(
        f"{report.source}: {report.lines} lines, {report.measures} measures, "
        f"{report.rejections} rates not read"
    )
    for reason, count in sorted(report.rejection_reasons.items(), key=lambda r: -r[1])[:10]:
        console.print(f"  {count:>6}  {reason}")


@app.command("measures")
def measures(code: str) -> None:
    """The measures that apply to goods under a commodity code."""
    with session_scope() as session:
        for measure in service.measures_for(session, code):
            rate, group = str(measure.rate), measure.origin_group
            console.print(
                f"{measure.measure_type.value:<18} {rate:<30} {group:<12} "
                f"from {measure.valid_from}  {measure.title}"
            )
