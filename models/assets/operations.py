"""Operations on the register: add and change assets, with their audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, select
from sqlalchemy.orm import Session

from models import audit
from models.access import require_can_place, require_register_editor
from models.assets.entities import Asset, AssetFunding, AssetSubtype, FundingSource, format_wan
from models.assets.fields import FundingLine
from models.errors import DomainError, Invalid
from models.people import User
from models.regions import Region

ENTITY = "asset"


# Fields copied as they are from parsed values onto the asset.
PLAIN_FIELDS = (
    "code",
    "name",
    "asset_class",
    "project_name",
    "project_year",
    "funding_kind",
    "original_value",
    "hamlet",
    "latitude",
    "longitude",
    "owner",
    "ownership_confirmed",
    "custodian_body",
    "custodian_name",
    "custodian_phone",
    "operator",
    "status",
    "beneficiary_households",
    "beneficiary_poor_households",
    "card_on_wall",
    "disposed_on",
    "disposal_method",
    "notes",
)


class EditConflict(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__("这条资产在您编辑期间已被他人修改，请刷新后重新填写。")


def shown_value(name: str, value: Any) -> Any:
    """A field value as people read and type it (JSON-ready)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if hasattr(value, "label"):
        return value.label
    if isinstance(value, Decimal):
        return format_wan(value) if name == "original_value" else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def snapshot(asset: Asset, village: Region) -> dict[str, Any]:
    """The asset's register fields as JSON-ready display values, for diffs and the audit log."""
    values = {name: shown_value(name, getattr(asset, name)) for name in PLAIN_FIELDS}
    values["subtype"] = asset.subtype.name if asset.subtype else None
    values["village"] = village.full_name
    values["fundings"] = asset.funding_text
    return values


def planned_snapshot(values: dict[str, Any], village: Region) -> dict[str, Any]:
    """What `snapshot` will show once an asset holds these parsed values in `village`."""
    shown = {name: shown_value(name, values[name]) for name in PLAIN_FIELDS}
    shown["subtype"] = values["subtype"].name
    shown["village"] = village.full_name
    shown["fundings"] = funding_text((line.source, line.amount) for line in values["fundings"])
    return shown


def funding_text(lines: Iterable[tuple[FundingSource, Decimal | None]]) -> str:
    """资金来源 as `Asset.funding_text` shows it, from (source, amount) pairs."""
    return "、".join(AssetFunding(source=source, amount=amount).text for source, amount in lines)


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


def code_in(codes: set[str]) -> ColumnElement[bool]:
    """`Asset.code IN (…)` with the codes written into the SQL: psycopg prepares a statement run
    five times, and PostgreSQL's generic plan then keeps the sequential scan it chose while the
    table was small, which makes a large import quadratic. Pair it with the district so that the
    (district_id, code) unique index answers."""
    return Asset.code.in_(bindparam("codes", sorted(codes), expanding=True, literal_execute=True))


def create_asset(
    session: Session, actor: User | None, values: dict[str, Any], village: Region, now: dt.datetime
) -> Asset:
    """Register a new asset in `village` from parsed, valid values (see asset_fields)."""
    [asset_id] = create_assets(session, actor, [(values, village)], now)
    return session.get_one(Asset, asset_id)


def create_assets(
    session: Session, actor: User | None, items: list[tuple[dict[str, Any], Region]], now: dt.datetime
) -> list[int]:
    """Register many new assets at once (the import); returns their ids in the order given."""
    if actor is not None:
        for values, village in items:
            require_can_place(actor, village, values["subtype"].id)
    wanted = {(village.district_id, values["code"]) for values, village in items}
    same_keys = (Asset.district_id.in_({d for d, _c in wanted}), code_in({c for _d, c in wanted}))
    for district_id, code in session.execute(select(Asset.district_id, Asset.code).where(*same_keys)):
        if (district_id, code) in wanted:
            raise Invalid({"code": f"资产编号{code}已被本区另一项资产使用"})
    rows = [
        {
            **{name: values[name] for name in PLAIN_FIELDS},
            "subtype_id": values["subtype"].id,
            "village_id": village.id,
            "town_id": village.parent_id,
            "district_id": village.district_id,
            "created_at": now,
            "updated_at": now,
        }
        for values, village in items
    ]
    # Core INSERTs without RETURNING: one executemany per batch on SQLite and PostgreSQL alike
    # (ordered RETURNING falls back to one statement per row on SQLite); ids are then read by code.
    session.execute(insert(Asset.__table__), rows)
    inserted = session.execute(select(Asset.id, Asset.district_id, Asset.code).where(*same_keys))
    ids_by_key = {(district_id, code): asset_id for asset_id, district_id, code in inserted}
    ids = [ids_by_key[(village.district_id, values["code"])] for values, village in items]
    fundings = [
        {"asset_id": asset_id, "position": i, "source": line.source, "amount": line.amount}
        for asset_id, (values, _village) in zip(ids, items, strict=True)
        for i, line in enumerate(values["fundings"])
    ]
    if fundings:
        session.execute(insert(AssetFunding.__table__), fundings)
    audit.record_first_many(
        session,
        actor=actor,
        entity_type=ENTITY,
        action="create",
        now=now,
        changes_by_entity=[
            (asset_id, {k: [None, v] for k, v in planned_snapshot(values, village).items() if v not in (None, "")})
            for asset_id, (values, village) in zip(ids, items, strict=True)
        ],
    )
    return ids


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
    if values["code"] != asset.code or village.district_id != asset.district_id:
        _ensure_code_free(session, village.district_id, values["code"], asset.id)
    before = snapshot(asset, asset.village)
    after = planned_snapshot(values, village)
    changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    if not changes:
        return {}
    _apply(asset, values, village, values["subtype"])
    asset.updated_at = now
    asset.version += 1
    session.flush()
    audit.record(session, actor=actor, entity_type=ENTITY, entity_id=asset.id, action=action, changes=changes, now=now)
    return changes
