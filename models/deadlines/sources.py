"""The deadlines other features imply, kept in step with them: complaint time limits, repair
time limits, overdue inspections and the end of public notices.

`sync_deadlines` reads what is open in each feature, opens one `Deadline` per open thing (keyed by
its source, so running it every tick changes nothing twice) and closes the open ones whose source
is resolved. The reminder jobs then treat them like the calendar's tasks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assets.entities import Asset
from models.complaints.queries import DueLimit, LimitKind, open_limits
from models.deadlines.entities import Deadline
from models.deadlines.operations import close_deadline, open_deadline
from models.maintenance.entities import RepairTask
from models.maintenance.queries import overdue_inspections
from models.notices.entities import OPEN_OUTCOMES, PublicNotice
from models.regions import Region

# Why a synced deadline was closed, by kind (its evidence).
RESOLVED = {
    "complaint_limit": "反映已受理或已答复",
    "complaint_reopened": "重新办理的反映已答复",
    "repair_limit": "已录入维修记录",
    "inspection_overdue": "已录入管护记录",
    "notice_end": "公示结果已确定或公示已撤回",
    "objection_limit": "公示异议已受理或已答复",
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
    wanted = {
        item.key: item
        for item in [
            *_complaint_limits(session),
            *_repair_tasks(session),
            *_overdue_inspections(session, now, timezone),
            *_running_notices(session, today),
        ]
    }
    known = _existing_keys(session, list(wanted))
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
    stale = session.scalars(
        select(Deadline.key).where(
            Deadline.kind_code.in_(list(RESOLVED)), Deadline.done_at.is_(None), Deadline.source.is_not(None)
        )
    ).all()
    closed = 0
    for key in stale:
        if key not in wanted:
            close_deadline(session, key, RESOLVED[key.split(":", 1)[0]], now)
            closed += 1
    return SyncResult(opened, closed)


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    """Keys already opened (done or not: a deadline marked done by hand is not reopened)."""
    found: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        found.update(session.scalars(select(Deadline.key).where(Deadline.key.in_(keys[start : start + KEY_CHUNK]))))
    return found


def _complaint_limits(session: Session) -> list[Wanted]:
    """Each open complaint's limits; a reopened one (不满意) is the town's, one round per reopening."""
    items = []
    for limit in open_limits(session, dt.date.max):
        complaint = limit.complaint
        if complaint.notice_id is not None:
            items.append(_objection_limit(limit))
            continue
        village = complaint.asset.village
        if limit.limit is LimitKind.ACCEPT:
            items.append(
                Wanted(
                    "complaint_limit",
                    f"complaint:{complaint.id}:accept",
                    village,
                    limit.due_on,
                    f"受理群众反映：{complaint.asset.name}",
                )
            )
        elif complaint.town_handles:
            items.append(
                Wanted(
                    "complaint_reopened",
                    f"complaint:{complaint.id}:answer:{complaint.reopened_count}",
                    village.parent,
                    limit.due_on,
                    f"重新答复群众反映：{complaint.asset.name}",
                )
            )
        else:
            items.append(
                Wanted(
                    "complaint_limit",
                    f"complaint:{complaint.id}:answer:0",
                    village,
                    limit.due_on,
                    f"答复群众反映：{complaint.asset.name}",
                )
            )
    return items


def _objection_limit(limit: DueLimit) -> Wanted:
    """An objection to a notice is the town's from the start: to accept, then to answer."""
    objection, step = limit.complaint, "accept" if limit.limit is LimitKind.ACCEPT else "answer"
    source = f"complaint:{objection.id}:{step}" + ("" if step == "accept" else f":{objection.reopened_count}")
    action = "受理" if step == "accept" else "答复"
    town = objection.notice.village.parent
    return Wanted("objection_limit", source, town, limit.due_on, f"{action}公示异议：{objection.notice.title}")


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
