"""Reference data that ships with the product: asset sub-types and the departments owning them.

Data, not code: a district can change inspection intervals and departments in the database.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assets.entities import AssetClass, AssetSubtype
from models.people import Department
from models.regions import Region

PUBLIC, OPERATING, HOUSEHOLD = AssetClass.PUBLIC_BENEFIT, AssetClass.OPERATING, AssetClass.HOUSEHOLD

# (sub-type, class, inspection interval in days, owning department)
SUBTYPES: list[tuple[str, AssetClass, int, str]] = [
    ("道路交通", PUBLIC, 30, "交通运输局"),
    ("农田水利", PUBLIC, 30, "水利局"),
    ("供水饮水", PUBLIC, 7, "水利局"),
    ("环卫公厕", PUBLIC, 14, "住房和城乡建设局"),
    ("教育", PUBLIC, 30, "教育局"),
    ("文化", PUBLIC, 30, "文化广电体育和旅游局"),
    ("体育", PUBLIC, 30, "文化广电体育和旅游局"),
    ("卫生", PUBLIC, 30, "卫生健康局"),
    ("电力", PUBLIC, 30, "发展和改革局"),
    ("农林牧渔业产业基地", OPERATING, 30, "农业农村局"),
    ("生产加工设施", OPERATING, 30, "工业和信息化局"),
    ("旅游设施", OPERATING, 30, "文化广电体育和旅游局"),
    ("经营性电商服务设施", OPERATING, 30, "商务局"),
    ("经营性冷藏存储设施", OPERATING, 30, "农业农村局"),
    ("光伏电站", OPERATING, 30, "发展和改革局"),
    ("权益性资产", OPERATING, 90, "农业农村局"),
    ("到户类", HOUSEHOLD, 180, "乡村振兴局"),
]


def all_subtypes(session: Session) -> list[AssetSubtype]:
    """Every sub-type, in the order they were made (the shipped order)."""
    return list(session.scalars(select(AssetSubtype).order_by(AssetSubtype.id)))


def ensure_subtypes(session: Session) -> dict[str, AssetSubtype]:
    """Create the shipped sub-types that are missing; return all by name."""
    existing = {s.name: s for s in session.scalars(select(AssetSubtype))}
    for name, asset_class, interval, _department in SUBTYPES:
        if name not in existing:
            subtype = AssetSubtype(name=name, asset_class=asset_class, inspection_interval_days=interval)
            session.add(subtype)
            existing[name] = subtype
    session.flush()
    return existing


def ensure_departments(session: Session, district: Region) -> list[Department]:
    """Give a district the shipped departments it lacks, each owning its shipped sub-types."""
    subtypes = ensure_subtypes(session)
    current = {d.name: d for d in session.scalars(select(Department).where(Department.district_id == district.id))}
    created: set[str] = set()
    for subtype_name, _class, _interval, department_name in SUBTYPES:
        if department_name not in current:
            current[department_name] = Department(district_id=district.id, name=department_name)
            session.add(current[department_name])
            created.add(department_name)
        if department_name in created:
            current[department_name].subtypes.append(subtypes[subtype_name])
    session.flush()
    return list(current.values())
