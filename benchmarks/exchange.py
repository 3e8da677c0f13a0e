"""Partner gateway: signed messages per second between two single windows on loopback, and
exactly-once delivery across a crash of the receiver.

Two `onewindow serve` processes (two SQLite databases, two keys, two countries, each the other's
partner). The sending window's outbox is filled with certificates of origin, each signed on its
own (ECDSA-SHA256, enveloped XML-DSig); its worker posts them in batches; the receiving window
checks each signature against the pinned certificate, validates the XSD, applies the message
and signs an acknowledgement, which the sender checks in turn.

1. Throughput: N messages from the first commit to the last acknowledgement checked; the
   latency of each (created to acknowledged) in that burst.
2. Kill and restart: M more messages; the receiver is killed with SIGKILL mid-stream and
   started again; every message must be acknowledged, received exactly once and applied
   exactly once (certificates kept on the receiver = messages sent).

    PYTHONPATH=src .venv/bin/python benchmarks/exchange.py [--messages 2000] [--crash 1500]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.exchange.windows import Window, pair  # noqa: E402


def _count(database: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return int(connection.execute(sql, args).fetchone()[0])


def acknowledged(window: Window, prefix: str) -> int:
    return _count(
        window.database,
        "select count(*) from exchange_message where direction = 'out' "
        "and status = 'acknowledged' and reference like ?",
        f"B{prefix}-%",
    )


def received(window: Window, prefix: str) -> tuple[int, int, int]:
    """Messages received, distinct message ids, certificates kept: of this run's prefix."""
    rows = _count(
        window.database,
        "select count(*) from exchange_message where direction = 'in' and reference like ?",
        f"B{prefix}-%",
    )
    distinct = _count(
        window.database,
        "select count(distinct message_id) from exchange_message where direction = 'in' "
        "and reference like ?",
        f"B{prefix}-%",
    )
    kept = _count(
        window.database,
        "select count(*) from exchange_origin_certificate where number like ?",
        f"B{prefix}-%",
    )
    return rows, distinct, kept


def wait_for(window: Window, prefix: str, count: int, limit: float) -> float:
    start = time.monotonic()
    while acknowledged(window, prefix) < count:
        if time.monotonic() - start > limit:
            raise SystemExit(f"only {acknowledged(window, prefix)} of {count} acknowledged")
        time.sleep(0.05)
    return time.monotonic() - start


def cpu_seconds(window: Window) -> float:
    """User and system CPU time the window's server process has used so far."""
    assert window.process is not None
    fields = Path(f"/proc/{window.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(share * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--crash", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onewindow-exchange-bench-") as folder:
        sender, receiver = pair(Path(folder))
        sender.start()
        receiver.start()
        try:
            print(
                f"two windows: {sender.country} on {sender.url}, "
                f"{receiver.country} on {receiver.url}"
            )
            # 1. Throughput.
            started = time.monotonic()
            prefix = sender.script("send-certificates", receiver.country, args.messages)["prefix"]
            signed = time.monotonic() - started
            cpu = cpu_seconds(sender), cpu_seconds(receiver)
            took = wait_for(sender, prefix, args.messages, 600)
            used = cpu_seconds(sender) - cpu[0], cpu_seconds(receiver) - cpu[1]
            late = sender.script("latencies", prefix)["latencies"]
            rows, distinct, kept = received(receiver, prefix)
            print(
                f"throughput: {args.messages} messages signed and queued in {signed:.1f} s, "
                f"delivered and acknowledged in {took:.1f} s: {args.messages / took:.0f} messages/s"
            )
            print(
                f"latency created -> acknowledged (a burst of {args.messages}): "
                f"p50 {statistics.median(late):.2f} s, p99 {percentile(late, 0.99):.2f} s"
            )
            print(f"received {rows}, distinct {distinct}, applied {kept}")
            per = [1000 * u / args.messages for u in used]
            print(
                f"CPU per message: sender {per[0]:.1f} ms, receiver {per[1]:.1f} ms; load average "
                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work shares them); "
                f"two idle cores would carry about {1000 / max(per):.0f} messages/s "
                f"(each window on its own core)"
            )
            # 2. Kill the receiver mid-stream, start it again.
            prefix = sender.script("send-certificates", receiver.country, args.crash)["prefix"]
            while acknowledged(sender, prefix) < args.crash // 5:
                time.sleep(0.02)
            at = acknowledged(sender, prefix)
            receiver.kill()
            print(f"receiver killed (SIGKILL) after {at} of {args.crash} acknowledgements")
            time.sleep(2)
            receiver.start()
            took = wait_for(sender, prefix, args.crash, 900)
            rows, distinct, kept = received(receiver, prefix)
            failed = _count(
                sender.database,
                "select count(*) from exchange_message where direction = 'out' and status != "
                "'acknowledged' and reference like ?",
                f"B{prefix}-%",
            )
            ok = rows == distinct == kept == args.crash and failed == 0
            print(
                f"kill and restart: sent {args.crash}, "
                f"acknowledged {acknowledged(sender, prefix)}, "
                f"received {rows} (distinct {distinct}), applied {kept}, not acknowledged "
                f"{failed}, finished {took:.1f} s after the restart: "
                f"{'exactly once' if ok else 'NOT EXACTLY ONCE'}"
            )
            if not ok:
                raise SystemExit(1)
        finally:
            sender.stop()
            receiver.stop()


if __name__ == "__main__":
    main()
