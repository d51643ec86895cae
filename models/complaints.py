"""Complaints (反映问题): filed by villagers from an asset's page, handled by staff step by step.

new → accepted (受理) → assigned (转办) → answered (答复) → closed (办结), or rejected with a
reason. The villager rates an answer; 满意/基本满意 closes it, 不满意 reopens it for the town.
Every step is a row with who and when (staff names are never shown to the villager) and an
audit entry. Time limits are data (`accept_due_on`, `answer_due_on`, local dates) that the
reminder jobs read through `open_limits`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Date, ForeignKey, Integer, Select, String, Table, Text, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import audit
from models.access import require_complaint_handler, visible_through_asset
from models.assets import Asset
from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.errors import DomainError, Invalid, NotFound
from models.people import User
from models.photos import Photo, store_photo
from models.storage import MediaStorage

ENTITY = "complaint"
MAX_PHOTOS = 3
MIN_DESCRIPTION, MAX_DESCRIPTION = 5, 1000
MAX_NAME, MAX_NOTE = 20, 1000
MOBILE = re.compile(r"^1\d{10}$")
TRACKING = re.compile(r"^TS-\d{4}-\d{6}$")


class ComplaintCategory(LabelledEnum):
    DAMAGE = ("damage", "损坏需维修")
    NEGLECT = ("neglect", "无人管护")
    INCOME = ("income", "收益分配")
    OCCUPIED = ("occupied", "被占用或私用")
    OTHER = ("other", "其他")


class ComplaintStatus(LabelledEnum):
    NEW = ("new", "待受理")
    ACCEPTED = ("accepted", "已受理")
    ASSIGNED = ("assigned", "已转办")
    ANSWERED = ("answered", "已答复")
    CLOSED = ("closed", "已办结")
    REJECTED = ("rejected", "不予受理")
    REOPENED = ("reopened", "重新办理")


OPEN_STATUSES = (ComplaintStatus.NEW, ComplaintStatus.ACCEPTED, ComplaintStatus.ASSIGNED, ComplaintStatus.REOPENED)


class StepKind(LabelledEnum):
    FILED = ("filed", "提交反映")
    ACCEPTED = ("accepted", "受理")
    ASSIGNED = ("assigned", "转办")
    ANSWERED = ("answered", "答复")
    CLOSED = ("closed", "办结")
    REJECTED = ("rejected", "不予受理")
    RATED = ("rated", "群众评价")
    REOPENED = ("reopened", "不满意，转乡镇重新办理")


class Rating(LabelledEnum):
    SATISFIED = ("satisfied", "满意")
    MOSTLY_SATISFIED = ("mostly_satisfied", "基本满意")
    UNSATISFIED = ("unsatisfied", "不满意")


@dataclass(frozen=True)
class ComplaintLimits:
    """Days allowed after filing (GUANHU_COMPLAINT_ACCEPT_DAYS / _ANSWER_DAYS)."""

    accept_days: int = 3
    answer_days: int = 15
    timezone: str = "Asia/Shanghai"

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class Visitor:
    """The villager acting on their own complaint (not a staff account)."""

    name: str = "群众"
    id: None = None


VILLAGER = Visitor()

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
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
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
    assigned_to: Mapped[str | None] = mapped_column(String(120))
    rating: Mapped[Rating | None] = mapped_column(enum_column(Rating))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)

    asset: Mapped[Asset] = relationship(lazy="joined")
    steps: Mapped[list[ComplaintStep]] = relationship(
        back_populates="complaint", order_by="ComplaintStep.id", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def town_handles(self) -> bool:
        """Reopened after 不满意: only the town (or above) may handle it now."""
        return self.reopened_count > 0

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


class WrongStep(DomainError):
    """The action does not fit the complaint's current state (someone else may have acted)."""

    status = 409


