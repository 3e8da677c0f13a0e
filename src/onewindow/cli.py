"""The ``onewindow`` command: one command group per domain, registered here."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from typing import Annotated

import typer
from rich.console import Console

from onewindow import audit, migrations
from onewindow.cargo.cli import app as cargo_app
from onewindow.clearance.cli import app as declarations_app
from onewindow.config import ConfigError, get_settings
from onewindow.exchange.cli import app as exchange_app
from onewindow.parties.cli import app as parties_app
from onewindow.permits.cli import app as permits_app
from onewindow.reference.cli import LOADERS, run_loaders
from onewindow.reference.cli import app as load_app
from onewindow.risk.cli import app as risk_app
from onewindow.statistics.cli import app as stats_app
from onewindow.tariff.cli import app as tariff_app

app = typer.Typer(
    help="onewindow: the national single window for trade.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(load_app, name="load")
app.add_typer(parties_app, name="parties")
app.add_typer(tariff_app, name="tariff")
app.add_typer(declarations_app, name="declarations")
app.add_typer(risk_app, name="risk")
app.add_typer(cargo_app, name="cargo")
app.add_typer(stats_app, name="stats")
app.add_typer(permits_app, name="permits")
app.add_typer(exchange_app, name="exchange")
audit_app = typer.Typer(help="The hash-chained audit log.")
app.add_typer(audit_app, name="audit")

console = Console(stderr=True)


@app.command()
def migrate() -> None:
    """Create the database or bring it to the newest schema."""
    migrations.upgrade(get_settings().database_url)
    console.print(f"database at migration {migrations.head()}")


@app.command()
def init(
    demo: Annotated[
        bool, typer.Option(help="also create the demo organisations and users")
    ] = False,
    skip_locations: Annotated[
        bool, typer.Option(help="skip UN/LOCODE (110,000 rows), e.g. for a quick test database")
    ] = False,
) -> None:
    """Migrate the database and load the reference data (idempotent: safe to run again)."""
    settings = get_settings()
    started = time.perf_counter()
    migrations.upgrade(settings.database_url)
    names = [n for n in LOADERS if not (skip_locations and n == "locations")]
    run_loaders(names, settings.data_dir)
    if demo:
        from onewindow.db import session_scope
        from onewindow.demo import (
            describe_counts,
            finish_demo_declarations,
            load_demo,
            load_demo_declarations,
            load_demo_tariff,
        )

        with console.status("loading the demo's national tariff"), session_scope() as session:
            load_demo_tariff(session, settings.data_dir)
        with session_scope() as session:
            load_demo(session)
        console.print("demo organisations and users are in place")
        from onewindow.demo_cargo import finish_demo_cargo, load_demo_cargo

        with (
            console.status("announcing the demo's calls and manifests"),
            session_scope() as session,
        ):
            manifests = load_demo_cargo(session)
        console.print(f"demo cargo: {manifests} manifests, their calls and terminal events")
        from onewindow.demo_permits import load_demo_permits

        with console.status("loading the agencies' procedures"), session_scope() as session:
            applications = load_demo_permits(session)
        console.print(f"demo permits: procedures of 4 agencies, {applications} new applications")
        with console.status("lodging the demo declarations"):
            # Lodged and paid in one unit of work; the payments' events are delivered after it.
            with session_scope() as session:
                load_demo_declarations(session)
            counts = finish_demo_declarations(session_scope)
            with session_scope() as session:
                finish_demo_cargo(session)
        console.print(f"demo declarations: {describe_counts(counts)}", soft_wrap=True)
        from onewindow.simulation import load_demo_statistics

        with console.status("simulating a year of traffic for the statistics pages"):
            simulated, exported = load_demo_statistics(session_scope)
        console.print(
            f"demo statistics: {simulated} simulated consignments, {exported} declarations "
            f"exported to {settings.statistics_dir}"
        )
        from onewindow.demo_aeo import load_demo_aeo

        with console.status("certifying the demo's AEOs"), session_scope() as session:
            granted = load_demo_aeo(session)
        console.print(f"demo AEO: {granted} certificates, applications, partners and MRAs")
    console.print(f"ready in {time.perf_counter() - started:.1f} s")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="listen port")] = None,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
) -> None:
    """Run the web server (portal, API and the event worker)."""
    import uvicorn

    from onewindow import logs

    settings = get_settings()
    settings.require_secret()
    host = host or settings.host
    port = port or settings.port
    _banner(host, port)
    logs.configure(settings.log_level)
    # Each process uvicorn starts configures its logging from this, not from our own set-up.
    config = uvicorn.Config(
        "onewindow.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logs.dict_config(settings.log_level),
        proxy_headers=True,
    )
    sockets = [config.bind_socket()]
    if settings.metrics_port is not None:
        sockets.append(_listen(host, settings.metrics_port))
    server = uvicorn.Server(config)
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        # The processes' metrics add up in files of a folder of their own (one set per start).
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="onewindow-metrics-")

        Multiprocess(config, sockets=sockets).run()
    else:
        server.run(sockets=sockets)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket that the server processes share (for the metrics port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _banner(host: str, port: int) -> None:
    """Say where to open the portal and, when the demo is loaded, how to log in."""
    from onewindow.db import session_scope
    from onewindow.demo import DEMO_PARTIES, DEMO_PASSWORD
    from onewindow.demo_permits import AGENCY_PARTIES
    from onewindow.parties import service as parties

    shown = "localhost" if host in {"127.0.0.1", "0.0.0.0", "::"} else host
    lines = [
        f"onewindow is starting: open http://{shown}:{port}/  (API: http://{shown}:{port}/docs)"
    ]
    with session_scope() as session:
        demo = [
            p
            for p in (*DEMO_PARTIES, *AGENCY_PARTIES)
            if parties.find_user(session, p.email) is not None
        ]
    if demo:
        lines.append(f"demo logins (password {DEMO_PASSWORD}):")
        lines += [f"  {p.email:<28} {p.name} ({p.roles[0]})" for p in demo]
    print("\n".join(lines), flush=True)


@app.command()
def worker() -> None:
    """Deliver outbox events until stopped (when the servers run with no worker of their own)."""
    from onewindow import logs, workers

    settings = get_settings()
    logs.configure(settings.log_level)
    workers.register_consumers()
    from onewindow.risk import service as risk

    risk.load_promoted_at_start(settings.database_url)
    while True:
        if not workers.run_once():
            time.sleep(settings.worker_interval_seconds)


@app.command()
def simulate(
    declarations: Annotated[int, typer.Option(min=1, help="how many declarations")] = 200,
    months: Annotated[int, typer.Option(min=1, max=120, help="over the last full months")] = 12,
    seed: Annotated[int, typer.Option(help="the same seed, the same traffic")] = 1,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="write Parquet files of the statistics store directly (volume for benchmarks); "
            "the operational database is not touched",
        ),
    ] = False,
) -> None:
    """Simulate realistic traffic: through the services the API uses, or with --fast straight
    into the statistics store."""
    from datetime import date

    from onewindow import simulation
    from onewindow.db import session_scope
    from onewindow.statistics import fast as fast_path

    settings = get_settings()
    if fast:
        with session_scope() as session:
            codes = simulation.codes_for_simulation(session, seed, count=5000)
        today = date.today()
        report = fast_path.generate(
            settings.statistics_dir,
            declarations=declarations,
            months=months,
            seed=seed,
            hs_codes=codes or ["847130"],
            last_month=date(today.year, today.month, 1),
        )
        print(
            f"wrote {report.declarations:,} declarations and {report.items:,} items to "
            f"{settings.statistics_dir} in {report.seconds:.1f} s"
        )
        return
    with console.status("simulating traffic") as status:
        result = simulation.simulate(
            session_scope,
            declarations_=declarations,
            months=months,
            seed=seed,
            progress=lambda done, total: status.update(f"simulating traffic: {done}/{total}"),
        )
    print(
        f"simulated {result.declarations} consignments: {result.lodged} lodged now, "
        f"{result.released} released, {result.controlled} controlled, {result.paid} paid, "
        f"{result.permits} permits granted, {result.gated_out} gated out"
    )
    for reason in sorted(set(result.refused))[:5]:
        print(f"refused: {reason}")


@app.command()
def demo() -> None:
    """Create the demo organisations and users and print the logins."""
    from onewindow.db import session_scope
    from onewindow.demo import DEMO_PASSWORD, load_demo

    with session_scope() as session:
        parties = load_demo(session)
    for party in parties:
        print(f"{party.email:<28} {party.roles[0]:<18} {party.name}")
    print(f"password for all: {DEMO_PASSWORD}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the keyed chain and the checkpoints; name the first entry that disagrees (exit 1)."""
    from onewindow.db import session_scope

    settings = get_settings()
    with session_scope() as session:
        result = audit.verify(session)
    if result.ok:
        file = settings.audit_checkpoint_file
        seen = f"{result.checkpoints} checkpoints in {file}"
        if not result.checkpoints:
            seen = f"no checkpoint in {file} yet"
        print(f"audit log intact: {result.checked} entries verified, {seen}")
        return
    where = f" at entry {result.first_bad_seq}" if result.first_bad_seq else ""
    print(f"audit log broken{where}: {result.problem}")
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Publish the chain's head to the checkpoint file now (the event worker does it too)."""
    from onewindow.db import session_scope

    settings = get_settings()
    try:
        with session_scope() as session:
            written = audit.write_checkpoint(session)
    except audit.CheckpointRefused as exc:
        print(f"no checkpoint written: {exc.detail}")
        raise typer.Exit(1) from None
    if written is None:
        print(f"nothing new since the last checkpoint in {settings.audit_checkpoint_file}")
    else:
        print(f"checkpoint at entry {written.seq} written to {settings.audit_checkpoint_file}")


def main() -> None:
    """Entry point: a configuration problem is one sentence, never a traceback."""
    try:
        app()
    except ConfigError as exc:
        print(f"onewindow: {exc}", file=sys.stderr)
        sys.exit(2)
