"""Opening, closing and marking deadlines done (with evidence and an audit entry)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from models import audit
from models.deadlines.calendar import ensure_kinds
from models.deadlines.entities import ENTITY, Deadline, DeadlineKind
from models.deadlines.tasks import get_task
from models.errors import Forbidden, Invalid
from models.people import User
from models.regions import Region


def open_deadline(
    session: Session, *, kind: str, region: Region, due_on: dt.date, source: str, title: str, now: dt.datetime
) -> Deadline:
    """Open (once per `source`) a deadline of another feature, e.g. a complaint's time limit."""
    kinds = ensure_kinds(session)
    key = f"{kind}:{source}"
    deadline = session.scalar(select(Deadline).where(Deadline.key == key))
    if deadline is not None:
        return deadline
    deadline = Deadline(
        key=key,
        kind=kinds[kind],
        title=title[:100],
        district_id=region.own_district_id,
        region_id=region.id,
        upper_region_id=_upper_region_id(kinds[kind], region),
        source=source,
        due_on=due_on,
        urgent=kinds[kind].urgent,
        created_at=now,
    )
    session.add(deadline)
    session.flush()
    audit.record(
        session,
        actor=None,
        entity_type=ENTITY,
        entity_id=deadline.id,
        action="open",
        changes={"kind": kind, "due_on": due_on.isoformat(), "source": source},
        now=now,
        first=True,
    )
    return deadline


def _upper_region_id(kind: DeadlineKind, region: Region) -> int | None:
    """Where the level up is told: the region above, or the same one when the escalation role
    works at this level (an overdue inspection goes to the same village's clerk)."""
    upper = [r.role for r in kind.roles if r.upper]
    if upper and upper[0].region_level is region.level:
        return region.id
    return region.parent_id


def move_deadline(session: Session, deadline_id: int, due_on: dt.date, now: dt.datetime) -> None:
    """Move an open deadline of another feature to the date its source now says (audited)."""
    deadline = session.get_one(Deadline, deadline_id)
    before = deadline.due_on
    deadline.due_on = due_on
    session.flush()
    audit.record(
        session,
        actor=None,
        entity_type=ENTITY,
        entity_id=deadline.id,
        action="move",
        changes={"due_on": [before.isoformat(), due_on.isoformat()]},
        now=now,
    )


def close_deadline(session: Session, key: str, record: str, now: dt.datetime) -> Deadline | None:
    """Close a deadline because what it asked for is done (`sources` closes those of other features)."""
    deadline = session.scalar(select(Deadline).where(Deadline.key == key))
    if deadline is None or deadline.is_done:
        return deadline
    _finish(session, None, deadline, {"record": record}, now)
    return deadline


def mark_done(
    session: Session,
    actor: User,
    deadline_id: int,
    *,
    note: str = "",
    file_key: str = "",
    record: str = "",
    today: dt.date,
    now: dt.datetime,
) -> Deadline:
    """Mark one of the actor's own tasks done, with its evidence (a note, a file or a record)."""
    task = get_task(session, actor, deadline_id, today)
    if task.escalated:
        raise Forbidden(f"这项任务由{task.owner}负责，请督促其完成。")
    if task.closes_itself:
        raise Forbidden("这项任务随所办的事自动完成（如反映已受理、资产已修复），不能手动标记。")
    if task.deadline.is_done:
        raise Invalid({"done": "这项任务已经完成了。"})
    evidence = {
        name: value.strip()[:500]
        for name, value in (("note", note), ("file", file_key), ("record", record))
        if value and value.strip()
    }
    if not evidence:
        raise Invalid({"note": "请填写完成情况说明，或附上文件、记录。"})
    _finish(session, actor, task.deadline, evidence, now)
    return task.deadline


def _finish(
    session: Session, actor: User | None, deadline: Deadline, evidence: dict[str, str], now: dt.datetime
) -> None:
    deadline.done_at, deadline.done_by, deadline.evidence = now, actor, evidence
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=deadline.id,
        action="done",
        changes={"evidence": evidence},
        now=now,
    )
