"""Reading the income of operating assets."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.operating.entities import IncomeRecord


def last_income(session: Session, asset_id: int) -> IncomeRecord | None:
    return session.scalar(
        select(IncomeRecord)
        .where(IncomeRecord.asset_id == asset_id)
        .order_by(IncomeRecord.received_on.desc(), IncomeRecord.id.desc())
        .limit(1)
    )
