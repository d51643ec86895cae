"""Reading complaints: by their public token or number, a visitor's own, those in an actor's
scope (the inbox, searched and filtered), public counts, and the time limits falling due."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from models.access import complaint_scope, complaints_handled_by, handed_to
from models.assets.entities import Asset
from models.base import LabelledEnum
from models.clock import local_day
from models.complaints.entities import (
    AWAITING_ACCEPTANCE,
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    Rating,
)
from models.errors import NotFound
from models.notices.entities import PublicNotice
from models.paging import Page, page_of
from models.people import User

TRACKING = re.compile(r"^TS-(\d{4})-(\d{6})$")
# What people type for a number: "TS-2026-000013", "ts-2026-13", "2026-13", or just "13" (this year).
TYPED_NUMBER = re.compile(r"^(?:TS-?)?(?:(\d{4})-)?0*(\d{1,6})$")


def by_token(session: Session, token: str) -> Complaint | None:
    return session.scalar(select(Complaint).where(Complaint.public_token == token)) if token else None


def tracking_number(typed: str, this_year: int) -> str | None:
    """The tracking number (TS-YYYY-NNNNNN) someone typed in full or in short ("13" is number 13 of
    `this_year`); None when it cannot be one."""
    text = unicodedata.normalize("NFKC", typed or "").strip().upper().replace(" ", "").replace("－", "-")
    match = TYPED_NUMBER.match(text)
    if match is None or int(match.group(2)) == 0:
        return None
    year = int(match.group(1) or this_year)
    return f"TS-{year}-{int(match.group(2)):06d}"


def of_visitor(session: Session, openid: str) -> list[Complaint]:
    """我的反映 of a visitor known by their WeChat openid, newest first."""
    return list(
        session.scalars(select(Complaint).where(Complaint.openid == openid).order_by(Complaint.id.desc()).limit(50))
    )


def visitors_own(session: Session, openid: str, number: str) -> Complaint | None:
    """The visitor's own complaint with this tracking number (one filed from their WeChat)."""
    return session.scalar(select(Complaint).where(Complaint.openid == openid, Complaint.tracking_number == number))


def by_number_and_phone(session: Session, number: str, last4: str, this_year: int) -> Complaint | None:
    """A complaint found by its tracking number (typed in full or short) and the last four digits
    of the phone left on it."""
    number, last4 = tracking_number(number, this_year), last4.strip()
    if number is None or not re.fullmatch(r"\d{4}", last4):
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


def visible_complaints(actor: User) -> Select[tuple[Complaint]]:
    """Complaints about assets in the actor's scope, objections to notices they see, and those
    handed to them (转办). Joined with their asset (none for an objection)."""
    return select(Complaint).outerjoin(Asset, Asset.id == Complaint.asset_id).where(complaint_scope(actor))


def get_visible_complaint(session: Session, actor: User, complaint_id: int) -> Complaint:
    complaint = session.scalar(visible_complaints(actor).where(Complaint.id == complaint_id))
    if complaint is None:
        raise NotFound()
    return complaint


