"""Income of operating assets (收益) and how it was distributed (收益分配), as shown to villagers.

A small table so the public page can show the last income; the full income and distribution
workflow (plans, approvals, household lists) is not built yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from models import audit
from models.assets.entities import Asset, AssetClass
from models.errors import Invalid
from models.operating.entities import MAX_DISTRIBUTION, MAX_PERIOD, IncomeRecord
from models.people import User


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
