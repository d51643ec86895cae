"""Villagers rate how well an asset is cared for, once a year (seed 000 二(三): 引导农户参与绩效评价):
满意 / 基本满意 / 不满意 with an optional word. One answer per WeChat user per asset and year; outside
WeChat, one per device (the rest is rate-limited per address at the door). Only counts are shown."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.assets.entities import Asset, AssetClass
from models.complaints.entities import Rating
from models.errors import DomainError, Invalid
from models.evaluations.entities import MAX_WORD, CareRating


class AlreadyRated(DomainError):
    status = 409


def may_be_rated(asset: Asset) -> bool:
    """Only the assets that are evaluated (公益性, 经营性) ask villagers."""
    return asset.asset_class is not AssetClass.HOUSEHOLD


def device_hash(device_token: str) -> str:
    return hashlib.sha256(device_token.encode()).hexdigest()


def rate_care(
    session: Session,
    asset: Asset,
    *,
    rating: str,
    word: str,
    openid: str | None,
    device_token: str | None,
    year: int,
    now: dt.datetime,
) -> CareRating:
    """Record one villager's rating of `asset`'s care for `year`."""
    chosen = Rating.from_label(rating or "")
    errors = {}
    if chosen is None:
        errors["rating"] = "请选择满意、基本满意或不满意。"
    word = (word or "").strip()
    if len(word) > MAX_WORD or (word and not word.isprintable()):
        errors["word"] = f"说几句话最多{MAX_WORD}个字。"
    if not may_be_rated(asset):
        errors["rating"] = "到户类资产不参加管护评价。"
    if errors:
        raise Invalid(errors)
    device = device_hash(device_token) if device_token and not openid else None
    if device is not None and session.scalar(
        select(CareRating.id).where(
            CareRating.asset_id == asset.id, CareRating.year == year, CareRating.device == device
        )
    ):
        raise AlreadyRated("这台手机今年已经评价过这项资产的管护情况了，谢谢您！")
    answer = CareRating(
        asset_id=asset.id, year=year, rating=chosen, word=word or None, openid=openid, device=device, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(answer)
            session.flush()
    except IntegrityError:
        raise AlreadyRated("您今年已经评价过这项资产的管护情况了，谢谢您！") from None
    return answer


def care_counts(session: Session, asset_id: int, year: int) -> Counter[str]:
    """How many answered each way (by the rating's value: satisfied …), never who."""
    rows = session.execute(
        select(CareRating.rating, func.count())
        .where(CareRating.asset_id == asset_id, CareRating.year == year)
        .group_by(CareRating.rating)
    )
    return Counter({rating.value: count for rating, count in rows})
