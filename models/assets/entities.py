"""The register's entities (台账): assets, their sub-types and funding, and the tokens of
re-issued cards."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk, money
from models.regions import Region


class AssetClass(LabelledEnum):
    PUBLIC_BENEFIT = ("public_benefit", "公益性")
    OPERATING = ("operating", "经营性")
    HOUSEHOLD = ("household", "到户类")


class AssetStatus(LabelledEnum):
    NORMAL = ("normal", "正常")
    IDLE = ("idle", "闲置")
    DAMAGED = ("damaged", "损毁")
    SUSPENDED = ("suspended", "停用")
    DISPOSED = ("disposed", "已处置")


class FundingKind(LabelledEnum):
    POVERTY_ALLEVIATION = ("poverty_alleviation", "扶贫项目资产")
    LINKAGE = ("linkage", "衔接资产")


class FundingSource(LabelledEnum):
    FISCAL = ("fiscal", "财政专项扶贫资金")
    LINKAGE = ("linkage", "衔接推进乡村振兴补助资金")
    INTEGRATED = ("integrated", "统筹整合涉农资金")
    LOCAL_BOND = ("local_bond", "地方政府债券")
    DONATION = ("donation", "社会捐赠")
    PAIRED_ASSISTANCE = ("paired_assistance", "对口帮扶")
    EAST_WEST = ("east_west", "东西部协作资金")

    @classmethod
    def from_label(cls, label: str):
        return super().from_label(_FUNDING_ALIASES.get(label.strip(), label))


_FUNDING_ALIASES = {
    "财政资金": "财政专项扶贫资金",
    "衔接资金": "衔接推进乡村振兴补助资金",
    "东西部协作": "东西部协作资金",
    "统筹整合资金": "统筹整合涉农资金",
}


# Linkage funds replaced poverty-alleviation funds from this year on.
LINKAGE_FROM_YEAR = 2021


class DisposalMethod(LabelledEnum):
    SCRAPPED = ("scrapped", "报废")
    SOLD = ("sold", "拍卖转让")
    TRANSFERRED = ("transferred", "无偿划转")
    OTHER = ("other", "其他")


class AssetSubtype(Base):
    """A kind of asset within a class (道路交通, 光伏电站 …) with its inspection interval."""

    __tablename__ = "asset_subtypes"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(40), unique=True)
    asset_class: Mapped[AssetClass] = mapped_column(enum_column(AssetClass))
    inspection_interval_days: Mapped[int] = mapped_column(Integer)


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("district_id", "code"),
        # The register list pages by (code, id) within a scope; with id in the index, PostgreSQL
        # finds a page's ids from the index alone. It also counts a status within a scope:
        # without the status indexes, counting a town's damaged assets read all of its rows.
        Index("ix_assets_town_code", "town_id", "code", "id"),
        Index("ix_assets_village_code", "village_id", "code", "id"),
        Index("ix_assets_district_status", "district_id", "status"),
        Index("ix_assets_town_status", "town_id", "status"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    asset_class: Mapped[AssetClass] = mapped_column(enum_column(AssetClass))
    subtype_id: Mapped[int] = mapped_column(ForeignKey("asset_subtypes.id"), index=True)
    project_name: Mapped[str] = mapped_column(String(200))
    project_year: Mapped[int] = mapped_column(Integer)
    funding_kind: Mapped[FundingKind] = mapped_column(enum_column(FundingKind))
    original_value: Mapped[money]
    # Where it is: the region ids are denormalised so that every scope is one indexed column.
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    town_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    hamlet: Mapped[str | None] = mapped_column(String(60))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    owner: Mapped[str] = mapped_column(String(120))
    ownership_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    custodian_body: Mapped[str] = mapped_column(String(120))
    custodian_name: Mapped[str] = mapped_column(String(40), index=True)
    custodian_phone: Mapped[str] = mapped_column(String(30))
    operator: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[AssetStatus] = mapped_column(enum_column(AssetStatus), index=True)
    beneficiary_households: Mapped[int] = mapped_column(Integer, default=0)
    beneficiary_poor_households: Mapped[int | None] = mapped_column(Integer)
    card_on_wall: Mapped[bool] = mapped_column(Boolean, default=False)
    disposed_on: Mapped[dt.date | None] = mapped_column(Date)
    disposal_method: Mapped[DisposalMethod | None] = mapped_column(enum_column(DisposalMethod))
    notes: Mapped[str | None] = mapped_column(Text)
    public_token: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_public_token())
    created_at: Mapped[instant]
    updated_at: Mapped[instant]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # When the asset was last looked after (any maintenance record but a damage report): kept on
    # the asset so "overdue for inspection" is one indexed comparison at province scale.
    last_inspected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    subtype: Mapped[AssetSubtype] = relationship(lazy="joined")
    village: Mapped[Region] = relationship(foreign_keys=[village_id], lazy="joined")
    fundings: Mapped[list[AssetFunding]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="AssetFunding.position", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<Asset {self.code} {self.name}>"

    @property
    def funding_text(self) -> str:
        """资金来源 as written in registers: `来源 金额、来源` (amounts in 万元)."""
        return "、".join(f.text for f in self.fundings)


class AssetFunding(Base):
    """One funding source of an asset, with its amount when known (yuan)."""

    __tablename__ = "asset_fundings"

    id: Mapped[intpk]
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[FundingSource] = mapped_column(enum_column(FundingSource))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))

    asset: Mapped[Asset] = relationship(back_populates="fundings")

    @property
    def text(self) -> str:
        if self.amount is None:
            return self.source.label
        return f"{self.source.label} {format_wan(self.amount)}"


def new_public_token() -> str:
    """128 random bits, URL-safe: what the QR card carries instead of any id."""
    return secrets.token_urlsafe(16)


def format_wan(yuan: Decimal) -> str:
    """Yuan as 万元 without trailing zeros: 183000 → '18.3'."""
    wan = (yuan / 10000).normalize()
    text = format(wan, "f")
    return text


class ReplacedCardToken(Base):
    """A public token an asset carried before its card was re-issued."""

    __tablename__ = "replaced_card_tokens"

    id: Mapped[intpk]
    token: Mapped[str] = mapped_column(String(32), unique=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    replaced_at: Mapped[instant]


class CardWeChatCode(Base):
    """The WeChat permanent parametric QR code made for a card token (at most 100,000 per account)."""

    __tablename__ = "card_wechat_codes"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    url: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[instant]