# Which statuses each staff action may start from.
ALLOWED_FROM = {
    StepKind.ACCEPTED: (ComplaintStatus.NEW,),
    StepKind.REJECTED: (ComplaintStatus.NEW, ComplaintStatus.ACCEPTED),
    StepKind.ASSIGNED: (ComplaintStatus.ACCEPTED, ComplaintStatus.ASSIGNED, ComplaintStatus.REOPENED),
    StepKind.ANSWERED: (ComplaintStatus.ACCEPTED, ComplaintStatus.ASSIGNED, ComplaintStatus.REOPENED),
    StepKind.CLOSED: (ComplaintStatus.ANSWERED,),
}
STATUS_AFTER = {
    StepKind.ACCEPTED: ComplaintStatus.ACCEPTED,
    StepKind.REJECTED: ComplaintStatus.REJECTED,
    StepKind.ASSIGNED: ComplaintStatus.ASSIGNED,
    StepKind.ANSWERED: ComplaintStatus.ANSWERED,
    StepKind.CLOSED: ComplaintStatus.CLOSED,
}


def _text(
    value: str | None,
    field: str,
    label: str,
    *,
    required: bool,
    low: int = 1,
    high: int = MAX_NOTE,
    errors: dict[str, str],
) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            errors[field] = f"请填写{label}。"
        return None
    if len(value) < low:
        errors[field] = f"{label}至少写{low}个字。"
    elif len(value) > high:
        errors[field] = f"{label}不能超过{high}个字（现在{len(value)}个字）。"
    return value


def _next_tracking_number(session: Session, year: int) -> str:
    """TS-YYYY-NNNNNN, counted per year; the counter row is updated atomically."""
    bumped = session.execute(
        update(ComplaintCounter)
        .where(ComplaintCounter.year == year)
        .values(last=ComplaintCounter.last + 1)
        .returning(ComplaintCounter.last)
    ).scalar()
    if bumped is None:
        try:
            with session.begin_nested():
                session.add(ComplaintCounter(year=year, last=1))
            bumped = 1
        except IntegrityError:  # another request opened the year a moment ago
            return _next_tracking_number(session, year)
    return f"TS-{year}-{bumped:06d}"


def _step(
    session: Session,
    complaint: Complaint,
    kind: StepKind,
    actor: User | Visitor | None,
    now: dt.datetime,
    note: str | None = None,
    photos: Sequence[Photo] = (),
    changes: dict | None = None,
    first: bool = False,
) -> ComplaintStep:
    step = ComplaintStep(
        kind=kind,
        at=now,
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "name", None) or audit.SYSTEM_ACTOR,
        note=note,
        photos=list(photos),
    )
    complaint.steps.append(step)
    session.flush()
    entry = {"status": complaint.status.label, **(changes or {})}
    if note:
        entry["note"] = note
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=complaint.id,
        action=kind.value,
        changes=entry,
        now=now,
        first=first,
    )
    return step


def file_complaint(
    session: Session,
    storage: MediaStorage,
    asset: Asset,
    *,
    category: str,
    description: str,
    contact_name: str | None,
    contact_phone: str | None,
    photos: Sequence[bytes],
    openid: str | None,
    now: dt.datetime,
    limits: ComplaintLimits,
) -> Complaint:
    """A villager's complaint about `asset`: validated whole before anything is written."""
    errors: dict[str, str] = {}
    chosen = ComplaintCategory.from_label(category or "")
    if chosen is None:
        errors["category"] = "请选择问题类别。"
    text = _text(
        description, "description", "问题描述", required=True, low=MIN_DESCRIPTION, high=MAX_DESCRIPTION, errors=errors
    )
    name = _text(contact_name, "contact_name", "称呼", required=False, high=MAX_NAME, errors=errors)
    phone = (contact_phone or "").strip().replace(" ", "") or None
    if phone and not MOBILE.match(phone):
        errors["contact_phone"] = "手机号应为11位数字，以1开头；不想留可以不填。"
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = f"最多上传{MAX_PHOTOS}张照片。"
    if errors:
        raise Invalid(errors)
    stored = [store_photo(session, storage, data, now=now, uploaded_by_openid=openid) for data in photos]
    filed_on = limits.local_date(now)
    complaint = Complaint(
        tracking_number=_next_tracking_number(session, filed_on.year),
        public_token=secrets.token_urlsafe(16),
        asset_id=asset.id,
        category=chosen,
        description=text,
        contact_name=name,
        contact_phone=phone,
        openid=openid,
        status=ComplaintStatus.NEW,
        created_at=now,
        accept_due_on=filed_on + dt.timedelta(days=limits.accept_days),
        answer_due_on=filed_on + dt.timedelta(days=limits.answer_days),
    )
    session.add(complaint)
    session.flush()
    _step(
        session,
        complaint,
        StepKind.FILED,
        VILLAGER,
        now,
        photos=stored,
        first=True,
        changes={"tracking_number": complaint.tracking_number, "category": chosen.label, "photos": len(stored)},
    )
    return complaint