def overdue_condition(today: dt.date) -> ColumnElement[bool]:
    """Open past a time limit on `today`: the SQL twin of `Complaint.overdue`."""
    return and_(
        Complaint.status.in_(OPEN_STATUSES),
        or_(
            Complaint.answer_due_on < today,
            and_(Complaint.status.in_(AWAITING_ACCEPTANCE), Complaint.accept_due_on < today),
        ),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Todo(LabelledEnum):
    """What an open complaint waits for."""

    ACCEPT = ("accept", "待受理")  # new, or a rejection appealed
    ANSWER = ("answer", "待答复")  # accepted, handed over (转办) or reopened


TODO_STATUSES = {
    Todo.ACCEPT: AWAITING_ACCEPTANCE,
    Todo.ANSWER: (ComplaintStatus.ACCEPTED, ComplaintStatus.ASSIGNED, ComplaintStatus.REOPENED),
}


@dataclass
class InboxFilter:
    """What the complaints inbox shows: every filter of the list page in one place."""

    status: ComplaintStatus | None = None
    todo: Todo | None = None
    category: ComplaintCategory | None = None
    village_id: int | None = None
    year: int | None = None  # filed that year (its tracking number's)
    month: int | None = None  # filed that month of `year` (local time)
    overdue_only: bool = False
    answered_only: bool = False
    on_time_only: bool = False  # answered on or before the answer's due date (local)
    rating: Rating | None = None
    handed_to_me: bool = False  # 转办给我（或我的单位）的
    text: str | None = None  # a tracking number, words of the description, an asset's name or code, a notice's title
    page: int = 1
    per_page: int = 30
    timezone: str = "Asia/Shanghai"  # where due dates are local dates (GUANHU_TIMEZONE)

    def conditions(self, actor: User, today: dt.date, this_year: int) -> list[ColumnElement[bool]]:
        conditions = []
        if self.status is not None:
            conditions.append(Complaint.status == self.status)
        if self.todo is not None:
            # What waits for this person: the village leaves to the town what only the town handles.
            conditions += [Complaint.status.in_(TODO_STATUSES[self.todo]), complaints_handled_by(actor)]
        if self.year is not None:
            conditions.append(Complaint.tracking_number.like(f"TS-{self.year:04d}-%"))
        if self.year is not None and self.month is not None:
            zone = ZoneInfo(self.timezone)
            start = dt.datetime(self.year, self.month, 1, tzinfo=zone)
            end = dt.datetime(self.year + self.month // 12, self.month % 12 + 1, 1, tzinfo=zone)
            conditions += [Complaint.created_at >= start, Complaint.created_at < end]
        if self.answered_only or self.on_time_only:
            conditions.append(Complaint.answered_at.is_not(None))
        if self.on_time_only:
            noon = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
            conditions.append(local_day(Complaint.answered_at, self.timezone, noon) <= Complaint.answer_due_on)
        if self.rating is not None:
            conditions.append(Complaint.rating == self.rating)
        if self.category is not None:
            conditions.append(Complaint.category == self.category)
        if self.village_id is not None:
            in_village = PublicNotice.village_id == self.village_id
            conditions.append(or_(Asset.village_id == self.village_id, _about_notice(in_village)))
        if self.overdue_only:
            conditions.append(overdue_condition(today))
        if self.handed_to_me:
            conditions.append(handed_to(actor))
        if self.text:
            pattern = f"%{_escape_like(self.text)}%"
            number = tracking_number(self.text, this_year)
            conditions.append(
                or_(
                    Complaint.tracking_number == (number or ""),
                    Complaint.description.like(pattern, escape="\\"),
                    Asset.name.like(pattern, escape="\\"),
                    Asset.code.like(pattern, escape="\\"),
                    _about_notice(PublicNotice.title.like(pattern, escape="\\")),
                )
            )
        return conditions


def _about_notice(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """An objection to a notice that meets `condition` (the inbox's filters reach notices this way)."""
    return Complaint.notice_id.in_(select(PublicNotice.id).where(condition))


@dataclass
class InboxPage(Page[Complaint]):
    overdue_ids: set[int] = field(default_factory=set)  # of the items, those past a time limit


NEWEST_FIRST = (Complaint.id.desc(),)


def search_inbox(session: Session, actor: User, wanted: InboxFilter, today: dt.date) -> InboxPage:
    """One page of the complaints the actor sees that match `wanted`, newest first, overdue marked."""
    query = visible_complaints(actor).where(*wanted.conditions(actor, today, today.year))
    found = page_of(session, query, max(1, wanted.page), wanted.per_page, NEWEST_FIRST)
    return InboxPage(
        items=found.items,
        total=found.total,
        number=found.number,
        per_page=found.per_page,
        overdue_ids={complaint.id for complaint in found.items if complaint.overdue(today)},
    )


class LimitKind(LabelledEnum):
    ACCEPT = ("accept", "受理时限")
    ANSWER = ("answer", "答复时限")


@dataclass(frozen=True)
class DueLimit:
    """A time limit of an open complaint."""

    complaint: Complaint
    limit: LimitKind
    due_on: dt.date


def limits_of(complaint: Complaint, due_by: dt.date = dt.date.max) -> list[DueLimit]:
    """The open complaint's limits falling due on or before `due_by`."""
    if complaint.status not in OPEN_STATUSES:
        return []
    found = []
    if complaint.awaiting_acceptance and complaint.accept_due_on <= due_by:
        found.append(DueLimit(complaint, LimitKind.ACCEPT, complaint.accept_due_on))
    if complaint.answer_due_on <= due_by:
        found.append(DueLimit(complaint, LimitKind.ANSWER, complaint.answer_due_on))
    return found


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
                Complaint.status.in_(AWAITING_ACCEPTANCE) & (Complaint.accept_due_on <= due_by),
            ),
        )
        .order_by(Complaint.id)
    )
    return [limit for complaint in session.scalars(query) for limit in limits_of(complaint, due_by)]


def overdue_complaints(session: Session, today: dt.date) -> list[DueLimit]:
    """Limits already passed on `today` (local date): the next level up is to be told."""
    return open_limits(session, today - dt.timedelta(days=1))
