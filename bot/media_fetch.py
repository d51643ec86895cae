"""Fetching photos people sent us by WeChat media id (chat images, JS-SDK uploadImage), with retries.

WeChat keeps such media 3 days, so we fetch at once; a busy or silent WeChat is tried again after
a short wait (GUANHU_WECHAT_MEDIA_RETRY_DELAYS seconds), an answer that will never change is not.
"""

from __future__ import annotations

import logging
import time

from flask import current_app

from bot.client import Outcome, WeChatError, wechat_client

log = logging.getLogger("guanhu.bot")


def fetch_media(media_id: str) -> bytes:
    """The bytes of a temporary media file; raises the last WeChatError when every try failed."""
    delays = list(current_app.config["WECHAT_MEDIA_RETRY_DELAYS"])
    while True:
        try:
            content, _content_type = wechat_client().download_media(media_id)
            return content
        except WeChatError as error:
            if error.outcome is Outcome.FINAL or not delays:
                raise
            log.warning("media %s not fetched (%s), trying again", media_id[:12], error.message)
            time.sleep(delays.pop(0))
