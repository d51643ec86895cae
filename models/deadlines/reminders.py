"""Reminders: who is told what each morning, computed for everybody at once in SQL.

Each morning's run (`ReminderRun`, one per local date) covers the days since the previous run:
a deadline is in a person's digest when a step of its kind's plan (7, 3, 1 days before, on the
day, daily for a week after) fell in that window. So a week with the machine off gives one
catch-up digest, not seven. Each person gets at most one digest per run (`Digest`), keyed
`digest:<user>:<date>`; the notifier's delivery row under that key makes the push exactly-once.
Urgent deadlines (a damage report, a complaint) are pushed at once, keyed per deadline and person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    String,
    and_,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from models.deadlines.entities import Deadline, DeadlineKind, Digest, DigestStatus, KindRole, ReminderRun
from models.people import User
from models.wechat.consents import refused
from models.wechat.entities import Delivery, WeChatVisitor

MAX_CATCH_UP_DAYS = 31  # after a longer outage, older steps are not reminded of any more


INSERT_CHUNK = 5000


def digest_key(user_id: int, day: dt.date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def urgent_key(deadline_id: int, user_id: int) -> str:
    return f"urgent:{deadline_id}:{user_id}"


def _merged(intervals: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    merged: list[tuple[dt.date, dt.date]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _due_ranges(kinds: list[DeadlineKind], first: dt.date, last: dt.date, *, after_only: bool):
    """The condition "a plan step of the deadline's kind falls in first … last"."""
    conditions = []
    for kind in kinds:
        offsets = [o for o in kind.step_offsets() if o > 0 or not after_only]
        ranges = _merged([(first - dt.timedelta(days=o), last - dt.timedelta(days=o)) for o in offsets])
        conditions += [
            and_(Deadline.kind_code == kind.code, Deadline.due_on.between(low, high)) for low, high in ranges
        ]
    return or_(false(), *conditions)


def _recipients(kinds: list[DeadlineKind], first: dt.date, last: dt.date, today: dt.date):
    """(user, deadline) pairs: owners whose step falls in the window, and the level above once
    the deadline has passed. Set-based: one statement for everybody."""
    columns = (
        User.id.label("user_id"),
        Deadline.id.label("deadline_id"),
        Deadline.urgent,
        Deadline.due_on,
        User.wechat_openid.label("openid"),
    )
    owners = (
        select(*columns)
        .join(KindRole, and_(KindRole.kind == Deadline.kind_code, KindRole.upper.is_(False)))
        .join(
            User,
            and_(
                User.region_id == Deadline.region_id,
                User.role == KindRole.role,
                User.active.is_(True),
                or_(Deadline.department_id.is_(None), User.department_id == Deadline.department_id),
            ),
        )
        .where(Deadline.done_at.is_(None), _due_ranges(kinds, first, last, after_only=False))
    )
    upper = (
        select(*columns)
        .join(KindRole, and_(KindRole.kind == Deadline.kind_code, KindRole.upper.is_(True)))
        .join(User, and_(User.region_id == Deadline.upper_region_id, User.role == KindRole.role, User.active.is_(True)))
        .where(Deadline.done_at.is_(None), Deadline.due_on < today, _due_ranges(kinds, first, last, after_only=True))
    )
    return union_all(owners, upper).subquery()


def _reachable(openid_column) -> Any:
    """An openid we may push to: bound, and not known to have unfollowed the account."""
    unfollowed = exists().where(WeChatVisitor.openid == openid_column, WeChatVisitor.subscribed.is_(False))
    return and_(openid_column.is_not(None), ~unfollowed)


def compute_digests(session: Session, today: dt.date, now: dt.datetime) -> ReminderRun:
    """The digests of `today` for everybody (idempotent: a second call returns the same run)."""
    run = session.get(ReminderRun, today)
    if run is not None:
        return run
    previous = session.scalar(select(func.max(ReminderRun.local_date)).where(ReminderRun.local_date < today))
    earliest = today - dt.timedelta(days=MAX_CATCH_UP_DAYS - 1)
    first = max(previous + dt.timedelta(days=1), earliest) if previous else today
    kinds = [k for k in session.scalars(select(DeadlineKind)) if k.tracked]
    carried = _carry_unsent(session, today)
    pairs = _recipients(kinds, first, today, today)
    query = (
        select(pairs.c.user_id, pairs.c.deadline_id, pairs.c.openid)
        .order_by(pairs.c.user_id, pairs.c.urgent.desc(), pairs.c.due_on, pairs.c.deadline_id)
        .execution_options(yield_per=INSERT_CHUNK)
    )
    unreachable = _unfollowed_openids(session)
    count = 0
    batch: list[dict[str, Any]] = []
    for user_id, openid, deadline_ids in _grouped(session.execute(query), carried):
        status = DigestStatus.TO_SEND if openid and openid not in unreachable else DigestStatus.UNREACHABLE
        batch.append(
            {
                "key": digest_key(user_id, today),
                "user_id": user_id,
                "local_date": today,
                "openid": openid,
                "status": status,
                "deadline_ids": deadline_ids,
                "item_count": len(deadline_ids),
                "created_at": now,
            }
        )
        if len(batch) >= INSERT_CHUNK:
            count += _insert(session, batch)
    count += _insert(session, batch)
    run = ReminderRun(local_date=today, window_start=first, computed_at=now, digests=count)
    session.add(run)
    session.flush()
    return run


def _insert(session: Session, batch: list[dict[str, Any]]) -> int:
    if batch:
        session.execute(insert(Digest), batch)
    count = len(batch)
    batch.clear()
    return count


def _grouped(rows, carried: dict[int, tuple[str | None, list[int]]]) -> Iterator[tuple]:
    """(user, openid, deadline ids) per person from rows ordered by person, plus the carried."""
    current: int | None = None
    openid: str | None = None
    ids: list[int] = []
    for user_id, deadline_id, row_openid in rows:
        if user_id != current:
            if current is not None:
                yield current, openid, _with_carried(ids, carried.pop(current, None))
            current, openid, ids = user_id, row_openid, []
        if deadline_id not in ids:
            ids.append(deadline_id)
    if current is not None:
        yield current, openid, _with_carried(ids, carried.pop(current, None))
    for user_id, (carried_openid, carried_ids) in sorted(carried.items()):
        yield user_id, carried_openid, carried_ids


def _with_carried(ids: list[int], carried: tuple[str | None, list[int]] | None) -> list[int]:
    return ids + [i for i in carried[1] if i not in ids] if carried else ids


def _carry_unsent(session: Session, today: dt.date) -> dict[int, tuple[str | None, list[int]]]:
    """Digests of earlier runs that never left (a crash, then the machine was off) are folded into
    today's, for deadlines still open, and marked superseded: nothing dropped, nothing doubled."""
    unsent = session.execute(
        select(Digest.id, Digest.user_id, Digest.openid, Digest.deadline_ids)
        .where(
            Digest.local_date < today,
            Digest.status == DigestStatus.TO_SEND,
            ~exists().where(Delivery.key == Digest.key),
        )
        .order_by(Digest.local_date)
    ).all()
    if not unsent:
        return {}
    all_ids = {i for row in unsent for i in row.deadline_ids}
    still_open = set(session.scalars(select(Deadline.id).where(Deadline.id.in_(all_ids), Deadline.done_at.is_(None))))
    carried: dict[int, tuple[str | None, list[int]]] = {}
    for row in unsent:
        _openid, ids = carried.get(row.user_id, (row.openid, []))
        ids += [i for i in row.deadline_ids if i in still_open and i not in ids]
        carried[row.user_id] = (row.openid, ids)
    session.execute(
        update(Digest).where(Digest.id.in_([row.id for row in unsent])).values(status=DigestStatus.SUPERSEDED)
    )
    return {user: value for user, value in carried.items() if value[1]}


