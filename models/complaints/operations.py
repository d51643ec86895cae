"""Complaints (反映问题): filed by villagers from an asset's page (or, as objections 提出异议, from a
public notice's page), handled by staff step by step.

new → accepted (受理) → assigned (转办, to a person or a unit) → answered (答复) → closed (办结), or
rejected with a reason. The villager rates an answer; 满意/基本满意 closes it, 不满意 (with an
optional reason) reopens it for the town. A rejection may be appealed (申诉) once: the town then
accepts it after all or rejects it for good. The same words about the same asset (or notice) from
the same visitor within a day are not filed twice. Every step is a row with who and when (staff names are
never shown to the villager) and an audit entry. Time limits are data (`accept_due_on`,
`answer_due_on`, local dates) that the reminder jobs read through `open_limits`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import audit
from models.access import COMPLAINT_HANDLERS, require_complaint_handler
from models.assets.entities import Asset
from models.complaints.entities import (
    ASSET_CATEGORIES,
    AWAITING_ACCEPTANCE,
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
from models.people import Department, Role, User
from models.photos import Photo, store_photos
from models.regions import Region
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


class Repeated(DomainError):
    """The same visitor already filed the same words about the same asset (or notice) within a day."""

    status = 409

    def __init__(self, earlier: Complaint):
        super().__init__(f"您今天已反映过相同内容，编号{earlier.tracking_number}，不用再提交。")
        self.earlier = earlier


REPEAT_WINDOW = dt.timedelta(days=1)


# Which statuses each staff action may start from.
ALLOWED_FROM = {
    StepKind.ACCEPTED: AWAITING_ACCEPTANCE,
    StepKind.REJECTED: (*AWAITING_ACCEPTANCE, ComplaintStatus.ACCEPTED),
    StepKind.ASSIGNED: (ComplaintStatus.ACCEPTED, ComplaintStatus.ASSIGNED, ComplaintStatus.REOPENED),
    StepKind.ANSWERED: (ComplaintStatus.ACCEPTED, ComplaintStatus.ASSIGNED, ComplaintStatus.REOPENED),
    StepKind.CLOSED: (ComplaintStatus.ANSWERED,),
}


def possible_steps(complaint: Complaint) -> set[str]:
    """The staff steps the complaint's state allows now (by StepKind value: "accept" …)."""
    return {kind.value for kind, starts in ALLOWED_FROM.items() if complaint.status in starts}


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


