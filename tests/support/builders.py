"""Builders for test data: a county, staff of any role, assets with sensible defaults."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assets.entities import Asset, AssetSubtype
from models.assets.fields import parse_asset_fields
from models.assets.operations import create_asset
from models.catalog import ensure_subtypes
from models.clock import FixedClock
from models.people import Department, Role, User, create_user
from models.regions import Region, RegionLevel, add_region

TOWNS = {
    "青山镇": ["石桥村", "竹林村", "上坪村", "下湾村"],
    "河湾镇": ["清水村", "新塘村", "榕树村", "大岭村"],
    "云岭乡": ["云岭村", "白沙村", "高峰村", "平安社区"],
}
PASSWORD = "password-123"


@dataclass
class County:
    district: Region
    towns: dict[str, Region] = field(default_factory=dict)
    villages: dict[str, Region] = field(default_factory=dict)


class Builders:
    def __init__(self, session: Session, clock: FixedClock):
        self.session = session
        self.clock = clock
        self._numbers = itertools.count(1)

    def county(self, name: str = "示范区") -> County:
        county = County(district=add_region(self.session, name, RegionLevel.DISTRICT, None))
        for town_name, village_names in TOWNS.items():
            town = add_region(self.session, town_name, RegionLevel.TOWN, county.district)
            county.towns[town_name] = town
            for village_name in village_names:
                county.villages[village_name] = add_region(self.session, village_name, RegionLevel.VILLAGE, town)
        return county

    def user(self, role: Role, region: Region, department: str | None = None, **fields: Any) -> User:
        number = next(self._numbers)
        dept = None
        if department:
            dept = self.session.scalar(
                select(Department).where(
                    Department.name == department, Department.district_id == region.own_district_id
                )
            )
        return create_user(
            self.session,
            phone=fields.get("phone", f"139{number:08d}"),
            name=fields.get("name", f"测试{role.label}{number}"),
            password=PASSWORD,
            role=role,
            region=region,
            department=dept,
            village_post=fields.get("village_post"),
            now=self.clock.now(),
        )

    def raw_asset(self, **overrides: Any) -> dict[str, Any]:
        """Raw field values (as a form or spreadsheet gives them) for a valid public-benefit asset."""
        number = next(self._numbers)
        raw = {
            "code": f"T{number:06d}",
            "name": f"测试道路{number}",
            "asset_class": "公益性",
            "subtype": "道路交通",
            "project_name": "2022年道路硬化项目",
            "project_year": "2022",
            "original_value": "18.3",
            "fundings": "衔接推进乡村振兴补助资金",
            "owner": "村民委员会",
            "custodian_body": "村民委员会",
            "custodian_name": "莫文华",
            "custodian_phone": "13800131318",
            "status": "正常",
            "beneficiary_households": "120",
            "card_on_wall": "是",
        }
        raw.update(overrides)
        return raw

    def asset(self, village: Region, actor: User | None = None, **overrides: Any) -> Asset:
        subtypes = {s.name: s for s in self.session.scalars(select(AssetSubtype))} or ensure_subtypes(self.session)
        values, errors = parse_asset_fields(self.raw_asset(**overrides), subtypes)
        assert not errors, errors
        return create_asset(self.session, actor, values, village, self.clock.now())
