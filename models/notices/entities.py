"""Public notices (公告公示) shown on an asset's public page while they run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, instant, intpk

MAX_TITLE, MAX_BODY = 60, 2000


class PublicNotice(Base):
    __tablename__ = "public_notices"
    __table_args__ = (Index("ix_public_notices_village_ends", "village_id", "ends_on"),)

    id: Mapped[intpk]
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    # None: a notice for the whole village, shown on every asset's page there.
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    body: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[instant]