def _unfollowed_openids(session: Session) -> set[str]:
    """Openids that unfollowed the account (WeChat told us, or answered 43004/43101)."""
    return set(session.scalars(select(WeChatVisitor.openid).where(WeChatVisitor.subscribed.is_(False))))


def digests_to_send(session: Session, today: dt.date, limit: int | None = None) -> list[Digest]:
    """Today's digests not yet handed to the notifier (no delivery row under their key)."""
    query = (
        select(Digest)
        .where(
            Digest.local_date == today,
            Digest.status == DigestStatus.TO_SEND,
            ~exists().where(Delivery.key == Digest.key),
        )
        .order_by(Digest.id)
    )
    return list(session.scalars(query.limit(limit) if limit else query))


@dataclass(frozen=True)
class UrgentPush:
    user_id: int
    openid: str
    deadline_id: int

    @property
    def key(self) -> str:
        return urgent_key(self.deadline_id, self.user_id)


def urgent_to_send(session: Session, since: dt.datetime) -> list[UrgentPush]:
    """Owners of urgent open deadlines opened since `since` who were not pushed them yet."""
    key = literal("urgent:") + Deadline.id.cast(String) + literal(":") + User.id.cast(String)
    query = (
        select(User.id, User.wechat_openid, Deadline.id)
        .join(KindRole, and_(KindRole.kind == Deadline.kind_code, KindRole.upper.is_(False)))
        .join(User, and_(User.region_id == Deadline.region_id, User.role == KindRole.role, User.active.is_(True)))
        .where(
            Deadline.urgent.is_(True),
            Deadline.done_at.is_(None),
            Deadline.created_at >= since,
            _reachable(User.wechat_openid),
            ~exists().where(Delivery.key == key),
        )
        .order_by(Deadline.id, User.id)
    )
    return [UrgentPush(*row) for row in session.execute(query)]


