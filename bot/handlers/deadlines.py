"""我的任务: what a staff member should see to. Each kind of task is one registered source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wechatpy.messages import BaseMessage

from bot.replies import STAFF_ONLY, Reply
from bot.router import Context, router
from models.access import visible_assets
from models.assets.entities import Asset, AssetStatus
from models.deadlines.tasks import open_tasks_for
from models.people import User

NOTHING_TO_DO = "{name}您好，目前没有要处理的事。"
TASKS_HEADER = "{name}您好，要处理的事："
NAMES_SHOWN = 3
DEADLINES_SHOWN = 8  # a text reply stays short; the web page lists them all
MORE_DEADLINES = "另有{count}项，请在网页“我的任务”中查看"

TaskSource = Callable[[Session, User, dt.date], list[str]]
_sources: list[TaskSource] = []


def task_source(source: TaskSource) -> TaskSource:
    """Register a source of task lines."""
    _sources.append(source)
    return source


@task_source
def deadlines(session: Session, user: User, today: dt.date) -> list[str]:
    """Open deadlines (own ones, and overdue ones of the level below), most urgent first."""
    tasks = open_tasks_for(session, user, today)
    lines = [
        f"【督办】{task.deadline.title}（{task.deadline.place}，{task.state}）"
        if task.escalated
        else f"{task.deadline.title}（{task.state}）"
        for task in tasks[:DEADLINES_SHOWN]
    ]
    if len(tasks) > DEADLINES_SHOWN:
        lines.append(MORE_DEADLINES.format(count=len(tasks) - DEADLINES_SHOWN))
    return lines


def _summary(session: Session, user: User, label: str, *conditions) -> list[str]:
    query = visible_assets(user).where(*conditions)
    count = session.scalar(select(func.count()).select_from(query.subquery()))
    if not count:
        return []
    names = session.scalars(query.with_only_columns(Asset.name).order_by(Asset.code).limit(NAMES_SHOWN))
    more = "等" if count > NAMES_SHOWN else ""
    return [f"{label}{count}处：{'、'.join(names)}{more}"]


@task_source
def damaged_assets(session: Session, user: User, _today: dt.date) -> list[str]:
    return _summary(session, user, "资产损毁待修", Asset.status == AssetStatus.DAMAGED)


@task_source
def cards_not_on_wall(session: Session, user: User, _today: dt.date) -> list[str]:
    return _summary(
        session,
        user,
        "资产卡未上墙",
        Asset.card_on_wall.is_(False),
        Asset.status != AssetStatus.DISPOSED,
    )


@router.command("我的任务", "任务")
@router.click("MY_TASKS")
def my_tasks(message: BaseMessage, ctx: Context) -> Reply:
    staff = ctx.staff()
    if staff is None:
        return STAFF_ONLY
    lines = [line for source in _sources for line in source(ctx.session, staff, ctx.today)]
    if not lines:
        return NOTHING_TO_DO.format(name=staff.name)
    return "\n".join([TASKS_HEADER.format(name=staff.name), *lines])
