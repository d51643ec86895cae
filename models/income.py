"""Income of operating assets (收益) and how it was distributed (收益分配), as shown to villagers.

A small table so the public page can show the last income; the full income and distribution
workflow (plans, approvals, household lists) is not built yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import audit
from models.assets import Asset, AssetClass
from models.base import Base, instant, intpk, money
from models.errors import Invalid
from models.people import User

MAX_PERIOD, MAX_DISTRIBUTION = 20, 1000


class IncomeRecord(Base):
    __tablename__ = "income_records"
    __table_args__ = (Index("ix_income_records_asset_received", "asset_id", "received_on"),)

    id: Mapped[intpk]
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    period: Mapped[str] = mapped_column(String(MAX_PERIOD))  # e.g. 2025年, 2025年上半年
    amount: Mapped[money]
    received_on: Mapped[dt.date] = mapped_column(Date)
    distribution: Mapped[str] = mapped_column(Text)  # how it was distributed, in plain words
    created_at: Mapped[instant]


def record_income(
    session: Session,
    actor: User | None,
    asset: Asset,
    *,
    period: str,
    amount: Decimal,
    received_on: dt.date,
    distribution: str,
    now: dt.datetime,
) -> IncomeRecord:
    period, distribution = period.strip(), distribution.strip()
    errors = {}
    if asset.asset_class is not AssetClass.OPERATING:
        errors["asset"] = "只有经营性资产登记收益。"
    if not period or len(period) > MAX_PERIOD:
        errors["period"] = f"收益期间应为1到{MAX_PERIOD}个字，如“2025年”。"
    if amount < 0:
        errors["amount"] = "收益金额不能为负数。"
    if not distribution or len(distribution) > MAX_DISTRIBUTION:
        errors["distribution"] = f"请写明分配情况（不超过{MAX_DISTRIBUTION}字）。"
    if errors:
        raise Invalid(errors)
    record = IncomeRecord(
        asset_id=asset.id,
        period=period,
        amount=amount,
        received_on=received_on,
        distribution=distribution,
        created_at=now,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="income",
        entity_id=record.id,
        action="create",
        changes={"asset": asset.code, "period": period, "amount": str(amount)},
        now=now,
        first=True,
    )
    return record


def last_income(session: Session, asset_id: int) -> IncomeRecord | None:
    return session.scalar(
        select(IncomeRecord)
        .where(IncomeRecord.asset_id == asset_id)
        .order_by(IncomeRecord.received_on.desc(), IncomeRecord.id.desc())
        .limit(1)
    )