# WeChat's value limits by field type (subscription notifications; template messages since 2023).
FIELD_LIMITS = {
    "thing": 20,
    "phrase": 5,
    "name": 10,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "car_number": 8,
}


def fit_field(field_name: str, value: str) -> str:
    """`value` cut to what WeChat accepts in a field of this name's type (thing1 → 20 chars)."""
    kind = field_name.rstrip("0123456789")
    limit = FIELD_LIMITS.get(kind)
    if limit is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…" if kind == "thing" else value[:limit]


REMINDER_TEXT = "【待办提醒】{task}\n截止：{due}（{status}），{count}\n查看：{url}"


@dataclass(frozen=True)
class Message:
    """The parts of a reminder, before they are mapped to a template's fields."""

    task: str
    due: str
    status: str
    count: str

    def fields(self, names: dict[str, str]) -> dict[str, str]:
        """{WeChat field: value}, for the configured field `names` ({"task": "thing1", …})."""
        values = {"task": self.task, "due": self.due, "status": self.status, "count": self.count}
        return {field: fit_field(field, values[part]) for part, field in names.items()}

    def text(self, url: str) -> str:
        """The reminder as one customer-service message, when no template is configured."""
        return REMINDER_TEXT.format(task=self.task, due=self.due, status=self.status, count=self.count, url=url)


def state_text(due_on: dt.date, today: dt.date) -> str:
    days = (due_on - today).days
    if days < 0:
        return f"逾期{-days}天"
    return "今天截止" if days == 0 else f"剩{days}天"


def digest_message(session: Session, digest: Digest, today: dt.date) -> Message:
    """What one digest says: its most urgent task, its date and state, and how many in all."""
    top = session.get(Deadline, digest.deadline_ids[0])
    task = f"{top.title}（{top.place}）"
    return Message(
        task=task,
        due=top.due_on.strftime("%Y年%m月%d日"),
        status=state_text(top.due_on, today),
        count=f"共{digest.item_count}项待办",
    )


def urgent_message(deadline: Deadline, today: dt.date) -> Message:
    return Message(
        task=f"{deadline.title}（{deadline.place}）",
        due=deadline.due_on.strftime("%Y年%m月%d日"),
        status=state_text(deadline.due_on, today),
        count="紧急",
    )


NOT_BOUND = "未绑定微信"
UNFOLLOWED = "已取消关注公众号"
REFUSED_REMINDERS = "对方拒收此类通知"


def unreachable_staff(session: Session, user_condition, reminder_template_id: str | None) -> list[tuple[User, str]]:
    """Active staff (within `user_condition`) whom reminders cannot reach, with the reason: no
    WeChat bound, the account unfollowed, or the reminder template refused (订阅通知)."""
    unfollowed = User.wechat_openid.in_(select(WeChatVisitor.openid).where(WeChatVisitor.subscribed.is_(False)))
    refused_reminders = refused(User.wechat_openid, reminder_template_id) if reminder_template_id else false()
    query = (
        select(User, unfollowed, refused_reminders)
        .where(
            user_condition,
            User.active.is_(True),
            or_(User.wechat_openid.is_(None), unfollowed, refused_reminders),
        )
        .order_by(User.region_id, User.id)
    )
    return [
        (user, NOT_BOUND if user.wechat_openid is None else UNFOLLOWED if gone else REFUSED_REMINDERS)
        for user, gone, _refused in session.execute(query)
    ]


def unreachable_owners(
    session: Session, deadlines: list[Deadline], reminder_template_id: str | None
) -> dict[int, list[tuple[User, str]]]:
    """The owners of each deadline whom its reminders cannot reach, with the reason (only the
    deadlines that have any)."""
    if not deadlines:
        return {}
    people = unreachable_staff(
        session, User.region_id.in_({deadline.region_id for deadline in deadlines}), reminder_template_id
    )
    found: dict[int, list[tuple[User, str]]] = {}
    for deadline in deadlines:
        roles = {kind_role.role for kind_role in deadline.kind.roles if not kind_role.upper}
        owners = [
            (user, reason)
            for user, reason in people
            if user.region_id == deadline.region_id
            and user.role in roles
            and deadline.department_id in (None, user.department_id)
        ]
        if owners:
            found[deadline.id] = owners
    return found
