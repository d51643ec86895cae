"""Public notices (公告公示): putting something on notice, withdrawing it, deciding how it ended.

A notice puts a frozen text up for a village (or one of its assets) for a period of calendar days,
the first and the last included (each district's default is 10). Villagers object from its page
(`complaints.operations.file_objection`: an objection is a complaint the town handles). Once the
period is over the outcome is decided: with no objection unresolved, `passed` (or `upheld` when an
objection was upheld); while one is unresolved, the notice awaits it and is decided when it is.
The subject's own domain hears of the decision through `outcomes`.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import audit
from models.access import NOTICE_MANAGERS, region_in_scope, require_notice_manager
from models.assets.entities import Asset
from models.complaints.entities import ComplaintStatus
from models.complaints.operations import close_as_moot
from models.errors import DomainError, Forbidden, Invalid
from models.notices import outcomes
from models.notices.entities import (
    MANUAL,
    MAX_BODY,
    MAX_DAYS,
    MAX_REASON,
    MAX_TITLE,
    OPEN_OUTCOMES,
    NoticeBoard,
    NoticeDefaults,
    NoticeOutcome,
    PublicNotice,
)
from models.notices.queries import UNRESOLVED, default_days, notice_for, objections_to
from models.people import Role, User
from models.regions import Region, RegionLevel

ENTITY = "notice"


# The audit log's actions on a notice, as staff read them.
ACTION_LABELS = {"open": "发布", "withdraw": "撤回", "await_objections": "期满，异议待处理", "decide": "确定结果"}


class NoticeClosed(DomainError):
    """The notice is no longer open (decided or withdrawn), so this cannot be done to it."""

    status = 409


def open_notice(
    session: Session,
    actor: User | None,
    *,
    subject_kind: str,
    subject_id: int | None,
    village: Region,
    asset: Asset | None = None,
    title: str,
    body: str,
    starts_on: dt.date,
    days: int | None = None,
    now: dt.datetime,
) -> PublicNotice:
    """Put `body` (a frozen snapshot of the subject) on notice from `starts_on` for `days` calendar
    days, the first included (None: the district's default). The subject's own domain has checked
    that `actor` may; `subject_id` is None only for a manual notice."""
    days = default_days(session, village) if days is None else days
    if days < 1:
        raise Invalid({"days": "公示结束日期不能早于开始日期（公示期至少1天）。"})
    if days > MAX_DAYS:
        raise Invalid({"days": f"公示期最长{MAX_DAYS}天。"})
    ends_on = starts_on + dt.timedelta(days=days - 1)
    return _open(session, actor, subject_kind, subject_id, village, asset, title, body, starts_on, ends_on, now)


def publish_notice(
    session: Session,
    actor: User,
    *,
    village: Region,
    asset: Asset | None,
    title: str,
    body: str,
    starts_on: dt.date,
    ends_on: dt.date,
    now: dt.datetime,
) -> PublicNotice:
    """A notice a clerk or an official writes themselves (subject kind `manual`), `starts_on` to `ends_on`."""
    require_notice_manager(actor, village)
    return _open(session, actor, MANUAL, None, village, asset, title, body, starts_on, ends_on, now)


def _open(
    session: Session,
    actor: User | None,
    subject_kind: str,
    subject_id: int | None,
    village: Region,
    asset: Asset | None,
    title: str,
    body: str,
    starts_on: dt.date,
    ends_on: dt.date,
    now: dt.datetime,
) -> PublicNotice:
    title, body = title.strip(), body.strip()
    errors = {}
    if not title or len(title) > MAX_TITLE:
        errors["title"] = f"标题应为1到{MAX_TITLE}个字（现在{len(title)}个字）。"
    if not body or len(body) > MAX_BODY:
        errors["body"] = f"公示内容应为1到{MAX_BODY}个字（现在{len(body)}个字）。"
    if ends_on < starts_on:
        errors["ends_on"] = "公示结束日期不能早于开始日期。"
    elif (ends_on - starts_on).days >= MAX_DAYS:
        errors["ends_on"] = f"公示期最长{MAX_DAYS}天。"
    if village.level is not RegionLevel.VILLAGE:
        errors["village"] = "公示要发到一个村（社区）。"
    if asset is not None and asset.village_id != village.id:
        errors["asset"] = "资产不在这个村。"
    running = notice_for(session, subject_kind, subject_id) if subject_id is not None else None
    if running is not None and running.outcome in OPEN_OUTCOMES:
        errors["subject"] = "这项内容正在公示中，不能重复公示；如需更正，请先撤回原公示。"
    if errors:
        raise Invalid(errors)
    ensure_board(session, village)
    notice = PublicNotice(
        subject_kind=subject_kind,
        subject_id=subject_id,
        village_id=village.id,
        asset_id=asset.id if asset else None,
        title=title,
        body=body,
        starts_on=starts_on,
        ends_on=ends_on,
        outcome=NoticeOutcome.RUNNING,
        opened_by_id=actor.id if actor else None,
        owner_region_id=_owner(actor, village).id,
        created_at=now,
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=notice.id,
        action="open",
        changes={
            "subject": notice.subject_label + (f" #{subject_id}" if subject_id is not None else ""),
            "title": title,
            "period": f"{starts_on}至{ends_on}",
            "place": notice.place,
        },
        now=now,
        first=True,
    )
    return notice


def _owner(actor: User | None, village: Region) -> Region:
    """Who is reminded when the period ends: the opener's unit when it manages notices there, else
    the village (e.g. a notice the supervisors' signatures started)."""
    if actor is not None and actor.active and actor.role in NOTICE_MANAGERS and region_in_scope(actor, village):
        return actor.region
    return village


def ensure_board(session: Session, village: Region) -> NoticeBoard:
    """The village's public notice board, given its unguessable address the first time."""
    board = session.get(NoticeBoard, village.id)
    if board is not None:
        return board
    try:
        with session.begin_nested():
            board = NoticeBoard(village_id=village.id, token=secrets.token_urlsafe(16))
            session.add(board)
    except IntegrityError:  # another request made it a moment ago
        return session.get_one(NoticeBoard, village.id)
    return board


def withdraw_notice(session: Session, actor: User, notice: PublicNotice, *, reason: str, now: dt.datetime) -> None:
    """Take a notice down (it stops showing; its outcome is `withdrawn`) and close the objections
    still open on it, saying why. The reason is shown to villagers."""
    require_notice_manager(actor, notice.village)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid({"reason": f"请填写撤回理由（1到{MAX_REASON}个字，将向群众公开）。"})
    if notice.outcome not in OPEN_OUTCOMES:
        raise NoticeClosed(f"这项公示已是“{notice.outcome.label}”，不能撤回。")
    closed = 0
    for objection in objections_to(session, notice.id):
        if objection.status in UNRESOLVED:
            close_as_moot(session, actor, objection, f"公示已撤回（{reason}），本异议不再办理。", now)
            closed += 1
    notice.outcome, notice.decided_at, notice.withdrawal_reason = NoticeOutcome.WITHDRAWN, now, reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=notice.id,
        action="withdraw",
        changes={"reason": reason, "objections_closed": closed},
        now=now,
    )


def decide_notice(session: Session, notice: PublicNotice, today: dt.date, now: dt.datetime) -> bool:
    """Decide the notice if its period is over and no objection to it is unresolved: `upheld` when
    an objection was upheld, else `passed` (True). With one unresolved it awaits (False)."""
    if notice.outcome not in OPEN_OUTCOMES or notice.ends_on >= today:
        return False
    objections = objections_to(session, notice.id)
    if any(objection.status in UNRESOLVED for objection in objections):
        if notice.outcome is NoticeOutcome.RUNNING:
            notice.outcome = NoticeOutcome.AWAITING_OBJECTIONS
            _record_outcome(session, notice, "await_objections", now)
        return False
    upheld = any(o.upheld and o.status is ComplaintStatus.CLOSED for o in objections)
    notice.outcome = NoticeOutcome.UPHELD if upheld else NoticeOutcome.PASSED
    notice.decided_at = now
    _record_outcome(session, notice, "decide", now)
    outcomes.notice_decided(session, notice, now)
    return True


def _record_outcome(session: Session, notice: PublicNotice, action: str, now: dt.datetime) -> None:
    session.flush()
    audit.record(
        session,
        actor=None,
        entity_type=ENTITY,
        entity_id=notice.id,
        action=action,
        changes={"outcome": notice.outcome.label},
        now=now,
    )


def decide_ended_notices(session: Session, today: dt.date, now: dt.datetime) -> int:
    """Decide every notice whose period ended before `today` (local date); how many were decided."""
    ended = session.scalars(
        select(PublicNotice)
        .where(PublicNotice.outcome.in_(OPEN_OUTCOMES), PublicNotice.ends_on < today)
        .order_by(PublicNotice.id)
    )
    return sum(decide_notice(session, notice, today, now) for notice in ended.all())


def objection_settled(session: Session, notice_id: int | None, today: dt.date, now: dt.datetime) -> None:
    """An objection was closed or refused: its notice may be decided now (nothing for a complaint
    that is no objection)."""
    if notice_id is not None:
        decide_notice(session, session.get_one(PublicNotice, notice_id), today, now)


def set_default_days(session: Session, actor: User, days: str, now: dt.datetime) -> NoticeDefaults:
    """The district admin sets how many days the district's notices run by default."""
    if not actor.active or actor.role is not Role.DISTRICT_ADMIN:
        raise Forbidden("只有区乡村振兴局可以设置默认公示天数。")
    text = days.strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_DAYS):
        raise Invalid({"days": f"默认公示天数应为1到{MAX_DAYS}之间的整数。"})
    settings = session.get(NoticeDefaults, actor.region_id) or NoticeDefaults(district_id=actor.region_id)
    before, settings.days = settings.days, int(text)
    session.add(settings)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="notice_defaults",
        entity_id=actor.region_id,
        action="set_days",
        changes={"days": [before, settings.days]},
        now=now,
    )
    return settings


def parse_period(starts_on: str, ends_on: str) -> tuple[dt.date, dt.date]:
    """The period as a form gives it (2026-12-11), or the reasons it cannot be read."""
    errors, dates = {}, []
    for field, label, text in (("starts_on", "开始日期", starts_on), ("ends_on", "结束日期", ends_on)):
        try:
            dates.append(dt.date.fromisoformat(text.strip()))
        except ValueError:
            errors[field] = f"请填写公示{label}，如 2026-12-11。"
    if errors:
        raise Invalid(errors)
    return dates[0], dates[1]
