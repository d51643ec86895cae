"""Scanning an asset's parametric QR code answers with a link card to its public page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from wechatpy.messages import BaseMessage

from bot.replies import Article, Reply
from bot.router import Context, router
from models.assets import Asset

ASSET_SCENE_PREFIX = "asset:"
UNKNOWN_ASSET = "没有找到这个资产，二维码可能已经作废。有疑问请联系村委会。"
CARD_TEXT = "{village} · {status} · 管护人：{custodian}。点开查看详情。"


def asset_scene(public_token: str) -> str:
    """The scene string a parametric QR code for this asset carries (at most 64 characters)."""
    return ASSET_SCENE_PREFIX + public_token


def asset_card(session: Session, scene: str, public_base_url: str) -> Reply:
    """The link card for the asset named by `scene`; None when the scene is not an asset's."""
    if not scene.startswith(ASSET_SCENE_PREFIX):
        return None
    token = scene.removeprefix(ASSET_SCENE_PREFIX)
    asset = session.scalar(select(Asset).where(Asset.public_token == token)) if token else None
    if asset is None:
        return UNKNOWN_ASSET
    return Article(
        title=asset.name,
        description=CARD_TEXT.format(
            village=asset.village.name, status=asset.status.label, custodian=asset.custodian_name
        ),
        url=f"{public_base_url}/a/{asset.public_token}",
    )


@router.event("scan")
def scanned(message: BaseMessage, ctx: Context) -> Reply:
    return asset_card(ctx.session, message.scene_id or "", ctx.public_base_url) or UNKNOWN_ASSET
