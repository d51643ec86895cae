"""Complaints (反映问题): filed by villagers from an asset's page (or, as objections 提出异议, from a
public notice's page), handled by staff step by step.

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

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import audit
from models.access import require_complaint_handler
from models.assets.entities import Asset
from models.complaints.entities import (
    ASSET_CATEGORIES,
    MAX_NAME,
    MAX_NOTE,
    Complaint,
    ComplaintCategory,
    ComplaintCounter,
    ComplaintStatus,
    ComplaintStep,
    Rating,
    StepKind,
)
from models.errors import DomainError, Invalid
from models.notices.entities import PublicNotice
from models.people import User
from models.photos import Photo, store_photo
from models.storage import MediaStorage

ENTITY = "complaint"


MAX_PHOTOS = 3


MIN_DESCRIPTION, MAX_DESCRIPTION = 5, 1000


MOBILE = re.compile(r"^1\d{10}$")


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
    if chosen not in ASSET_CATEGORIES:
        errors["category"] = "请选择问题类别。"
    text = _text(
        description, "description", "问题描述", required=True, low=MIN_DESCRIPTION, high=MAX_DESCRIPTION, errors=errors
    )
    name, phone = _contact(contact_name, contact_phone, errors)
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = f"最多上传{MAX_PHOTOS}张照片。"
    if errors:
        raise Invalid(errors)
    stored = [store_photo(session, storage, data, now=now, uploaded_by_openid=openid) for data in photos]
    return _file(session, {"asset_id": asset.id}, chosen, text, name, phone, stored, openid, now, limits)


def file_objection(
    session: Session,
    notice: PublicNotice,
    *,
    reason: str,
    contact_name: str | None,
    contact_phone: str | None,
    openid: str | None,
    now: dt.datetime,
    limits: ComplaintLimits,
) -> Complaint:
    """A villager's objection (提出异议) to a notice, from its page while it runs; the town handles it."""
    if not notice.running_on(limits.local_date(now)):
        raise WrongStep("这项公示现在不在公示期内，不能提出异议。")
    errors: dict[str, str] = {}
    text = _text(reason, "reason", "异议理由", required=True, low=MIN_DESCRIPTION, high=MAX_DESCRIPTION, errors=errors)
    name, phone = _contact(contact_name, contact_phone, errors)
    if errors:
        raise Invalid(errors)
    objection = ComplaintCategory.OBJECTION
    return _file(session, {"notice_id": notice.id}, objection, text, name, phone, [], openid, now, limits)


def _contact(name: str | None, phone: str | None, errors: dict[str, str]) -> tuple[str | None, str | None]:
    """The name and mobile number a villager may leave (or not: anonymous is allowed)."""
    name = _text(name, "contact_name", "称呼", required=False, high=MAX_NAME, errors=errors)
    phone = (phone or "").strip().replace(" ", "") or None
    if phone and not MOBILE.match(phone):
        errors["contact_phone"] = "手机号应为11位数字，以1开头；不想留可以不填。"
    return name, phone


def _file(
    session: Session,
    subject: dict[str, int],
    category: ComplaintCategory,
    text: str,
    name: str | None,
    phone: str | None,
    photos: Sequence[Photo],
    openid: str | None,
    now: dt.datetime,
    limits: ComplaintLimits,
) -> Complaint:
    """Store a checked complaint about `subject` (its asset_id or notice_id) with its first step."""
    filed_on = limits.local_date(now)
    complaint = Complaint(
        **subject,
        tracking_number=_next_tracking_number(session, filed_on.year),
        public_token=secrets.token_urlsafe(16),
        category=category,
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
        photos=photos,
        first=True,
        changes={"tracking_number": complaint.tracking_number, "category": category.label, "photos": len(photos)},
    )
    return complaint


def _require_step(actor: User, complaint: Complaint, kind: StepKind) -> None:
    """The actor may take this step now (their role, and the complaint's current state)."""
    why = "公示异议由乡镇办理。" if complaint.notice_id else None
    require_complaint_handler(actor, town_or_above=complaint.town_handles, why=why)
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
    upheld: bool | None = None,
) -> ComplaintStep:
    """答复: what was done, with photos (checked and stored here, all or none); the door pushes it
    to the villager after the commit. An objection's answer says whether it is upheld."""
    errors: dict[str, str] = {}
    text = _text(text, "answer", "答复内容", required=True, low=MIN_DESCRIPTION, errors=errors)
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = f"最多上传{MAX_PHOTOS}张照片。"
    if complaint.notice_id is not None and upheld is None:
        errors["upheld"] = "请选择异议是否成立。"
    if errors:
        raise Invalid(errors)
    _require_step(actor, complaint, StepKind.ANSWERED)
    stored = [store_photo(session, storage, data, now=now, uploaded_by_id=actor.id) for data in photos]
    if complaint.notice_id is not None:
        complaint.upheld = upheld
        text = f"{'异议成立' if upheld else '异议不成立'}。{text}"
    step = _act(session, actor, complaint, StepKind.ANSWERED, now, note=text, photos=stored)
    complaint.answered_at = now
    complaint.rating = None
    return step


def close(session: Session, actor: User, complaint: Complaint, now: dt.datetime) -> ComplaintStep:
    return _act(session, actor, complaint, StepKind.CLOSED, now)


def close_as_moot(
    session: Session, actor: User | None, complaint: Complaint, note: str, now: dt.datetime
) -> ComplaintStep:
    """办结 a complaint whose subject went away (the notice objected to was withdrawn), saying why."""
    complaint.status = ComplaintStatus.CLOSED
    return _step(session, complaint, StepKind.CLOSED, actor, now, note=note)


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
