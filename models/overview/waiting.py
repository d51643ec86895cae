"""What is waiting for a person (the home page's first section).

The section is a list of sources, `SOURCES`: each is a function `(Context) -> Waiting | None` that
asks one domain what it holds for this person, and answers a group with a title, how many, the
first few entries (each linking to its subject) and the filtered list that shows them all — or
None when it holds nothing for them. A feature that makes people wait for something (signing an
evaluation, say) adds one such function to `SOURCES`; the page shows whatever the sources answer.
Links are drawn by the web door: an entry's `Subject` by `web/deadlines.SUBJECT_PAGES`, a group's
list by `web/overview.list_url` (a new kind of subject or list page is named there too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from models.access import COMPLAINT_HANDLERS, REVIEWERS
from models.assets.entities import Asset
from models.assets.queries import RegisterFilter, listed_assets
from models.complaints.entities import Complaint
from models.complaints.queries import InboxFilter, Todo, visible_complaints
from models.deadlines.tasks import ASSETS_NEEDING_CARE, Subject, Task, open_tasks_for
from models.evaluations.overview import awaiting_signature
from models.maintenance.entities import MaintenanceRecord
from models.maintenance.queries import RecordFilter, Shown, listed_records
from models.notices.entities import PublicNotice
from models.paging import count_of
from models.people import User
from models.regions import RegionLevel

SHOWN = 5  # entries shown per group; the group's link lists them all
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Context:
    session: Session
    user: User
    now: dt.datetime
    today: dt.date
    timezone: str


class MyTasks:
    """The list behind the tasks group: the person's 我的任务 page."""


# The list page that shows a whole group, by the filter it is shown with.
ListFilter = RegisterFilter | InboxFilter | RecordFilter | type[MyTasks]


@dataclass(frozen=True)
class Entry:
    text: str
    note: str  # when it is due, why it waits, or where (may be empty)
    late: bool
    subject: Subject | None  # None: the group's list is its page


@dataclass(frozen=True)
class Waiting:
    title: str
    count: int
    entries: list[Entry]
    everything: ListFilter


Source = Callable[[Context], "Waiting | None"]


def waiting_for(context: Context) -> list[Waiting]:
    """Every source's group that holds something for the person, in the order of `SOURCES`."""
    if not context.user.active:
        return []
    return [group for source in SOURCES if (group := source(context)) is not None and group.count]


def tasks_due(context: Context) -> Waiting | None:
    """Own and escalated deadlines due within a week or overdue, most urgent first."""
    due = [
        task for task in open_tasks_for(context.session, context.user, context.today) if task.days_left <= DUE_SOON_DAYS
    ]
    entries = [Entry(_task_text(task), task.state, task.days_left < 0, task.subject) for task in due[:SHOWN]]
    return Waiting(f"任务：{DUE_SOON_DAYS}天内到期和已逾期", len(due), entries, MyTasks)


def _task_text(task: Task) -> str:
    return f"{task.deadline.title}（{task.owner}）" if task.escalated else task.deadline.title


def complaints_to_accept(context: Context) -> Waiting | None:
    return _complaints(context, Todo.ACCEPT, "群众反映待受理", "accept_due_on")


def complaints_to_answer(context: Context) -> Waiting | None:
    return _complaints(context, Todo.ANSWER, "群众反映待答复", "answer_due_on")


def _complaints(context: Context, todo: Todo, title: str, due: str) -> Waiting | None:
    if context.user.role not in COMPLAINT_HANDLERS:
        return None
    wanted = InboxFilter(todo=todo, timezone=context.timezone)
    query = visible_complaints(context.user).where(*wanted.conditions(context.user, context.today, context.today.year))
    due_on = getattr(Complaint, due)
    # What it is about, as Complaint.about names it: the asset, or the notice objected to.
    notice = select(literal("公示：") + PublicNotice.title).where(PublicNotice.id == Complaint.notice_id)
    about = func.coalesce(Asset.name, notice.scalar_subquery())
    # Only the columns an entry shows: loading whole complaints drags in their steps and photos.
    columns = query.with_only_columns(Complaint.id, Complaint.tracking_number, about, due_on)
    first = context.session.execute(columns.order_by(due_on, Complaint.id).limit(SHOWN))
    entries = [
        Entry(f"{number} {what}", _due_text(day), day < context.today, Subject("complaint", complaint_id, todo.label))
        for complaint_id, number, what, day in first
    ]
    return Waiting(title, count_of(context.session, query), entries, wanted)


def _due_text(day: dt.date) -> str:
    return f"期限{day.month}月{day.day}日"


def records_to_review(context: Context) -> Waiting | None:
    """Records whose photos raised a doubt (recycled, far away …) and nobody has marked doubtful."""
    if context.user.role not in REVIEWERS:
        return None
    wanted = RecordFilter(shown=Shown.TO_REVIEW, timezone=context.timezone)
    query = listed_records(context.user, wanted, context.today)
    first = context.session.execute(
        query.with_only_columns(
            MaintenanceRecord.id, Asset.name, MaintenanceRecord.kind, MaintenanceRecord.flags
        ).limit(SHOWN)
    )
    entries = [
        Entry(f"{name} · {kind.label}", f"{len(flags)}处疑点", False, Subject("record", record_id, "去核实"))
        for record_id, name, kind, flags in first
    ]
    return Waiting("管护记录待核实", count_of(context.session, query), entries, wanted)


def evaluations_to_sign(context: Context) -> Waiting | None:
    """The village's evaluations the person signs for their post (村务监督委员会主任 or 合作社监事会主任)."""
    evaluations = awaiting_signature(context.session, context.user)
    if not evaluations:
        return None
    note = f"待您以{context.user.village_post.label}签字"
    entries = [
        Entry(f"{e.year}年度{e.stage.label}", note, False, Subject("evaluation", e.id, "去签字"))
        for e in evaluations[:SHOWN]
    ]
    return Waiting("考评待签字", len(evaluations), entries, MyTasks)


def assets_needing(label: str, wanted: RegisterFilter) -> Source:
    """A source of the assets in the person's scope that the register's filter `wanted` lists."""

    def source(context: Context) -> Waiting:
        query = listed_assets(context.session, context.user, wanted, context.now)
        first = context.session.scalars(query.order_by(Asset.code).limit(SHOWN))
        in_village = context.user.role.region_level is RegionLevel.VILLAGE
        where = (lambda asset: asset.hamlet or "") if in_village else (lambda asset: asset.village.name)
        entries = [Entry(f"{asset.code} {asset.name}", where(asset), False, _asset(asset)) for asset in first]
        return Waiting(label, count_of(context.session, query), entries, wanted)

    return source


def _asset(asset: Asset) -> Subject:
    return Subject("asset", asset.id, "查看资产")


SOURCES: list[Source] = [
    tasks_due,
    complaints_to_accept,
    complaints_to_answer,
    records_to_review,
    evaluations_to_sign,
    *(assets_needing(label, wanted) for label, wanted in ASSETS_NEEDING_CARE),
]
