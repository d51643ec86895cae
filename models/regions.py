"""The administrative hierarchy: district → town → village (hamlets are a field of the asset)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, LabelledEnum, enum_column, intpk
from models.errors import Invalid


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

    def ancestor(self, level: RegionLevel) -> Region | None:
        region: Region | None = self
        while region is not None and region.level is not level:
            region = region.parent
        return region


def add_region(session: Session, name: str, level: RegionLevel, parent: Region | None) -> Region:
    """Create a region under `parent` (None only for a district)."""
    name = name.strip()
    if not name:
        raise Invalid({"name": "名称不能为空。"})
    expected_parent = None if level is RegionLevel.DISTRICT else list(RegionLevel)[level.depth - 1]
    if (parent.level if parent else None) is not expected_parent:
        raise Invalid({"parent": f"{level.label}必须隶属于{expected_parent.label if expected_parent else '无上级'}。"})
    region = Region(name=name, level=level, parent=parent)
    region.district_id = None if parent is None else (parent.district_id or parent.id)
    session.add(region)
    session.flush()
    return region


def children(session: Session, parent: Region) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.parent_id == parent.id).order_by(Region.id)))


def find_child(session: Session, parent: Region, name: str) -> Region | None:
    return session.scalar(select(Region).where(Region.parent_id == parent.id, Region.name == name.strip()))


def districts(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)))
