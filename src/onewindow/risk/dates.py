"""Dates and times as the risk rules read them."""

from __future__ import annotations

from datetime import UTC, date, datetime


def aware(moment: datetime) -> datetime:
    """A time without a zone is taken as UTC (what storage keeps)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def in_force(valid_from: date | None, valid_to: date | None, today: date) -> bool:
    return (valid_from is None or valid_from <= today) and (valid_to is None or today <= valid_to)
