"""Public notices (公告公示) as stored: what is on notice, where, for how long, and how it ended;
the villages' public notice boards; each district's default notice period."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.assets.entities import Asset
from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.regions import Region

MAX_TITLE, MAX_BODY, MAX_REASON = 60, 5000, 500
DEFAULT_DAYS, MAX_DAYS = 10, 90

# Subject kinds: what a notice is about. Each domain that puts things on notice names its own
# kind (and may register what happens when such a notice is decided: `outcomes`).
MANUAL = "manual"
SUBJECT_LABELS = {
    MANUAL: "公告公示",
    "evaluation": "绩效自评结果",
    "income_distribution": "收益分配",
    "disposal": "资产处置",
    "inventory": "清产核资结果",
}


class NoticeOutcome(LabelledEnum):
    RUNNING = ("running", "公示中")
    AWAITING_OBJECTIONS = ("awaiting_objections", "异议处理中")
    PASSED = ("passed", "公示无异议")
    UPHELD = ("upheld", "异议成立，退回重新办理")
    WITHDRAWN = ("withdrawn", "已撤回")


OPEN_OUTCOMES = (NoticeOutcome.RUNNING, NoticeOutcome.AWAITING_OBJECTIONS)


class PublicNotice(Base):
    __tablename__ = "public_notices"
    __table_args__ = (
        Index("ix_public_notices_village_ends", "village_id", "ends_on"),
        Index("ix_public_notices_subject", "subject_kind", "subject_id"),
        Index("ix_public_notices_outcome_ends", "outcome", "ends_on"),
    )

    id: Mapped[intpk]
    subject_kind: Mapped[str] = mapped_column(String(30))
    # None for a manual notice (its subject is its own text).
    subject_id: Mapped[int | None] = mapped_column(Integer)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    # None: a notice for the whole village, shown on every asset's page there.
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    # The frozen text: exactly what is on notice, never re-rendered from live data.
    body: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)  # the last day on notice
    outcome: Mapped[NoticeOutcome] = mapped_column(enum_column(NoticeOutcome))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The unit reminded when the period ends: the opener's own region, or the village.
    owner_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    created_at: Mapped[instant]

    village: Mapped[Region] = relationship(foreign_keys=[village_id], lazy="joined")
    asset: Mapped[Asset | None] = relationship(lazy="joined")

    @property
    def subject_label(self) -> str:
        return SUBJECT_LABELS.get(self.subject_kind, self.subject_kind)

    @property
    def days(self) -> int:
        """The length of the period in calendar days, the first and the last included."""
        return (self.ends_on - self.starts_on).days + 1

    @property
    def place(self) -> str:
        return self.village.full_name + (f" · {self.asset.name}" if self.asset else "")

    def running_on(self, day: dt.date) -> bool:
        """On notice that day: within the period and neither withdrawn nor decided early."""
        return self.outcome is NoticeOutcome.RUNNING and self.starts_on <= day <= self.ends_on

    def state(self, today: dt.date) -> str:
        """Where the notice stands, as people say it."""
        if self.outcome is not NoticeOutcome.RUNNING:
            return self.outcome.label
        if today < self.starts_on:
            return f"{self.starts_on.month}月{self.starts_on.day}日开始"
        if today > self.ends_on:
            return "公示期满，待确定结果"
        left = (self.ends_on - today).days
        return "今天是最后一天" if left == 0 else f"还剩{left + 1}天（含今天）"


class NoticeBoard(Base):
    """A village's public notice board (/v/<token>): its unguessable address, made when needed."""

    __tablename__ = "notice_boards"

    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32), unique=True)


class NoticeDefaults(Base):
    """A district's notice settings: how many days a notice runs when its opener does not say."""

    __tablename__ = "notice_defaults"

    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True, autoincrement=False)
    days: Mapped[int] = mapped_column(Integer)