def normalised(text: str) -> str:
    """The words of a text as compared for repeats: full-width folded, case, spaces and
    punctuation ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if unicodedata.category(char)[0] not in "PZSC")


def find_repeat(
    session: Session,
    subject: dict[str, int],
    description: str,
    *,
    openid: str | None,
    own_tokens: Sequence[str],
    now: dt.datetime,
) -> Complaint | None:
    """The visitor's complaint with the same words about `subject` (its asset_id or notice_id) filed
    within a day, if any. The visitor is known by their WeChat openid or by the complaints this
    browser filed (`own_tokens`)."""
    visitor = [Complaint.public_token.in_(list(own_tokens))] if own_tokens else []
    if openid:
        visitor.append(Complaint.openid == openid)
    if not visitor:
        return None
    recent = session.scalars(
        select(Complaint)
        .filter_by(**subject)
        .where(Complaint.created_at >= now - REPEAT_WINDOW, or_(*visitor))
        .order_by(Complaint.id.desc())
    )
    words = normalised(description)
    return next((complaint for complaint in recent if normalised(complaint.description) == words), None)


def _refuse_repeat(
    session: Session,
    subject: dict[str, int],
    text: str,
    openid: str | None,
    own_tokens: Sequence[str],
    now: dt.datetime,
) -> None:
    earlier = find_repeat(session, subject, text, openid=openid, own_tokens=own_tokens, now=now)
    if earlier is not None:
        raise Repeated(earlier)


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
    own_tokens: Sequence[str] = (),
) -> Complaint:
    """A villager's complaint about `asset`: validated whole before anything is written. Raises
    Repeated when the visitor (openid, or `own_tokens` of their browser) said the same today."""
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
    subject = {"asset_id": asset.id}
    _refuse_repeat(session, subject, text, openid, own_tokens, now)
    stored = store_photos(session, storage, photos, now=now, uploaded_by_openid=openid)
    return _file(session, subject, chosen, text, name, phone, stored, openid, now, limits)


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
    own_tokens: Sequence[str] = (),
) -> Complaint:
    """A villager's objection (提出异议) to a notice, from its page while it runs; the town handles it.
    Raises Repeated when the visitor said the same about the notice today."""
    if not notice.running_on(limits.local_date(now)):
        raise WrongStep("这项公示现在不在公示期内，不能提出异议。")
    errors: dict[str, str] = {}
    text = _text(reason, "reason", "异议理由", required=True, low=MIN_DESCRIPTION, high=MAX_DESCRIPTION, errors=errors)
    name, phone = _contact(contact_name, contact_phone, errors)
    if errors:
        raise Invalid(errors)
    subject = {"notice_id": notice.id}
    _refuse_repeat(session, subject, text, openid, own_tokens, now)
    objection = ComplaintCategory.OBJECTION
    return _file(session, subject, objection, text, name, phone, [], openid, now, limits)


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
    require_complaint_handler(actor, town_or_above=complaint.town_handles, why=_why_town_handles(complaint))
    if complaint.status not in ALLOWED_FROM[kind]:
        raise WrongStep(f"这条反映现在是“{complaint.status.label}”，不能{kind.label}。请刷新页面查看最新进展。")


def _why_town_handles(complaint: Complaint) -> str | None:
    """Why only the town (or above) may handle the complaint, as the village clerk is told."""
    if complaint.notice_id is not None:
        return "公示异议由乡镇办理。"
    if complaint.appealed_at is not None and complaint.reopened_count == 0:
        return "群众对不予受理提出了申诉，这条反映由乡镇复核。"
    return None  # reopened after 不满意: the access rule's own words


def _act(
    session: Session,
    actor: User,
    complaint: Complaint,
    kind: StepKind,
    now: dt.datetime,
    note: str | None = None,
    photos: Sequence[Photo] = (),
    changes: dict | None = None,
) -> ComplaintStep:
    _require_step(actor, complaint, kind)
    complaint.status = STATUS_AFTER[kind]
    return _step(session, complaint, kind, actor, now, note=note, photos=photos, changes=changes)


def accept(session: Session, actor: User, complaint: Complaint, now: dt.datetime) -> ComplaintStep:
    return _act(session, actor, complaint, StepKind.ACCEPTED, now)


def reject(session: Session, actor: User, complaint: Complaint, reason: str, now: dt.datetime) -> ComplaintStep:
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", "不予受理的理由", required=True, errors=errors)
    if errors:
        raise Invalid(errors)
    return _act(session, actor, complaint, StepKind.REJECTED, now, note=reason)


UNIT_HANDLERS = (Role.TOWN_OFFICIAL, Role.VILLAGE_CLERK)  # who handles complaints for a town or a village


@dataclass(frozen=True)
class Assignee:
    """Someone a complaint can be handed to (转办): a person, or a unit (a department, a town, a
    village). `key` names it in a form ("user:12", "department:3", "region:7"); `unit` is what the
    villager is told (staff names are never shown to them)."""

    key: str
    label: str
    is_person: bool
    unit: str


def assignees(session: Session, complaint: Complaint) -> list[Assignee]:
    """Whom `complaint` may be handed to: staff who handle complaints in its village, town or
    district, then the district's departments, the town and the village. Once the town handles it
    (公示异议, 不满意, 申诉), nobody at the village level."""
    village = complaint.village
    town = village.parent
    regions = [town, village.parent.parent] if complaint.town_handles else [village, town, town.parent]
    people = session.scalars(
        select(User)
        .where(
            User.active.is_(True),
            User.role.in_(COMPLAINT_HANDLERS),
            User.region_id.in_([region.id for region in regions]),
        )
        .order_by(User.region_id.desc(), User.role, User.id)
    )
    departments = session.scalars(
        select(Department).where(Department.district_id == village.own_district_id).order_by(Department.id)
    )
    units: list[Region] = [town] if complaint.town_handles else [town, village]
    return [
        *(Assignee(f"user:{p.id}", f"{p.name}（{p.role.label} · {p.region.name}）", True, _unit_of(p)) for p in people),
        *(Assignee(f"department:{d.id}", d.name, False, d.name) for d in departments),
        *(Assignee(f"region:{r.id}", r.full_name, False, r.full_name) for r in units),
    ]


def _unit_of(person: User) -> str:
    return person.department.name if person.department else person.region.full_name or person.region.name


def assign(session: Session, actor: User, complaint: Complaint, key: str, now: dt.datetime) -> ComplaintStep:
    """转办: hand the complaint to one of its `assignees` (named by `key`); the door tells them
    after the commit, and it shows in their list."""
    chosen = next((option for option in assignees(session, complaint) if option.key == key), None)
    if chosen is None:
        raise Invalid({"assigned_to": "请从列表中选择转办给谁（本辖区的工作人员或单位）。"})
    kind, _, target_id = key.partition(":")
    handed = {"assigned_to": [complaint.assigned_to, chosen.label]}
    step = _act(session, actor, complaint, StepKind.ASSIGNED, now, note=f"转交{chosen.unit}办理", changes=handed)
    complaint.assigned_to = chosen.label[:120]
    complaint.assigned_user_id = int(target_id) if kind == "user" else None
    complaint.assigned_department_id = int(target_id) if kind == "department" else None
    complaint.assigned_region_id = int(target_id) if kind == "region" else None
    return step


def assigned_people(session: Session, complaint: Complaint) -> list[User]:
    """Who is told of the complaint's 转办: the person, or those who handle complaints for the unit
    (the department's staff, the town's officials, the village's clerks)."""
    if complaint.assigned_user_id is not None:
        condition = User.id == complaint.assigned_user_id
    elif complaint.assigned_department_id is not None:
        condition = (User.department_id == complaint.assigned_department_id) & (User.role == Role.DEPARTMENT)
    elif complaint.assigned_region_id is not None:
        condition = (User.region_id == complaint.assigned_region_id) & User.role.in_(UNIT_HANDLERS)
    else:
        return []
    return list(session.scalars(select(User).where(condition, User.active.is_(True)).order_by(User.id)))


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
    stored = store_photos(session, storage, photos, now=now, uploaded_by_id=actor.id)
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
    session: Session,
    complaint: Complaint,
    rating: str,
    now: dt.datetime,
    limits: ComplaintLimits,
    reason: str | None = None,
) -> ComplaintStep:
    """The villager rates the answer: 满意/基本满意 closes it, 不满意 (why, if they say) reopens it
    for the town."""
    errors: dict[str, str] = {}
    chosen = Rating.from_label(rating or "")
    if chosen is None:
        errors["rating"] = "请选择满意、基本满意或不满意。"
    why = _text(reason, "reason", "不满意的原因", required=False, errors=errors)
    if errors:
        raise Invalid(errors)
    if complaint.status is not ComplaintStatus.ANSWERED:
        raise WrongStep("这条反映现在不能评价（只有已答复、尚未办结的可以评价）。")
    complaint.rating = chosen
    unsatisfied = chosen is Rating.UNSATISFIED
    note = f"{chosen.label}：{why}" if unsatisfied and why else chosen.label
    step = _step(session, complaint, StepKind.RATED, VILLAGER, now, note=note)
    if unsatisfied:
        complaint.status = ComplaintStatus.REOPENED
        complaint.reopened_count += 1
        complaint.answer_due_on = limits.local_date(now) + dt.timedelta(days=limits.answer_days)
        _step(session, complaint, StepKind.REOPENED, VILLAGER, now)
    else:
        complaint.status = ComplaintStatus.CLOSED
        _step(session, complaint, StepKind.CLOSED, VILLAGER, now, note="群众评价后办结")
    return step


