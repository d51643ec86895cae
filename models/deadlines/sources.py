"""The deadlines other features imply, kept in step with them: complaint time limits, repair
time limits, overdue inspections and the end of public notices.

`sync_deadlines` reads what is open in each feature, opens one `Deadline` per open thing (keyed by
its source, so running it every tick changes nothing twice), moves the due date when the source
moved it, and closes the open ones whose source is resolved; such a task is never closed by hand.
`sync_complaint` does the same for one complaint at once. The reminder jobs then treat them like
the calendar's tasks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from models.assets.entities import Asset
from models.complaints.entities import Complaint
from models.complaints.queries import DueLimit, LimitKind, limits_of, open_limits
from models.deadlines.entities import Deadline
from models.deadlines.operations import close_deadline, move_deadline, open_deadline
from models.maintenance.entities import RepairTask
from models.maintenance.queries import overdue_inspections
from models.notices.entities import OPEN_OUTCOMES, PublicNotice
from models.regions import Region

# Why a synced deadline was closed, by kind (its evidence).
RESOLVED = {
    "complaint_limit": "反映已受理或已答复",
    "complaint_reopened": "申诉已复核或重新办理的反映已答复",
    "repair_limit": "已录入维修记录",
    "inspection_overdue": "已录入管护记录",
    "notice_end": "公示结果已确定或公示已撤回",
    "objection_limit": "公示异议已受理、已复核或已答复",
}


KEY_CHUNK = 500


@dataclass(frozen=True)
class Wanted:
    """A deadline a feature implies right now."""

    kind: str
    source: str
    region: Region
    due_on: dt.date
    title: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.source}"


@dataclass(frozen=True)
class SyncResult:
    opened: int
    closed: int


def sync_deadlines(session: Session, now: dt.datetime, timezone: str) -> SyncResult:
    """Open the deadlines the features imply and close those whose source is resolved."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    wanted = [
        *(_complaint_wanted(limit) for limit in open_limits(session, dt.date.max)),
        *_repair_tasks(session),
        *_overdue_inspections(session, now, timezone),
        *_running_notices(session, today),
    ]
    open_keys = select(Deadline.key).where(
        Deadline.kind_code.in_(list(RESOLVED)), Deadline.done_at.is_(None), Deadline.source.is_not(None)
    )
    return _apply(session, wanted, open_keys, now)


def sync_complaint(session: Session, complaint: Complaint, now: dt.datetime) -> SyncResult:
    """Keep one complaint's deadlines in step at once (the doors call it after each step, so that
    accepting a complaint closes its task then and there, not at the next tick)."""
    wanted = [_complaint_wanted(limit) for limit in limits_of(complaint)]
    open_keys = select(Deadline.key).where(
        Deadline.source.like(f"complaint:{complaint.id}:%"), Deadline.done_at.is_(None)
    )
    return _apply(session, wanted, open_keys, now)


def _apply(session: Session, items: list[Wanted], open_keys: Select[tuple[str]], now: dt.datetime) -> SyncResult:
    """Open the `items` not opened yet, move the due date of open ones whose source moved it (a
    repair arranged for another day), and close the `open_keys` no item wants any more."""
    wanted = {item.key: item for item in items}
    known = _existing(session, list(wanted))
    opened = 0
    for key, item in wanted.items():
        if key not in known:
            open_deadline(
                session,
                kind=item.kind,
                region=item.region,
                due_on=item.due_on,
                source=item.source,
                title=item.title,
                now=now,
            )
            opened += 1
        elif known[key].done_at is None and known[key].due_on != item.due_on:
            move_deadline(session, known[key].id, item.due_on, now)
    closed = 0
    for key in session.scalars(open_keys).all():
        if key not in wanted:
            close_deadline(session, key, RESOLVED[key.split(":", 1)[0]], now)
            closed += 1
    return SyncResult(opened, closed)


def _existing(session: Session, keys: list[str]) -> dict[str, Row]:
    """(id, due_on, done_at) of the deadlines already opened under these keys, done or not (a
    deadline marked done by hand is not reopened)."""
    found: dict[str, Row] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        rows = session.execute(
            select(Deadline.key, Deadline.id, Deadline.due_on, Deadline.done_at).where(
                Deadline.key.in_(keys[start : start + KEY_CHUNK])
            )
        )
        found.update((row.key, row) for row in rows)
    return found


# A complaint's task titles, by deadline kind and step.
COMPLAINT_TITLES = {
    "complaint_limit": {"accept": "受理群众反映", "answer": "答复群众反映"},
    "complaint_reopened": {"appeal": "复核群众申诉", "answer": "重新答复群众反映"},
    "objection_limit": {"accept": "受理公示异议", "appeal": "复核公示异议的申诉", "answer": "答复公示异议"},
}


def _complaint_wanted(limit: DueLimit) -> Wanted:
    """The deadline of one limit of an open complaint. Once the town handles it (an objection to a
    notice from the start; others after 不满意, or a rejection appealed) it is the town's, one round
    per reopening."""
    complaint = limit.complaint
    town = complaint.town_handles
    if limit.limit is LimitKind.ACCEPT:
        step = "appeal" if complaint.appealed_at is not None else "accept"
    else:
        step = f"answer:{complaint.reopened_count}" if town else "answer:0"
    if complaint.notice_id is not None:
        kind, about = "objection_limit", complaint.notice.title
    else:
        kind, about = ("complaint_reopened" if town else "complaint_limit"), complaint.asset.name
    title = COMPLAINT_TITLES[kind][step.split(":")[0]]
    region = complaint.village.parent if town else complaint.village
    return Wanted(kind, f"complaint:{complaint.id}:{step}", region, limit.due_on, f"{title}：{about}")


def _repair_tasks(session: Session) -> list[Wanted]:
    rows = session.execute(
        select(RepairTask, Asset)
        .join(Asset, Asset.id == RepairTask.asset_id)
        .where(RepairTask.closed_at.is_(None))
        .order_by(RepairTask.id)
    )
    return [
        Wanted("repair_limit", f"repair:{task.id}", asset.village, task.due_on, f"维修损毁资产：{asset.name}")
        for task, asset in rows
    ]


def _overdue_inspections(session: Session, now: dt.datetime, timezone: str) -> list[Wanted]:
    """One deadline per asset and missed date: inspected, it closes; overdue again, a new one."""
    zone = ZoneInfo(timezone)
    items = []
    for asset in session.scalars(overdue_inspections(session, now).order_by(Asset.id)):
        since = asset.last_inspected_at or asset.created_at
        due_on = (since + dt.timedelta(days=asset.subtype.inspection_interval_days)).astimezone(zone).date()
        items.append(
            Wanted(
                "inspection_overdue",
                f"inspection:{asset.id}:{due_on.isoformat()}",
                asset.village,
                due_on,
                f"巡查资产：{asset.name}",
            )
        )
    return items


def _running_notices(session: Session, today: dt.date) -> list[Wanted]:
    """A started notice reminds its owner of its end, and stays open until its outcome is decided
    (while an objection is unresolved, past the end too)."""
    rows = session.execute(
        select(PublicNotice, Region)
        .join(Region, Region.id == PublicNotice.owner_region_id)
        .where(PublicNotice.outcome.in_(OPEN_OUTCOMES), PublicNotice.starts_on <= today)
        .order_by(PublicNotice.id)
    )
    return [
        Wanted("notice_end", f"notice:{notice.id}", owner, notice.ends_on, f"公示期满：{notice.title}")
        for notice, owner in rows
    ]
