"""The administrative hierarchy: district → town → village (hamlets are a field of the asset)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, LabelledEnum, enum_column, intpk
from models.errors import DomainError, Invalid, NotFound


class RegionLevel(LabelledEnum):
    DISTRICT = ("district", "区县")
    TOWN = ("town", "乡镇")
    VILLAGE = ("village", "村（社区）")

    @property
    def depth(self) -> int:
        return list(RegionLevel).index(self)


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[RegionLevel] = mapped_column(enum_column(RegionLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # Local supervision phone shown to villagers (set on a district or a town).
    supervision_phone: Mapped[str | None] = mapped_column(String(30))

    parent: Mapped[Region | None] = relationship(
        remote_side="Region.id", foreign_keys=[parent_id], lazy="joined", join_depth=3
    )

    def __repr__(self) -> str:
        return f"<Region {self.level.value} {self.name}>"

    @property
    def full_name(self) -> str:
        """Town + village, without the district: how people name a place."""
        names = []
        region: Region | None = self
        while region is not None and region.level is not RegionLevel.DISTRICT:
            names.append(region.name)
            region = region.parent
        return "".join(reversed(names))

    @property
    def own_district_id(self) -> int:
        """The id of the district this region lies in (its own, for a district)."""
        return self.district_id or self.id

    def ancestor(self, level: RegionLevel) -> Region | None:
        region: Region | None = self
        while region is not None and region.level is not level:
            region = region.parent
        return region

    @property
    def supervision_phone_above(self) -> str | None:
        """The local supervision phone its people are given: the nearest one set above it."""
        region = self.parent
        while region is not None:
            if region.supervision_phone:
                return region.supervision_phone
            region = region.parent
        return None


def add_region(session: Session, name: str, level: RegionLevel, parent: Region | None) -> Region:
    """Create a region under `parent` (None only for a district)."""
    name = name.strip()
    if not name:
        raise Invalid({"name": "名称不能为空。"})
    expected_parent = None if level is RegionLevel.DISTRICT else list(RegionLevel)[level.depth - 1]
    if (parent.level if parent else None) is not expected_parent:
        raise Invalid({"parent": f"{level.label}必须隶属于{expected_parent.label if expected_parent else '无上级'}。"})
    region = Region(name=name, level=level, parent=parent)
    region.district_id = None if parent is None else parent.own_district_id
    session.add(region)
    session.flush()
    return region


def children(session: Session, parent: Region) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.parent_id == parent.id).order_by(Region.id)))


def find_child(session: Session, parent: Region, name: str) -> Region | None:
    return session.scalar(select(Region).where(Region.parent_id == parent.id, Region.name == name.strip()))


def districts(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)))


class Ambiguous(DomainError):
    """A name that fits several regions: the caller must say which district."""


def district_named(session: Session, name: str | None) -> Region:
    """The district called `name`, or the only district when no name is given."""
    found = [district for district in districts(session) if name is None or district.name == name.strip()]
    if len(found) == 1:
        return found[0]
    if name:
        raise NotFound(f"找不到区县「{name}」。")
    known = "、".join(district.name for district in districts(session)) or "无"
    raise Ambiguous(f"请指明区县（现有：{known}）。")


def region_by_path(session: Session, path: str) -> Region:
    """A region named by its path of names from the district down, e.g. 示范区/青山镇/石桥村."""
    names = [part.strip() for part in path.split("/") if part.strip()]
    if not names:
        raise DomainError("请给出区域，如 示范区/青山镇。")
    region: Region | None = None
    for name in names:
        parent = Region.parent_id == region.id if region else Region.parent_id.is_(None)
        region = session.scalar(select(Region).where(Region.name == name, parent))
        if region is None:
            raise NotFound(f"找不到区域「{path}」：「{name}」不存在。")
    return region


def village_named(session: Session, name: str, district: str | None = None) -> Region:
    """The village called `name` (in the district called `district`, when villages share a name)."""
    query = select(Region).where(Region.name == name.strip(), Region.level == RegionLevel.VILLAGE)
    if district:
        named = select(Region.id).where(Region.name == district.strip(), Region.parent_id.is_(None))
        query = query.where(Region.district_id.in_(named))
    found = list(session.scalars(query))
    if not found:
        raise NotFound(f"找不到村「{name}」。")
    if len(found) > 1:
        raise Ambiguous(f"有{len(found)}个村叫「{name}」，请指明区县。")
    return found[0]
