"""Income of operating assets (收益) as stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, instant, intpk, money

MAX_PERIOD, MAX_DISTRIBUTION = 20, 1000


class IncomeRecord(Base):
    __tablename__ = "income_records"
    __table_args__ = (Index("ix_income_records_asset_received", "asset_id", "received_on"),)

    id: Mapped[intpk]
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    period: Mapped[str] = mapped_column(String(MAX_PERIOD))  # e.g. 2025年, 2025年上半年
    amount: Mapped[money]
    received_on: Mapped[dt.date] = mapped_column(Date)
    distribution: Mapped[str] = mapped_column(Text)  # how it was distributed, in plain words
    created_at: Mapped[instant]
