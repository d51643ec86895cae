"""Complaints (反映问题) and the steps of their handling, as stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, ColumnElement, Date, ForeignKey, Integer, String, Table, Text, or_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.assets.entities import Asset
from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.notices.entities import PublicNotice
from models.photos import Photo
from models.regions import Region

MAX_NAME, MAX_NOTE = 20, 1000


class ComplaintCategory(LabelledEnum):
    DAMAGE = ("damage", "损坏需维修")
    NEGLECT = ("neglect", "无人管护")
    INCOME = ("income", "收益分配")
    OCCUPIED = ("occupied", "被占用或私用")
    OTHER = ("other", "其他")
    OBJECTION = ("objection", "公示异议")  # filed from a public notice's page, never from an asset's


ASSET_CATEGORIES = [category for category in ComplaintCategory if category is not ComplaintCategory.OBJECTION]


class ComplaintStatus(LabelledEnum):
    NEW = ("new", "待受理")
    ACCEPTED = ("accepted", "已受理")
    ASSIGNED = ("assigned", "已转办")
    ANSWERED = ("answered", "已答复")
    CLOSED = ("closed", "已办结")
    REJECTED = ("rejected", "不予受理")
    REOPENED = ("reopened", "重新办理")
    APPEALED = ("appealed", "申诉复核中")


OPEN_STATUSES = (
    ComplaintStatus.NEW,
    ComplaintStatus.ACCEPTED,
    ComplaintStatus.ASSIGNED,
    ComplaintStatus.REOPENED,
    ComplaintStatus.APPEALED,
)
# Waiting to be accepted (or rejected): a new complaint, or a rejection the villager appealed.
AWAITING_ACCEPTANCE = (ComplaintStatus.NEW, ComplaintStatus.APPEALED)


class StepKind(LabelledEnum):
    FILED = ("filed", "提交反映")
    ACCEPTED = ("accepted", "受理")
    ASSIGNED = ("assigned", "转办")
    ANSWERED = ("answered", "答复")
    CLOSED = ("closed", "办结")
    REJECTED = ("rejected", "不予受理")
    RATED = ("rated", "群众评价")
    REOPENED = ("reopened", "不满意，转乡镇重新办理")
    APPEALED = ("appealed", "对不予受理有异议，转乡镇复核")


class Rating(LabelledEnum):
    SATISFIED = ("satisfied", "满意")
    MOSTLY_SATISFIED = ("mostly_satisfied", "基本满意")
    UNSATISFIED = ("unsatisfied", "不满意")


complaint_step_photos = Table(
    "complaint_step_photos",
    Base.metadata,
    Column("step_id", ForeignKey("complaint_steps.id", ondelete="CASCADE"), primary_key=True),
    Column("photo_id", ForeignKey("photos.id"), primary_key=True),
)


class ComplaintCounter(Base):
    """The last tracking number given out in a year (TS-YYYY-NNNNNN)."""

    __tablename__ = "complaint_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[intpk]
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    # Secret part of the tracking link (/t/<token>): the number alone is guessable.
    public_token: Mapped[str] = mapped_column(String(32), unique=True)
    # A complaint is about an asset, or (an objection, 提出异议) about a public notice.
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("public_notices.id"), index=True)
    category: Mapped[ComplaintCategory] = mapped_column(enum_column(ComplaintCategory))
    description: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(MAX_NAME))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    openid: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus), index=True)
    created_at: Mapped[instant]
    accept_due_on: Mapped[dt.date] = mapped_column(Date)
    answer_due_on: Mapped[dt.date] = mapped_column(Date)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    assigned_to: Mapped[str | None] = mapped_column(String(120))  # the name shown: a person or a unit
    # 转办: to one of these (a person, or a unit: a department, a town or a village).
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assigned_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    appealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # 申诉 (once) against a rejection
    rating: Mapped[Rating | None] = mapped_column(enum_column(Rating))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    # An objection's answer says whether it is upheld (异议成立); None for other complaints.
    upheld: Mapped[bool | None] = mapped_column(Boolean)

    asset: Mapped[Asset | None] = relationship(lazy="joined")
    notice: Mapped[PublicNotice | None] = relationship()
    steps: Mapped[list[ComplaintStep]] = relationship(
        back_populates="complaint", order_by="ComplaintStep.id", lazy="selectin", cascade="all, delete-orphan"
    )

    @hybrid_property
    def town_handles(self) -> bool:
        """Only the town (or above) may handle it: an objection to a notice, one reopened after 不满意,
        or a rejection appealed."""
        return self.notice_id is not None or self.reopened_count > 0 or self.appealed_at is not None

    @town_handles.inplace.expression
    @classmethod
    def _town_handles(cls) -> ColumnElement[bool]:
        return or_(cls.notice_id.is_not(None), cls.reopened_count > 0, cls.appealed_at.is_not(None))

    @property
    def about(self) -> str:
        """What it is about, as people name it: the asset, or the notice objected to."""
        return self.asset.name if self.asset else f"公示：{self.notice.title}"

    @property
    def village(self) -> Region:
        return self.asset.village if self.asset else self.notice.village

    @property
    def awaiting_acceptance(self) -> bool:
        return self.status in AWAITING_ACCEPTANCE

    def overdue(self, today: dt.date) -> bool:
        """Open past a time limit on `today` (a local date): acceptance, or the answer."""
        if self.status not in OPEN_STATUSES:
            return False
        return self.answer_due_on < today or (self.awaiting_acceptance and self.accept_due_on < today)

    @property
    def last_answer(self) -> ComplaintStep | None:
        return next((s for s in reversed(self.steps) if s.kind is StepKind.ANSWERED), None)

    @property
    def photos(self) -> list[Photo]:
        """The villager's own photos (those filed with the complaint)."""
        return self.steps[0].photos if self.steps else []


class ComplaintStep(Base):
    """One step of a complaint's handling: who (staff only, never shown publicly), when, what."""

    __tablename__ = "complaint_steps"

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind))
    at: Mapped[instant]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship(back_populates="steps")
    photos: Mapped[list[Photo]] = relationship(secondary=complaint_step_photos, lazy="selectin", order_by=Photo.id)
