"""Operations on the register: add and change assets (with their audit trail), and search it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import audit
from models.access import require_can_place, require_register_editor, visible_assets
from models.asset_fields import FundingLine
from models.assets import Asset, AssetClass, AssetFunding, AssetStatus, AssetSubtype, format_wan
from models.errors import DomainError, Invalid
from models.people import User
from models.regions import Region

ENTITY = "asset"
# Fields copied as they are from parsed values onto the asset.
PLAIN_FIELDS = (
    "code", "name", "asset_class", "project_name", "project_year", "funding_kind", "original_value",
    "hamlet", "latitude", "longitude", "owner", "ownership_confirmed", "custodian_body",
    "custodian_name", "custodian_phone", "operator", "status", "beneficiary_households",
    "beneficiary_poor_households", "card_on_wall", "disposed_on", "disposal_method", "notes",
)


class EditConflict(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__("这条资产在您编辑期间已被他人修改，请刷新后重新填写。")


def snapshot(asset: Asset, village: Region) -> dict[str, Any]:
    """The asset's register fields as JSON-ready display values, for diffs and the audit log."""
    values: dict[str, Any] = {}
    for name in PLAIN_FIELDS:
        value = getattr(asset, name)
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif hasattr(value, "label"):
            value = value.label
        elif isinstance(value, Decimal):
            value = format_wan(value) if name == "original_value" else str(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        values[name] = value
    values["subtype"] = asset.subtype.name if asset.subtype else None
    values["village"] = village.full_name
    values["fundings"] = asset.funding_text
    return values


def _apply(asset: Asset, values: dict[str, Any], village: Region, subtype: AssetSubtype) -> None:
    for name in PLAIN_FIELDS:
        setattr(asset, name, values[name])
    asset.subtype = subtype
    asset.village_id = village.id
    asset.village = village
    asset.town_id = village.parent_id
    asset.district_id = village.district_id
    _set_fundings(asset, values["fundings"])


def _set_fundings(asset: Asset, lines: list[FundingLine]) -> None:
    current = [(f.source, f.amount) for f in asset.fundings]
    wanted = [(line.source, line.amount) for line in lines]
    if current != wanted:
        asset.fundings = [
            AssetFunding(position=i, source=line.source, amount=line.amount) for i, line in enumerate(lines)
        ]


def _ensure_code_free(session: Session, district_id: int, code: str, asset_id: int | None) -> None:
    taken = session.scalar(select(Asset.id).where(Asset.district_id == district_id, Asset.code == code))
    if taken is not None and taken != asset_id:
        raise Invalid({"code": f"资产编号{code}已被本区另一项资产使用"})


def create_asset(
    session: Session, actor: User | None, values: dict[str, Any], village: Region, now: dt.datetime
) -> Asset:
    """Register a new asset in `village` from parsed, valid values (see asset_fields)."""
    subtype = values["subtype"]
    if actor is not None:
        require_can_place(actor, village, subtype.id)
    _ensure_code_free(session, village.district_id, values["code"], None)
    asset = Asset(created_at=now, updated_at=now)
    _apply(asset, values, village, subtype)
    session.add(asset)
    session.flush()
    audit.record(
        session, actor=actor, entity_type=ENTITY, entity_id=asset.id, action="create",
        changes={k: [None, v] for k, v in snapshot(asset, village).items() if v not in (None, "")},
        now=now, first=True,
    )
    return asset


def update_asset(
    session: Session,
    actor: User | None,
    asset: Asset,
    values: dict[str, Any],
    village: Region,
    now: dt.datetime,
    expected_version: int | None = None,
    action: str = "update",
) -> dict[str, list[Any]]:
    """Change an asset to `values`; returns what changed (empty when nothing did)."""
    if actor is not None:
        require_register_editor(actor)
        require_can_place(actor, village, values["subtype"].id)
    if expected_version is not None and expected_version != asset.version:
        raise EditConflict()
    _ensure_code_free(session, village.district_id, values["code"], asset.id)
    old_village = asset.village
    before = snapshot(asset, old_village)
    _apply(asset, values, village, values["subtype"])
    after = snapshot(asset, village)
    changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    if not changes:
        return {}
    asset.updated_at = now
    asset.version += 1
    session.flush()
    audit.record(
        session, actor=actor, entity_type=ENTITY, entity_id=asset.id, action=action, changes=changes, now=now
    )
    return changes


SORT_KEYS = {
    "code": Asset.code,
    "-code": Asset.code.desc(),
    "name": Asset.name,
    "year": Asset.project_year,
    "-year": Asset.project_year.desc(),
    "value": Asset.original_value,
    "-value": Asset.original_value.desc(),
    "-updated": Asset.updated_at.desc(),
}


@dataclass
class RegisterFilter:
    town_id: int | None = None
    village_id: int | None = None
    asset_class: AssetClass | None = None
    subtype_id: int | None = None
    status: AssetStatus | None = None
    year: int | None = None
    custodian: str | None = None
    text: str | None = None
    sort: str = "code"
    page: int = 1
    per_page: int = 20


@dataclass
class Page:
    items: list[Asset]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_assets(session: Session, actor: User, wanted: RegisterFilter) -> Page:
    """One page of the assets the actor may see that match the filter."""
    query = visible_assets(actor)
    conditions = []
    if wanted.town_id:
        conditions.append(Asset.town_id == wanted.town_id)
    if wanted.village_id:
        conditions.append(Asset.village_id == wanted.village_id)
    if wanted.asset_class:
        conditions.append(Asset.asset_class == wanted.asset_class)
    if wanted.subtype_id:
        conditions.append(Asset.subtype_id == wanted.subtype_id)
    if wanted.status:
        conditions.append(Asset.status == wanted.status)
    if wanted.year:
        conditions.append(Asset.project_year == wanted.year)
    if wanted.custodian:
        conditions.append(Asset.custodian_name == wanted.custodian.strip())
    if wanted.text:
        pattern = f"%{_escape_like(wanted.text.strip())}%"
        conditions.append(
            or_(Asset.name.like(pattern, escape="\\"), Asset.code.like(pattern, escape="\\"),
                Asset.project_name.like(pattern, escape="\\"))
        )
    query = query.where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Asset.id).subquery()))
    order = SORT_KEYS.get(wanted.sort, Asset.code)
    page = max(1, wanted.page)
    items = list(
        session.scalars(query.order_by(order, Asset.id).limit(wanted.per_page).offset((page - 1) * wanted.per_page))
    )
    return Page(items=items, total=total or 0, page=page, per_page=wanted.per_page)
