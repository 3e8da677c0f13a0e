"""Tables of the statistics domain: the export's watermark, one row per day of acceptance."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from onewindow.db import Base, UTCDateTime


class StatisticsWatermark(Base):
    """How far the Parquet files of one day of acceptance reflect the operational data.

    ``changed`` counts the changes noted for the day (a declaration accepted, amended, released,
    held, its cargo discharged or gated out); ``exported`` is the value of ``changed`` that the
    day's files on disk reflect. A day is exported again while ``changed > exported``; its files
    are replaced whole, so exporting twice, or again after a crash between writing the files and
    committing this row, never counts a declaration twice.
    """

    __tablename__ = "statistics_watermark"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    changed: Mapped[int] = mapped_column(Integer, default=1)
    exported: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
