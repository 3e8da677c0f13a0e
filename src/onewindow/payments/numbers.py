"""Numbers issued in series (receipts), without gaps and without collisions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onewindow.payments.models import NumberSeries


def next_number(session: Session, series: str) -> int:
    """The next number of a series; the row lock makes concurrent issues wait, not collide."""
    # Lock order (see audit._chain_pending): after the payment and its request, before the
    # audit head; a transaction holding a series never goes back for a request or declaration.
    row = session.scalars(
        select(NumberSeries).where(NumberSeries.series == series).with_for_update()
    ).one_or_none()
    if row is None:
        row = NumberSeries(series=series, last=0)
        session.add(row)
    row.last += 1
    session.flush()
    return row.last
