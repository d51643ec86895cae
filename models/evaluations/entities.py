"""The yearly performance evaluation (绩效化管理) as stored: score sheets (考评表) and grade bands
per district and year, each village's targets (绩效目标) and the assets that enter the year's
evaluation, the villages' self-check and self-evaluation with their item scores and signatures,
the villagers' yearly rating of each asset's care, and the towns' yearly results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.assets.entities import AssetClass
from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.complaints.entities import Rating
from models.people import User, VillagePost
from models.regions import Region

Points = Numeric(5, 1)
MAX_ITEM_TEXT, MAX_REASON, MAX_WORD = 200, 500, 200
EVALUATED_CLASSES = (AssetClass.PUBLIC_BENEFIT, AssetClass.OPERATING)  # 到户类 is not evaluated


class Grade(LabelledEnum):
    EXCELLENT = ("excellent", "好")
    GOOD = ("good", "较好")
    FAIR = ("fair", "一般")
    POOR = ("poor", "较差")


class ScoreSheet(Base):
    """One district's score sheet (考评表) for one class of assets and one year."""

    __tablename__ = "score_sheets"
    __table_args__ = (UniqueConstraint("district_id", "year", "asset_class"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    asset_class: Mapped[AssetClass] = mapped_column(enum_column(AssetClass))
    created_at: Mapped[instant]
    # The sheet's share of a village's score when it is scored on both sheets; None: weighted by the
    # number of the village's evaluated assets of each class (the default).
    weight: Mapped[Decimal | None] = mapped_column(Points)

    items: Mapped[list[SheetItem]] = relationship(
        back_populates="sheet", order_by="SheetItem.position", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def total(self) -> Decimal:
        return sum((item.points for item in self.items), Decimal(0))


class SheetItem(Base):
    """An item of a sheet: what is scored, its points, how to score it, and the evidence rule (by
    its code name, with its parameters as data) that proposes its score, if any."""

    __tablename__ = "score_sheet_items"

    id: Mapped[intpk]
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(MAX_ITEM_TEXT))
    points: Mapped[Decimal] = mapped_column(Points)
    guidance: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[str | None] = mapped_column(String(40))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The industry department whose trade the item is: it scores the item at the district's rating.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    sheet: Mapped[ScoreSheet] = relationship(back_populates="items")


class GradeBand(Base):
    """The lowest score of a grade, per district and year (≥ 90 好 …)."""

    __tablename__ = "grade_bands"
    __table_args__ = (UniqueConstraint("district_id", "year", "grade"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    grade: Mapped[Grade] = mapped_column(enum_column(Grade))
    min_score: Mapped[Decimal] = mapped_column(Points)


class VillageTarget(Base):
    """A village's performance targets (绩效目标) for a year: the target values its evidence rules
    measure against; issued (下达) by the district office."""

    __tablename__ = "village_targets"
    __table_args__ = (UniqueConstraint("village_id", "year"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    own_values_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # set for this village alone

    village: Mapped[Region] = relationship(foreign_keys=[village_id], lazy="joined")


class EvaluatedAsset(Base):
    """An asset an industry department marked as entering a year's evaluation."""

    __tablename__ = "evaluated_assets"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), primary_key=True, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[instant]


class Stage(LabelledEnum):
    SELF_CHECK = ("self_check", "年中自查")
    SELF_EVALUATION = ("self_evaluation", "年终自评")


class Status(LabelledEnum):
    """Where a village's evaluation stands. The village moves it to `reported`; the town's review
    (复核) then `reviewed`, the district's rating (评定) `rated`."""

    DRAFT = ("draft", "填报中")
    SENT_BACK = ("sent_back", "已退回修改")
    SIGNING = ("signing", "待签字")
    ON_NOTICE = ("on_notice", "公示中")
    REPORTED = ("reported", "已报镇")
    REVIEWED = ("reviewed", "已复核")
    RATED = ("rated", "已评定")


EDITABLE = (Status.DRAFT, Status.SENT_BACK)


class VillageEvaluation(Base):
    """A village's mid-year self-check or year-end self-evaluation, from the clerk's form to the
    town's score. `self_score` is the village's own total; `score` and `grade` the result of the
    town's review (what the villagers' page shows as last year's grade)."""

    __tablename__ = "village_evaluations"
    __table_args__ = (
        UniqueConstraint("village_id", "year", "stage"),
        Index("ix_village_evaluations_town_year", "town_id", "year", "stage"),
        Index("ix_village_evaluations_district_year", "district_id", "year", "stage"),
    )

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    town_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    status: Mapped[Status] = mapped_column(enum_column(Status))
    self_score: Mapped[Decimal | None] = mapped_column(Points)
    score: Mapped[Decimal | None] = mapped_column(Points)
    grade: Mapped[Grade | None] = mapped_column(enum_column(Grade))
    sent_back_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    created_at: Mapped[instant]
    updated_at: Mapped[instant]
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The evaluated assets of each class when the town reviewed it ({"public_benefit": 30, …}).
    class_assets: Mapped[dict[str, int] | None] = mapped_column(JSON)

    village: Mapped[Region] = relationship(foreign_keys=[village_id], lazy="joined")
    scores: Mapped[list[ItemScore]] = relationship(
        back_populates="evaluation", lazy="selectin", cascade="all, delete-orphan", order_by="ItemScore.id"
    )
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="evaluation", lazy="selectin", order_by="Signature.id"
    )

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def valid_signatures(self) -> list[Signature]:
        return [signature for signature in self.signatures if signature.voided_at is None]


class ItemScore(Base):
    """One item's score in a village's evaluation: proposed by its rule from the evidence,
    confirmed or changed (with a reason) by the clerk, later adjusted by the town (复核)."""

    __tablename__ = "evaluation_item_scores"
    __table_args__ = (UniqueConstraint("evaluation_id", "item_id"),)

    id: Mapped[intpk]
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("village_evaluations.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("score_sheet_items.id"), index=True)
    proposed: Mapped[Decimal | None] = mapped_column(Points)
    rule: Mapped[str | None] = mapped_column(String(200))  # how the proposal was reached, as people read it
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    confirmed: Mapped[Decimal | None] = mapped_column(Points)
    change_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    shortfall: Mapped[str | None] = mapped_column(String(MAX_REASON))  # 偏差原因及改进措施
    town_score: Mapped[Decimal | None] = mapped_column(Points)
    town_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    department_score: Mapped[Decimal | None] = mapped_column(Points)  # the trade's department, at the rating
    department_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))

    evaluation: Mapped[VillageEvaluation] = relationship(back_populates="scores")
    item: Mapped[SheetItem] = relationship(lazy="joined")


class Signature(Base):
    """A supervisor's signature on the exact snapshot of an evaluation (its SHA-256), with an
    optional scan of the stamped paper; voided when the evaluation is sent back or reopened."""

    __tablename__ = "evaluation_signatures"
    __table_args__ = (
        Index(
            "uq_evaluation_signatures_post",
            "evaluation_id",
            "post",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
        Index(
            "uq_evaluation_signatures_signer",
            "evaluation_id",
            "user_id",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
    )

    id: Mapped[intpk]
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("village_evaluations.id", ondelete="CASCADE"), index=True)
    post: Mapped[VillagePost] = mapped_column(enum_column(VillagePost))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[instant]
    snapshot: Mapped[str] = mapped_column(Text)  # the canonical JSON signed
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    scan_key: Mapped[str | None] = mapped_column(String(100))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))

    evaluation: Mapped[VillageEvaluation] = relationship(back_populates="signatures")
    user: Mapped[User] = relationship(lazy="joined")


class CareRating(Base):
    """A villager's yearly word on how well an asset is cared for (满意 / 基本满意 / 不满意): one per
    WeChat user per asset and year; outside WeChat, limited per device and address."""

    __tablename__ = "asset_care_ratings"
    __table_args__ = (
        UniqueConstraint("asset_id", "year", "openid"),
        Index("ix_asset_care_ratings_asset_year", "asset_id", "year"),
    )

    id: Mapped[intpk]
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    year: Mapped[int] = mapped_column(Integer)
    rating: Mapped[Rating] = mapped_column(enum_column(Rating))
    word: Mapped[str | None] = mapped_column(String(MAX_WORD))
    openid: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))  # a hash of the device's cookie
    created_at: Mapped[instant]


class TownResult(Base):
    """A town's yearly score and grade from the district's rating (评定)."""

    __tablename__ = "town_results"
    __table_args__ = (UniqueConstraint("town_id", "year"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    town_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Points)
    grade: Mapped[Grade] = mapped_column(enum_column(Grade))
    proposed: Mapped[Decimal | None] = mapped_column(Points)  # its villages' scores weighted by their assets
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON))  # why the score differs from the proposal
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rated_at: Mapped[instant]
