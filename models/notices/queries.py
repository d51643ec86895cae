"""The notices running today for an asset or its village."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.assets.entities import Asset
from models.notices.entities import PublicNotice


def active_notices(session: Session, asset: Asset, today: dt.date, limit: int = 5) -> list[PublicNotice]:
    """Notices running today for this asset or its whole village, newest first."""
    return list(
        session.scalars(
            select(PublicNotice)
            .where(
                PublicNotice.village_id == asset.village_id,
                or_(PublicNotice.asset_id.is_(None), PublicNotice.asset_id == asset.id),
                PublicNotice.starts_on <= today,
                PublicNotice.ends_on >= today,
            )
            .order_by(PublicNotice.starts_on.desc(), PublicNotice.id.desc())
            .limit(limit)
        )
    )