def may_appeal(complaint: Complaint) -> bool:
    """A rejection can be appealed (申诉) once, to the town. Not an objection to a notice: the town
    rejected that itself (and the notice may be decided by then)."""
    rejected = complaint.status is ComplaintStatus.REJECTED
    return rejected and complaint.appealed_at is None and complaint.notice_id is None


def appeal(
    session: Session, complaint: Complaint, reason: str, now: dt.datetime, limits: ComplaintLimits
) -> ComplaintStep:
    """申诉: the villager objects to a rejection, once; the town (or above) then decides again,
    with fresh time limits."""
    errors: dict[str, str] = {}
    why = _text(reason, "reason", "申诉理由", required=True, errors=errors)
    if errors:
        raise Invalid(errors)
    if complaint.notice_id is not None:
        raise WrongStep("公示异议由乡镇办理，不予受理后不能再申诉。")
    if not may_appeal(complaint):
        raise WrongStep("只有不予受理的反映可以申诉，而且只能申诉一次。")
    today = limits.local_date(now)
    complaint.status = ComplaintStatus.APPEALED
    complaint.appealed_at = now
    complaint.accept_due_on = today + dt.timedelta(days=limits.accept_days)
    complaint.answer_due_on = today + dt.timedelta(days=limits.answer_days)
    return _step(session, complaint, StepKind.APPEALED, VILLAGER, now, note=why)
