"""Scanning an asset's parametric QR code answers with a link card to its public page."""

from __future__ import annotations

from sqlalchemy.orm import Session
from wechatpy.messages import BaseMessage

from bot.handlers.maintenance import field_visit
from bot.replies import Article, Reply
from bot.router import Context, router
from models.assets.cards import ASSET_SCENE_PREFIX, scene_asset
from models.maintenance import field_sessions
from models.wechat.visitors import record_scan

UNKNOWN_ASSET = "没有找到这个资产，二维码可能已经作废。有疑问请联系村委会。"
CARD_TEXT = "{village} · {status} · 管护人：{custodian}。点开查看详情。"


def asset_card(session: Session, scene: str, public_base_url: str) -> Reply:
    """The link card for the asset named by `scene`; None when the scene is not an asset's."""
    if not scene.startswith(ASSET_SCENE_PREFIX):
        return None
    asset = scene_asset(session, scene)
    if asset is None:
        return UNKNOWN_ASSET
    return Article(
        title=asset.name,
        description=CARD_TEXT.format(
            village=asset.village.name, status=asset.status.label, custodian=asset.custodian_name
        ),
        url=f"{public_base_url}/a/{asset.public_token}",
    )


def scan_reply(message: BaseMessage, ctx: Context) -> Reply:
    """Village staff of the asset start a maintenance record (maintenance.py); anyone else sees its card."""
    field_sessions.lock(ctx.session, message.source, ctx.now)  # before any read: a session may start
    scene = message.scene_id or ""
    asset = scene_asset(ctx.session, scene) if scene.startswith(ASSET_SCENE_PREFIX) else None
    if asset is not None:
        record_scan(ctx.session, message.source, asset, ctx.now)  # 我要反映 then points here
        recording = field_visit(ctx, message.source, asset)
        if recording:
            return recording
    return asset_card(ctx.session, scene, ctx.public_base_url)


@router.event("scan")
def scanned(message: BaseMessage, ctx: Context) -> Reply:
    return scan_reply(message, ctx) or UNKNOWN_ASSET
