"""Reading complaints: by their public token or number, a visitor's own, those in an actor's
scope, public counts, and the time limits falling due."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from models.access import visible_through_asset_or_notice
from models.base import LabelledEnum
from models.complaints.entities import OPEN_STATUSES, Complaint, ComplaintStatus
from models.errors import NotFound
from models.people import User

TRACKING = re.compile(r"^TS-\d{4}-\d{6}$")


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
    query = visible_through_asset_or_notice(actor, Complaint, Complaint.asset_id, Complaint.notice_id)
    if status is not None:
        query = query.where(Complaint.status == status)
    return query


def get_visible_complaint(session: Session, actor: User, complaint_id: int) -> Complaint:
    complaint = session.scalar(visible_complaints(actor).where(Complaint.id == complaint_id))
    if complaint is None:
        raise NotFound()
    return complaint


class LimitKind(LabelledEnum):
    ACCEPT = ("accept", "受理时限")
    ANSWER = ("answer", "答复时限")


@dataclass(frozen=True)
class DueLimit:
    """A time limit of an open complaint."""

    complaint: Complaint
    limit: LimitKind
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
            found.append(DueLimit(complaint, LimitKind.ACCEPT, complaint.accept_due_on))
        if complaint.answer_due_on <= due_by:
            found.append(DueLimit(complaint, LimitKind.ANSWER, complaint.answer_due_on))
    return found


def overdue_complaints(session: Session, today: dt.date) -> list[DueLimit]:
    """Limits already passed on `today` (local date): the next level up is to be told."""
    return open_limits(session, today - dt.timedelta(days=1))
