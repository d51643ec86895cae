"""Reading notices: a subject's latest, those running for an asset, a village's board, those in an
actor's scope, and the objections to one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from models.access import notice_scope
from models.assets.entities import Asset
from models.complaints.entities import OPEN_STATUSES, Complaint, ComplaintStatus
from models.errors import NotFound
from models.notices.entities import (
    DEFAULT_DAYS,
    NoticeBoard,
    NoticeDefaults,
    NoticeOutcome,
    PublicNotice,
)
from models.people import User
from models.regions import Region

MAX_TOKEN_LENGTH = 32
BOARD_SHOWN = 20  # notices of each part of a village's board
RECENT_DAYS = 180  # how long an ended notice stays on the board with its outcome

# An objection is unresolved until it is closed or refused; while one is, the notice's outcome waits.
UNRESOLVED = (*OPEN_STATUSES, ComplaintStatus.ANSWERED)


def notice_for(session: Session, subject_kind: str, subject_id: int) -> PublicNotice | None:
    """The latest notice of a subject (withdrawn or not)."""
    return session.scalar(
        select(PublicNotice)
        .where(PublicNotice.subject_kind == subject_kind, PublicNotice.subject_id == subject_id)
        .order_by(PublicNotice.id.desc())
        .limit(1)
    )


def _running(today: dt.date) -> ColumnElement[bool]:
    return (
        (PublicNotice.outcome == NoticeOutcome.RUNNING)
        & (PublicNotice.starts_on <= today)
        & (PublicNotice.ends_on >= today)
    )


def active_notices(session: Session, asset: Asset, today: dt.date, limit: int = 5) -> list[PublicNotice]:
    """Notices running today for this asset or its whole village, newest first."""
    return list(
        session.scalars(
            select(PublicNotice)
            .where(
                PublicNotice.village_id == asset.village_id,
                or_(PublicNotice.asset_id.is_(None), PublicNotice.asset_id == asset.id),
                _running(today),
            )
            .order_by(PublicNotice.starts_on.desc(), PublicNotice.id.desc())
            .limit(limit)
        )
    )


def default_days(session: Session, village: Region) -> int:
    """How many days a notice of the village's district runs unless its opener says otherwise."""
    days = session.scalar(select(NoticeDefaults.days).where(NoticeDefaults.district_id == village.own_district_id))
    return days or DEFAULT_DAYS


def board_token(session: Session, village_id: int) -> str | None:
    return session.scalar(select(NoticeBoard.token).where(NoticeBoard.village_id == village_id))


def board_by_token(session: Session, token: str) -> NoticeBoard | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalar(select(NoticeBoard).where(NoticeBoard.token == token))


def public_path(session: Session, notice: PublicNotice) -> str:
    """Where villagers read the notice (the poster's QR code): /v/<board token>/n/<id>."""
    return f"/v/{board_token(session, notice.village_id)}/n/{notice.id}"


@dataclass
class Board:
    """A village's public notice board: what is (or is about to be) on notice, and what ended lately."""

    village: Region
    current: list[PublicNotice]
    ended: list[PublicNotice]


def board_of(session: Session, board: NoticeBoard, today: dt.date) -> Board:
    shown = select(PublicNotice).where(
        PublicNotice.village_id == board.village_id, PublicNotice.outcome != NoticeOutcome.WITHDRAWN
    )
    current = shown.where(PublicNotice.outcome == NoticeOutcome.RUNNING, PublicNotice.ends_on >= today)
    ended = shown.where(PublicNotice.ends_on < today, PublicNotice.ends_on >= today - dt.timedelta(days=RECENT_DAYS))
    return Board(
        village=session.get_one(Region, board.village_id),
        current=list(session.scalars(current.order_by(PublicNotice.starts_on, PublicNotice.id).limit(BOARD_SHOWN))),
        ended=list(
            session.scalars(ended.order_by(PublicNotice.ends_on.desc(), PublicNotice.id.desc()).limit(BOARD_SHOWN))
        ),
    )


def notice_on_board(session: Session, board: NoticeBoard, notice_id: int) -> PublicNotice | None:
    notice = session.get(PublicNotice, notice_id)
    return notice if notice is not None and notice.village_id == board.village_id else None


def visible_notices(actor: User, outcome: NoticeOutcome | None = None) -> Select[tuple[PublicNotice]]:
    query = select(PublicNotice).where(notice_scope(actor))
    return query if outcome is None else query.where(PublicNotice.outcome == outcome)


def get_visible_notice(session: Session, actor: User, notice_id: int) -> PublicNotice:
    notice = session.scalar(visible_notices(actor).where(PublicNotice.id == notice_id))
    if notice is None:
        raise NotFound()
    return notice


def objections_to(session: Session, notice_id: int) -> list[Complaint]:
    return list(session.scalars(select(Complaint).where(Complaint.notice_id == notice_id).order_by(Complaint.id)))


def objection_counts(session: Session, notice_ids: list[int]) -> dict[int, int]:
    """How many objections each of these notices received."""
    rows = session.execute(
        select(Complaint.notice_id, func.count())
        .where(Complaint.notice_id.in_(notice_ids))
        .group_by(Complaint.notice_id)
    )
    return {notice_id: number for notice_id, number in rows}
