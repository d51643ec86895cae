"""Maintenance records (管护记录), repair tasks, the rules their evidence is held to, and the
chat's field sessions that collect a record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.assets.entities import Asset
from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.people import User
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
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    photos: Mapped[list[Photo]] = relationship(secondary=maintenance_photos, lazy="selectin", order_by=Photo.id)
    asset: Mapped[Asset] = relationship(lazy="joined")


class RepairTask(Base):
    """Opened by a damage report, arranged (who, by when), closed by the next repair record of the
    same asset."""

    __tablename__ = "repair_tasks"
    __table_args__ = (Index("ix_repair_tasks_open_due", "closed_at", "due_on"),)

    id: Mapped[intpk]
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("maintenance_records.id"))
    opened_at: Mapped[instant]
    due_on: Mapped[dt.date] = mapped_column(Date)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_records.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # 安排维修: who is to repair it (village staff, who then record the repair); `due_on` is by when.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    arranged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    assignee: Mapped[User | None] = relationship(lazy="joined")


@dataclass(frozen=True)
class EvidenceRules:
    """How far a photo may stray from its record before it is flagged, and repair time limits."""

    capture_drift: dt.timedelta = dt.timedelta(hours=48)
    max_distance_m: float = 2000.0
    repair_days: int = 15
    max_photos: int = 9
    max_notes: int = 1000


RULES = EvidenceRules()  # the rules unless a district sets its own


class SessionState(LabelledEnum):
    COLLECTING = ("collecting", "记录中")
    SUBMITTED = ("submitted", "待保存")  # complete; saved once every photo has arrived
    SAVING = ("saving", "保存中")


class PhotoState(LabelledEnum):
    PENDING = ("pending", "下载中")
    READY = ("ready", "已收到")
    FAILED = ("failed", "未收到")


class FieldSession(Base):
    __tablename__ = "field_sessions"

    id: Mapped[intpk]
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    choices: Mapped[list[int]] = mapped_column(JSON, default=list)  # asset ids offered by 我的资产
    kind: Mapped[MaintenanceKind | None] = mapped_column(enum_column(MaintenanceKind))
    notes: Mapped[str | None] = mapped_column(Text)
    state: Mapped[SessionState] = mapped_column(enum_column(SessionState))
    started_at: Mapped[instant]
    expires_at: Mapped[instant]

    asset: Mapped[Asset | None] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")
    photos: Mapped[list[FieldPhoto]] = relationship(
        lazy="selectin", order_by="FieldPhoto.number", cascade="all, delete-orphan", passive_deletes=True
    )

    def ready_photos(self) -> list[FieldPhoto]:
        return [photo for photo in self.photos if photo.state is PhotoState.READY]

    def live_photos(self) -> list[FieldPhoto]:
        """Photos received or still arriving (not those that could not be fetched)."""
        return [photo for photo in self.photos if photo.state is not PhotoState.FAILED]

    def missing(self) -> list[str]:
        """What the record still needs, in the order to ask for it: "kind", "photos", "notes"."""
        needs = []
        if self.kind is None:
            needs.append("kind")
        if not self.live_photos():
            needs.append("photos")
        if self.kind is MaintenanceKind.DAMAGE_REPORT and not self.notes:
            needs.append("notes")
        return needs


class FieldPhoto(Base):
    """A photo sent in a field session: its WeChat media id, then its stored original."""

    __tablename__ = "field_photos"
    __table_args__ = (UniqueConstraint("field_session_id", "media_id"),)

    id: Mapped[intpk]
    field_session_id: Mapped[int] = mapped_column(ForeignKey("field_sessions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 第N张, as told to the sender
    media_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[PhotoState] = mapped_column(enum_column(PhotoState))
    storage_key: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[instant]
