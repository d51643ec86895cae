"""What the public asset page (/a/<token>) shows: only public facts, gathered in a few indexed reads.

Never here: villagers' names or phones, others' complaint contents, internal notes, database ids.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.assets.cards import replaced_token
from models.assets.entities import Asset, AssetClass, ReplacedCardToken
from models.complaints.queries import public_counts
from models.evaluations.care_ratings import care_counts
from models.evaluations.entities import VillageEvaluation
from models.evaluations.queries import village_grade
from models.maintenance.entities import MaintenanceRecord
from models.notices.entities import PublicNotice
from models.notices.queries import active_notices, board_token
from models.operating.entities import IncomeRecord
from models.operating.queries import last_income

MAINTENANCE_SHOWN = 3


MAX_TOKEN_LENGTH = 32


@dataclass
class AssetPage:
    asset: Asset
    supervision_phone: str | None
    maintenance: list[MaintenanceRecord]
    income: IncomeRecord | None
    notices: list[PublicNotice]
    notice_board: str | None  # the village board's token, when notices are shown
    complaints: int
    answered: int
    last_years_grade: VillageEvaluation | None  # of the asset's village
    care: Counter[str]  # this year's villagers' ratings of its care (counts only)


def asset_by_token(session: Session, token: str) -> Asset | ReplacedCardToken | None:
    """The asset a card's token stands for, the record of a replaced card, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    asset = session.scalar(select(Asset).where(Asset.public_token == token))
    return asset or replaced_token(session, token)


def asset_page(session: Session, asset: Asset, today: dt.date) -> AssetPage:
    maintenance = list(
        session.scalars(
            select(MaintenanceRecord)
            .where(MaintenanceRecord.asset_id == asset.id, MaintenanceRecord.doubtful.is_(False))
            .order_by(MaintenanceRecord.recorded_at.desc())
            .limit(MAINTENANCE_SHOWN)
        )
    )
    income = last_income(session, asset.id) if asset.asset_class is AssetClass.OPERATING else None
    complaints, answered = public_counts(session, asset.id)
    notices = active_notices(session, asset, today)
    return AssetPage(
        asset=asset,
        supervision_phone=asset.village.supervision_phone_above,
        maintenance=maintenance,
        income=income,
        notices=notices,
        notice_board=board_token(session, asset.village_id) if notices else None,
        complaints=complaints,
        answered=answered,
        last_years_grade=village_grade(session, asset.village_id, today.year - 1),
        care=care_counts(session, asset.id, today.year),
    )
