"""Targets (绩效目标, seed 000 五(一)): each industry department marks which assets of its trade in
each village enter the year's evaluation (by Jan 25); the district office issues (下达) every
village's targets — the sheets and the target values its evidence is measured against (by Jan 31)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import audit
from models.access import asset_scope, region_in_scope, require_target_issuer
from models.assets.entities import Asset
from models.deadlines.operations import close_deadline
from models.errors import Forbidden, Invalid, NotFound
from models.evaluations.entities import EVALUATED_CLASSES, EvaluatedAsset, VillageTarget
from models.evaluations.rules import DEFAULT_TARGETS, TARGET_LABELS
from models.evaluations.sheets import ensure_sheets
from models.people import Role, User
from models.regions import Region, RegionLevel

ENTITY = "evaluation_targets"


def mark_assets(
    session: Session, actor: User, village: Region, year: int, asset_ids: set[int], now: dt.datetime
) -> int:
    """The actor's trade's assets of `village` entering `year`'s evaluation are exactly `asset_ids`
    (a department sees only its trades; the district office all). Returns how many are marked."""
    if not actor.active or not region_in_scope(actor, village) or village.level is not RegionLevel.VILLAGE:
        raise NotFound()
    if actor.role not in (Role.DEPARTMENT, Role.DISTRICT_ADMIN):
        raise Forbidden("只有行业主管部门和区乡村振兴局可以确定纳入评价的资产。")
    own = set(
        session.scalars(
            select(Asset.id).where(
                asset_scope(actor), Asset.village_id == village.id, Asset.asset_class.in_(EVALUATED_CLASSES)
            )
        )
    )
    if asset_ids - own:
        raise Invalid({"assets": "只能选择本部门主管、本村的公益性和经营性资产。"})
    session.execute(
        delete(EvaluatedAsset).where(EvaluatedAsset.year == year, EvaluatedAsset.asset_id.in_(own - asset_ids))
    )
    already = set(
        session.scalars(
            select(EvaluatedAsset.asset_id).where(EvaluatedAsset.year == year, EvaluatedAsset.asset_id.in_(asset_ids))
        )
    )
    session.add_all(
        EvaluatedAsset(year=year, asset_id=asset_id, village_id=village.id, marked_by_id=actor.id, marked_at=now)
        for asset_id in sorted(asset_ids - already)
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=village.id,
        action="mark_assets",
        now=now,
        changes={"年度": year, "资产": sorted(asset_ids)},
    )
    return len(asset_ids)


def confirm_trade_list(session: Session, actor: User, year: int, now: dt.datetime) -> None:
    """A department says its list for `year` is complete: its task (Jan 25) is done."""
    if not actor.active or actor.role is not Role.DEPARTMENT or actor.department_id is None:
        raise Forbidden("只有行业主管部门确认本行业纳入评价的资产清单。")
    close_deadline(session, f"trade_asset_list:{year}:d{actor.department_id}", f"evaluated_assets:{year}", now)


def parse_targets(form: dict[str, str]) -> dict[str, int]:
    """Target values as a form gives them: whole percentages 0–100."""
    values, errors = {}, {}
    for name, label in TARGET_LABELS.items():
        text = (form.get(name) or str(DEFAULT_TARGETS[name])).strip()
        if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= 100:
            errors[name] = f"{label}应为0到100之间的整数。"
        else:
            values[name] = int(text)
    if errors:
        raise Invalid(errors)
    return values


def issue_targets(
    session: Session, actor: User, year: int, values: dict[str, Any], now: dt.datetime
) -> list[VillageTarget]:
    """Issue (下达) the targets of every village of the actor's district for `year` (again: the new
    values replace the old, except a village's own, set for it alone); the district's task is done.
    Returns the villages' targets."""
    require_target_issuer(actor)
    district = actor.region
    ensure_sheets(session, district, year, now)
    villages = session.scalars(
        select(Region).where(Region.district_id == district.id, Region.level == RegionLevel.VILLAGE)
    ).all()
    existing = {
        t.village_id: t
        for t in session.scalars(
            select(VillageTarget).where(VillageTarget.district_id == district.id, VillageTarget.year == year)
        )
    }
    targets = []
    for village in villages:
        target = existing.get(village.id) or VillageTarget(district_id=district.id, village_id=village.id, year=year)
        if target.own_values_at is None:
            target.values = dict(values)
        target.issued_at, target.issued_by_id = now, actor.id
        session.add(target)
        targets.append(target)
    session.flush()
    close_deadline(session, f"performance_targets:{year}:r{district.id}", f"targets:{year}", now)
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=district.id,
        action="issue",
        now=now,
        changes={"年度": year, "目标": dict(values), "村数": len(targets)},
    )
    return targets


def target_of(session: Session, village: Region, year: int) -> VillageTarget | None:
    return session.scalar(
        select(VillageTarget).where(VillageTarget.village_id == village.id, VillageTarget.year == year)
    )


def set_village_targets(
    session: Session, actor: User, village: Region, year: int, values: dict[str, Any], now: dt.datetime
) -> VillageTarget:
    """Give `village` its own target values for `year`, before or after the district issues them
    (issuing to all keeps them). The caller pushes the village when its issued targets changed."""
    require_target_issuer(actor)
    if village.level is not RegionLevel.VILLAGE or village.own_district_id != actor.region_id:
        raise NotFound()
    target = target_of(session, village, year) or VillageTarget(
        district_id=actor.region_id, village_id=village.id, year=year
    )
    before = dict(target.values or {})
    target.values, target.own_values_at = dict(values), now
    session.add(target)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=village.id,
        action="set_village_targets",
        now=now,
        changes={"年度": year, "村": village.full_name, "目标": [before, dict(values)]},
    )
    return target
