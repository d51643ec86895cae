"""Asset cards (资产卡): re-issuing a card with a new public token, and what an old token means.

A card carries the asset's public token in its QR code. When a card is lost, defaced or its
token leaked, the card is re-issued: the asset gets a new token and the old one is kept here, so
that scanning the old card says "this card was replaced" instead of showing the asset.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit
from models.access import visible_assets
from models.assets.entities import Asset, AssetStatus, CardWeChatCode, ReplacedCardToken, new_public_token
from models.assets.operations import ENTITY
from models.errors import Invalid
from models.people import User

MAX_REASON = 100


def reissue_card(session: Session, actor: User | None, asset: Asset, reason: str, now: dt.datetime) -> str:
    """Give the asset a new public token (the old card stops showing it); returns the new token."""
    reason = reason.strip()
    if not reason:
        raise Invalid({"reason": "请写明换卡原因（如丢失、损坏、二维码外泄）。"})
    if len(reason) > MAX_REASON:
        raise Invalid({"reason": f"换卡原因不能超过{MAX_REASON}个字。"})
    old = asset.public_token
    session.add(ReplacedCardToken(token=old, asset_id=asset.id, replaced_at=now))
    asset.public_token = new_public_token()
    asset.updated_at = now
    asset.version += 1
    session.flush()
    # The tokens themselves stay out of the audit log: an old token must not be readable anywhere.
    audit.record(
        session,
        actor=actor,
        entity_type=ENTITY,
        entity_id=asset.id,
        action="reissue_card",
        changes={"card": ["旧卡作废", "新卡"], "reason": reason},
        now=now,
    )
    return asset.public_token


def village_cards(session: Session, actor: User | None, village_id: int) -> list[Asset]:
    """The village's assets in use (their cards hang on walls), by code: those the actor may see,
    or all of them for the system (the `guanhu cards print` command)."""
    query = select(Asset) if actor is None else visible_assets(actor)
    query = query.where(Asset.village_id == village_id, Asset.status != AssetStatus.DISPOSED)
    return list(session.scalars(query.order_by(Asset.code)))


def chosen_cards(session: Session, actor: User, asset_ids: list[int]) -> list[Asset]:
    """The chosen assets the actor may see, by code (the register's ticked rows)."""
    return list(session.scalars(visible_assets(actor).where(Asset.id.in_(asset_ids)).order_by(Asset.code)))


ASSET_SCENE_PREFIX = "asset:"


def asset_scene(public_token: str) -> str:
    """The scene a card's parametric WeChat QR code carries (at most 64 characters): scanning it
    tells the bot which asset."""
    return ASSET_SCENE_PREFIX + public_token


def scene_asset(session: Session, scene: str) -> Asset | None:
    """The asset a scanned scene names, or None."""
    token = scene.removeprefix(ASSET_SCENE_PREFIX)
    return session.scalar(select(Asset).where(Asset.public_token == token)) if token else None


def replaced_token(session: Session, token: str) -> ReplacedCardToken | None:
    """The record of a token that belonged to a re-issued card, or None."""
    return session.scalar(select(ReplacedCardToken).where(ReplacedCardToken.token == token))


def wechat_code_url(session: Session, token: str) -> str | None:
    return session.scalar(select(CardWeChatCode.url).where(CardWeChatCode.token == token))


def keep_wechat_code(session: Session, token: str, url: str, now: dt.datetime) -> None:
    session.add(CardWeChatCode(token=token, url=url, created_at=now))
    session.flush()
