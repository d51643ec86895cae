"""Photos, places, voice and video sent to the account."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from PIL import Image
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatException
from wechatpy.messages import BaseMessage

from bot.replies import UNSUPPORTED_VIDEO, UNSUPPORTED_VOICE, Reply
from bot.router import Context, message_key, router

log = logging.getLogger("guanhu.bot")

PHOTO_RECEIVED = "照片收到了，正在保存，好了会告诉您。"
PHOTO_SAVED = "照片已保存好了。"
PHOTO_FAILED = "照片没有保存成功，请再发一次。"
LOCATION_RECEIVED = "收到您的位置（{label}）。想了解某个资产，请扫资产卡上的二维码。"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = ["JPEG", "PNG", "WEBP"]


@router.message("image")
def photo(message: BaseMessage, ctx: Context) -> Reply:
    # WeChat keeps the photo for 3 days only: fetch it now, after answering.
    ctx.defer(keep_photo, message.source, message.media_id, message_key(message))
    return PHOTO_RECEIVED


@router.message("location")
def location(message: BaseMessage, ctx: Context) -> Reply:
    return LOCATION_RECEIVED.format(label=(message.label or "未标注地点")[:60])


@router.message("voice")
def voice(message: BaseMessage, ctx: Context) -> Reply:
    return UNSUPPORTED_VOICE


@router.message("video", "shortvideo")
def video(message: BaseMessage, ctx: Context) -> Reply:
    return UNSUPPORTED_VIDEO


def keep_photo(session: Session, openid: str, media_id: str, key: str) -> None:
    """Download a photo the user sent, store it re-encoded, and tell them how it went."""
    from flask import current_app

    from bot.client import wechat_client
    from bot.notifier import send_text

    try:
        content, _type = wechat_client().download_media(media_id)
        path = store_photo(content, Path(current_app.config["MEDIA_ROOT"]) / "wechat", key)
    except (WeChatException, OSError, ValueError, Image.DecompressionBombError) as error:
        log.warning("photo %s from WeChat not kept: %s", key[:12], error)
        send_text(session, openid, PHOTO_FAILED, key=f"photo-failed:{key}")
        return
    log.info("photo %s kept at %s", key[:12], path)
    send_text(session, openid, PHOTO_SAVED, key=f"photo-saved:{key}")


def store_photo(data: bytes, folder: Path, name: str) -> Path:
    """Check that `data` is a photo (within Pillow's pixel limit) and keep it as JPEG."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValueError("photo too large")
    with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as image:
        image.load()
        path = folder / name[:2] / f"{name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.convert("RGB").save(path, "JPEG", quality=85)
    return path
