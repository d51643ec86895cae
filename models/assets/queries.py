"""Searching the register: the filters of the list page, sorted and paged, with overdue inspections marked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, not_, or_, select, tuple_
from sqlalchemy.orm import Session

from models.access import visible_assets
from models.assets.entities import Asset, AssetClass, AssetStatus
from models.maintenance.queries import inspection_overdue
from models.paging import Page, page_of
from models.people import User

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
    overdue_only: bool = False  # only assets overdue for inspection
    no_card_only: bool = False  # only assets in use whose card is not on the wall
    in_use_only: bool = False  # only assets not disposed of (在用)
    on_time_only: bool = False  # only assets in use whose inspection is not overdue
    card_only: bool = False  # only assets in use whose card is on the wall
    keeper_only: bool = False  # only assets in use whose custodian has an active account in the village
    sort: str = "code"
    page: int = 1
    per_page: int = 20


@dataclass
class RegisterPage(Page[Asset]):
    overdue_ids: set[int] = field(default_factory=set)  # of the items, those overdue for inspection


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


EQUALITY_FILTERS = {
    "town_id": Asset.town_id,
    "village_id": Asset.village_id,
    "asset_class": Asset.asset_class,
    "subtype_id": Asset.subtype_id,
    "status": Asset.status,
    "year": Asset.project_year,
}


def matching_assets(actor: User, wanted: RegisterFilter) -> Select[tuple[Asset]]:
    """The assets the actor may see that match the filter (unordered, unpaged), inspections aside."""
    return visible_assets(actor).where(*_field_conditions(wanted))


def _field_conditions(wanted: RegisterFilter) -> list[ColumnElement[bool]]:
    conditions = [column == getattr(wanted, name) for name, column in EQUALITY_FILTERS.items() if getattr(wanted, name)]
    if wanted.no_card_only:
        conditions += [Asset.card_on_wall.is_(False), Asset.status != AssetStatus.DISPOSED]
    if wanted.in_use_only or wanted.on_time_only or wanted.card_only or wanted.keeper_only:
        conditions.append(Asset.status != AssetStatus.DISPOSED)
    if wanted.card_only:
        conditions.append(Asset.card_on_wall.is_(True))
    if wanted.keeper_only:
        conditions.append(custodian_has_account())
    if wanted.custodian:
        conditions.append(Asset.custodian_name == wanted.custodian.strip())
    if wanted.text:
        pattern = f"%{_escape_like(wanted.text.strip())}%"
        conditions.append(
            or_(
                Asset.name.like(pattern, escape="\\"),
                Asset.code.like(pattern, escape="\\"),
                Asset.project_name.like(pattern, escape="\\"),
            )
        )
    return conditions


def custodian_has_account():
    """The asset's custodian (管护责任人, by phone) is an active member of staff of its village: the
    one who is reminded, and who sends photos from WeChat."""
    # Uncorrelated, so that counting a district's assets reads the staff once (a hashed subplan).
    staff = select(User.phone, User.region_id).where(User.active)
    return tuple_(Asset.custodian_phone, Asset.village_id).in_(staff)


def register_conditions(session: Session, wanted: RegisterFilter, now: dt.datetime) -> list[ColumnElement[bool]]:
    """What an asset meets to be listed for the filter, inspections included (the scope aside)."""
    conditions = _field_conditions(wanted)
    if wanted.overdue_only:
        conditions.append(inspection_overdue(session, now))
    if wanted.on_time_only:
        conditions.append(not_(inspection_overdue(session, now)))
    return conditions


def listed_assets(session: Session, actor: User, wanted: RegisterFilter, now: dt.datetime) -> Select[tuple[Asset]]:
    """What the register list shows for the filter (unordered, unpaged)."""
    return visible_assets(actor).where(*register_conditions(session, wanted, now))


def search_assets(session: Session, actor: User, wanted: RegisterFilter, now: dt.datetime) -> RegisterPage:
    """One page of the assets the actor may see that match the filter, marking overdue inspections."""
    overdue = inspection_overdue(session, now)
    query = listed_assets(session, actor, wanted, now)
    found = page_of(
        session, query, max(1, wanted.page), wanted.per_page, (SORT_KEYS.get(wanted.sort, Asset.code), Asset.id)
    )
    ids = [asset.id for asset in found.items]
    overdue_ids = set(session.scalars(select(Asset.id).where(Asset.id.in_(ids), overdue)))
    return RegisterPage(
        items=found.items, total=found.total, number=found.number, per_page=found.per_page, overdue_ids=overdue_ids
    )
