"""Maintenance records (管护记录): inspections, repairs, upkeep and damage reports, with photos."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, Column, ForeignKey, Index, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, LabelledEnum, enum_column, instant, intpk
from models.photos import Photo


class MaintenanceKind(LabelledEnum):
    INSPECTION = ("inspection", "日常巡查")
    REPAIR = ("repair", "维修")
    UPKEEP = ("upkeep", "保养")
    DAMAGE_REPORT = ("damage_report", "损毁报告")


maintenance_photos = Table(
    "maintenance_photos",
    Base.metadata,
    Column("record_id", ForeignKey("maintenance_records.id", ondelete="CASCADE"), primary_key=True),
    Column("photo_id", ForeignKey("photos.id"), primary_key=True),
)


class MaintenanceRecord(Base):
    __tablename__ = "maintenance_records"
    __table_args__ = (Index("ix_maintenance_records_asset_time", "asset_id", "recorded_at"),)

    id: Mapped[intpk]
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    kind: Mapped[MaintenanceKind] = mapped_column(enum_column(MaintenanceKind))
    notes: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    recorded_at: Mapped[instant]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(40))
    doubtful: Mapped[bool] = mapped_column(Boolean, default=False)
    doubt_reason: Mapped[str | None] = mapped_column(String(200))

    photos: Mapped[list[Photo]] = relationship(secondary=maintenance_photos, lazy="selectin", order_by=Photo.id)
