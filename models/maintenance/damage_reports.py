"""Damage reports (损毁报告): who is told at once, and the repair they ask for.

The custodian body is the asset's village: its custodians and clerks. The town is its officials.
Only those with a bound WeChat who still follow the account can be reached; the reporter knows.
A report opens a repair task; staff arrange it (安排维修: who, by when), and the next repair
record of the asset closes it (已修复).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models import audit
from models.access import require_can_arrange_repair
from models.assets.entities import Asset
from models.errors import Invalid
from models.maintenance.entities import MaintenanceRecord, RepairTask
from models.maintenance.operations import MAINTENANCE_ENTITY
from models.people import Role, User
from models.wechat.entities import WeChatVisitor

CUSTODIAN_BODY = (Role.CUSTODIAN, Role.VILLAGE_CLERK)


def damage_report_recipients(session: Session, asset: Asset, reporter_id: int | None) -> list[User]:
    """Active staff to push a damage report of `asset` to, the reporter left out."""
    unfollowed = select(WeChatVisitor.openid).where(WeChatVisitor.subscribed.is_(False))
    return list(
        session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.wechat_openid.is_not(None),
                User.wechat_openid.not_in(unfollowed),
                User.id != (reporter_id or 0),
                or_(
                    and_(User.role.in_(CUSTODIAN_BODY), User.region_id == asset.village_id),
                    and_(User.role == Role.TOWN_OFFICIAL, User.region_id == asset.town_id),
                ),
            )
            .order_by(User.id)
        )
    )


# -- the repair a damage report asks for ---------------------------------------------------------


REPAIRERS = (Role.CUSTODIAN, Role.VILLAGE_CLERK)  # village staff who record the repair that closes it
MAX_ARRANGE_DAYS = 365


def repair_of(session: Session, report: MaintenanceRecord) -> RepairTask | None:
    """The repair task the damage report `report` opened (None for other records)."""
    return session.scalar(select(RepairTask).where(RepairTask.opened_by_id == report.id))


def reports_repaired_by(session: Session, record: MaintenanceRecord) -> list[MaintenanceRecord]:
    """The damage reports whose repair task the repair record `record` closed."""
    return list(
        session.scalars(
            select(MaintenanceRecord)
            .join(RepairTask, RepairTask.opened_by_id == MaintenanceRecord.id)
            .where(RepairTask.closed_by_id == record.id)
            .order_by(MaintenanceRecord.id)
        )
    )


def repairers(session: Session, asset: Asset) -> list[User]:
    """Whom a repair of `asset` can be given to: the village's active custodians and clerks."""
    return list(
        session.scalars(
            select(User)
            .where(User.active.is_(True), User.region_id == asset.village_id, User.role.in_(REPAIRERS))
            .order_by(User.role, User.id)
        )
    )


def arrange_repair(
    session: Session,
    actor: User,
    task: RepairTask,
    *,
    assignee_id: int | None,
    due_on: dt.date | None,
    today: dt.date,
    now: dt.datetime,
) -> RepairTask:
    """安排维修: who repairs it and by when (arranged again as often as needed, until repaired)."""
    asset = session.get_one(Asset, task.asset_id)
    require_can_arrange_repair(actor, asset)
    if task.closed_at is not None:
        raise Invalid({"repair": "这项损毁已经修复，不用再安排。"})
    errors = {}
    assignee = next((user for user in repairers(session, asset) if user.id == assignee_id), None)
    if assignee is None:
        errors["assignee"] = "请从本村管护员和村干部中选择维修负责人。"
    if due_on is None:
        errors["due_on"] = "请填写修好的期限。"
    elif not today <= due_on <= today + dt.timedelta(days=MAX_ARRANGE_DAYS):
        errors["due_on"] = f"期限应在今天到{MAX_ARRANGE_DAYS}天之内。"
    if errors:
        raise Invalid(errors)
    before = [task.assignee.name if task.assignee else None, task.due_on.isoformat()]
    task.assignee, task.due_on, task.arranged_at = assignee, due_on, now
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=MAINTENANCE_ENTITY,
        entity_id=task.opened_by_id,
        action="arrange_repair",
        changes={"repairer": [before[0], assignee.name], "due_on": [before[1], due_on.isoformat()]},
        now=now,
    )
    return task
