"""Yearly evaluation results (考核等次) of villages and towns, and their grades."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, LabelledEnum, enum_column, instant, intpk


class Grade(LabelledEnum):
    EXCELLENT = ("excellent", "好")
    GOOD = ("good", "较好")
    FAIR = ("fair", "一般")
    POOR = ("poor", "较差")


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("region_id", "year"),)

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    grade: Mapped[Grade] = mapped_column(enum_column(Grade))
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rated_at: Mapped[instant]