def _require_step(actor: User, complaint: Complaint, kind: StepKind) -> None:
    """The actor may take this step now (their role, and the complaint's current state)."""
    require_complaint_handler(actor, town_or_above=complaint.town_handles)
    if complaint.status not in ALLOWED_FROM[kind]:
        raise WrongStep(f"这条反映现在是“{complaint.status.label}”，不能{kind.label}。请刷新页面查看最新进展。")


def _act(
    session: Session,
    actor: User,
    complaint: Complaint,
    kind: StepKind,
    now: dt.datetime,
    note: str | None = None,
    photos: Sequence[Photo] = (),
) -> ComplaintStep:
    _require_step(actor, complaint, kind)
    complaint.status = STATUS_AFTER[kind]
    return _step(session, complaint, kind, actor, now, note=note, photos=photos)


def accept(session: Session, actor: User, complaint: Complaint, now: dt.datetime) -> ComplaintStep:
    return _act(session, actor, complaint, StepKind.ACCEPTED, now)


def reject(session: Session, actor: User, complaint: Complaint, reason: str, now: dt.datetime) -> ComplaintStep:
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", "不予受理的理由", required=True, errors=errors)
    if errors:
        raise Invalid(errors)
    return _act(session, actor, complaint, StepKind.REJECTED, now, note=reason)


def assign(session: Session, actor: User, complaint: Complaint, to: str, now: dt.datetime) -> ComplaintStep:
    """转办: hand it to a custodian body or department (named as people know it)."""
    errors: dict[str, str] = {}
    to = _text(to, "assigned_to", "转办对象", required=True, high=120, errors=errors)
    if errors:
        raise Invalid(errors)
    step = _act(session, actor, complaint, StepKind.ASSIGNED, now, note=f"转交{to}办理")
    complaint.assigned_to = to
    return step


def answer(
    session: Session,
    storage: MediaStorage,
    actor: User,
    complaint: Complaint,
    text: str,
    photos: Sequence[bytes],
    now: dt.datetime,
) -> ComplaintStep:
    """答复: what was done, with photos (checked and stored here, all or none); the door pushes it
    to the villager after the commit."""
    errors: dict[str, str] = {}
    text = _text(text, "answer", "答复内容", required=True, low=MIN_DESCRIPTION, errors=errors)
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = f"最多上传{MAX_PHOTOS}张照片。"
    if errors:
        raise Invalid(errors)
    _require_step(actor, complaint, StepKind.ANSWERED)
    stored = [store_photo(session, storage, data, now=now, uploaded_by_id=actor.id) for data in photos]
    step = _act(session, actor, complaint, StepKind.ANSWERED, now, note=text, photos=stored)
    complaint.answered_at = now
    complaint.rating = None
    return step


def close(session: Session, actor: User, complaint: Complaint, now: dt.datetime) -> ComplaintStep:
    return _act(session, actor, complaint, StepKind.CLOSED, now)


