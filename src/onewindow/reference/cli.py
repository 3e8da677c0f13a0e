"""``onewindow load ...``: load reference data, idempotently, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.orm import Session

from onewindow.config import get_settings
from onewindow.db import session_scope
from onewindow.reference import service

app = typer.Typer(help="Load reference data (idempotent: the same data is not loaded twice).")
console = Console(stderr=True)

Loader = Callable[[Session, Path, service.Progress], service.LoadResult]

LOADERS: dict[str, Loader] = {
    "hs": lambda s, d, p: service.load_hs(s, d, p),
    "countries": lambda s, d, p: service.load_countries(s, p),
    "currencies": lambda s, d, p: service.load_currencies(s, p),
    "locations": lambda s, d, p: service.load_locations(s, d, p),
    "code-lists": lambda s, d, p: service.load_code_lists(s, p),
}
"""Every reference data set, in the order ``load all`` loads them."""


def run_loaders(names: list[str], data_dir: Path, database_url: str | None = None) -> None:
    """Load the named data sets, each in its own transaction, with a progress bar."""
    columns = (
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        for name in names:
            task = progress.add_task(name, total=None, note="")

            def update(done: int, total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=total)

            with session_scope(database_url) as session:
                result = LOADERS[name](session, data_dir, update)
            progress.update(
                task,
                note="unchanged" if result.skipped else "loaded",
                completed=result.rows,
                total=result.rows,
            )


@app.command("all")
def load_all() -> None:
    """Every reference data set."""
    run_loaders(list(LOADERS), get_settings().data_dir)


def _single(name: str) -> Callable[[], None]:
    def command() -> None:
        run_loaders([name], get_settings().data_dir)

    command.__doc__ = f"The {name} data set."
    return command


for _name in LOADERS:
    app.command(_name)(_single(_name))


@app.command("status")
def status() -> None:
    """What is loaded, from where, when."""
    with session_scope() as session:
        rows = service.datasets(session)
        for row in rows:
            loaded = f"{row.loaded_at:%Y-%m-%d %H:%M} UTC"
            console.print(f"{row.name:<12} {row.rows:>8} rows  {loaded}  {row.source}")