def rate(
    session: Session, complaint: Complaint, rating: str, now: dt.datetime, limits: ComplaintLimits
) -> ComplaintStep:
    """The villager rates the answer: 满意/基本满意 closes it, 不满意 reopens it for the town."""
    chosen = Rating.from_label(rating or "")
    if chosen is None:
        raise Invalid({"rating": "请选择满意、基本满意或不满意。"})
    if complaint.status is not ComplaintStatus.ANSWERED:
        raise WrongStep("这条反映现在不能评价（只有已答复、尚未办结的可以评价）。")
    complaint.rating = chosen
    step = _step(session, complaint, StepKind.RATED, VILLAGER, now, note=chosen.label)
    if chosen is Rating.UNSATISFIED:
        complaint.status = ComplaintStatus.REOPENED
        complaint.reopened_count += 1
        complaint.answer_due_on = limits.local_date(now) + dt.timedelta(days=limits.answer_days)
        _step(session, complaint, StepKind.REOPENED, VILLAGER, now)
    else:
        complaint.status = ComplaintStatus.CLOSED
        _step(session, complaint, StepKind.CLOSED, VILLAGER, now, note="群众评价后办结")
    return step


# -- reading ----------------------------------------------------------------------------------


def by_token(session: Session, token: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.public_token == token)) if token else None


def of_visitor(session: Session, openid: str) -> list[Complaint]:
    """我的反映 of a visitor known by their WeChat openid, newest first."""
    return list(
        session.scalars(select(Complaint).where(Complaint.openid == openid).order_by(Complaint.id.desc()).limit(50))
    )


def by_number_and_phone(session: Session, number: str, last4: str) -> Complaint | None:
    """A complaint found by its tracking number and the last four digits of the phone left on it."""
    number, last4 = number.strip().upper(), last4.strip()
    if not TRACKING.match(number) or not re.fullmatch(r"\d{4}", last4):
        return None
    complaint = session.scalar(select(Complaint).where(Complaint.tracking_number == number))
    if (
        complaint is None
        or not complaint.contact_phone
        or not secrets.compare_digest(complaint.contact_phone[-4:], last4)
    ):
        return None
    return complaint


def public_counts(session: Session, asset_id: int) -> tuple[int, int]:
    """(complaints filed about the asset, of them answered) — the only complaint facts shown publicly."""
    total, answered = session.execute(
        select(func.count(), func.count(Complaint.answered_at)).where(Complaint.asset_id == asset_id)
    ).one()
    return total, answered


def visible_complaints(actor: User, status: ComplaintStatus | None = None) -> Select[tuple[Complaint]]:
    query = visible_through_asset(actor, Complaint, Complaint.asset_id)
    if status is not None:
        query = query.where(Complaint.status == status)
    return query


def get_visible_complaint(session: Session, actor: User, complaint_id: int) -> Complaint:
    complaint = session.scalar(visible_complaints(actor).where(Complaint.id == complaint_id))
    if complaint is None:
        raise NotFound()
    return complaint


@dataclass(frozen=True)
class DueLimit:
    """A time limit of an open complaint: `limit` is "accept" or "answer"."""

    complaint: Complaint
    limit: str
    due_on: dt.date


def open_limits(session: Session, due_by: dt.date) -> list[DueLimit]:
    """Limits of open complaints falling due on or before `due_by` (reminders and escalation).

    Overdue today: `open_limits(session, today - 1 day)`; due within three days: `today + 3 days`.
    """
    query = (
        select(Complaint)
        .where(
            Complaint.status.in_(OPEN_STATUSES),
            or_(
                Complaint.answer_due_on <= due_by,
                (Complaint.status == ComplaintStatus.NEW) & (Complaint.accept_due_on <= due_by),
            ),
        )
        .order_by(Complaint.id)
    )
    found = []
    for complaint in session.scalars(query):
        if complaint.status is ComplaintStatus.NEW and complaint.accept_due_on <= due_by:
            found.append(DueLimit(complaint, "accept", complaint.accept_due_on))
        if complaint.answer_due_on <= due_by:
            found.append(DueLimit(complaint, "answer", complaint.answer_due_on))
    return found


def overdue_complaints(session: Session, today: dt.date) -> list[DueLimit]:
    """Limits already passed on `today` (local date): the next level up is to be told."""
    return open_limits(session, today - dt.timedelta(days=1))
