"""Pushes to people over WeChat, each sent at most once per key and recorded in `deliveries`.

Call these after the door has committed its own work: the delivery row is claimed and committed
before the message leaves, and confirmed (or its failure recorded) in a second short commit.
A key already claimed is never sent again, whatever became of it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from bot.client import Outcome, WeChatAPIClient, WeChatError, wechat_client
from models.deliveries import (
    Delivery,
    DeliveryChannel,
    claim_delivery,
    mark_failed,
    mark_retry_later,
    mark_sent,
    mark_unknown,
)

log = logging.getLogger("guanhu.bot")

RETRY_LATER = {45011: dt.timedelta(minutes=1)}  # per-minute quota: after the minute
DEFAULT_RETRY_LATER = dt.timedelta(minutes=5)


def send_text(session: Session, openid: str, text: str, *, key: str) -> Delivery:
    """A customer-service text message to `openid`, once per `key`."""
    return _deliver(session, key, openid, DeliveryChannel.CUSTOM, {"text": text},
                    lambda client: client.send_text(openid, text))


def send_template(session: Session, openid: str, template_id: str, data: dict[str, Any],
                  url: str | None = None, *, key: str) -> Delivery:
    """A template message to `openid`, once per `key`; `data` maps field names to values."""
    payload = {"template_id": template_id, "data": data, "url": url}
    return _deliver(session, key, openid, DeliveryChannel.TEMPLATE, payload,
                    lambda client: client.send_template(openid, template_id, data, url))


def send_subscribe(session: Session, openid: str, template_id: str, data: dict[str, Any],
                   url: str | None = None, *, key: str) -> Delivery:
    """A subscription notification (订阅通知) to `openid`, once per `key`."""
    payload = {"template_id": template_id, "data": data, "url": url}
    return _deliver(session, key, openid, DeliveryChannel.SUBSCRIBE, payload,
                    lambda client: client.send_subscribe(openid, template_id, data, url))


def _deliver(session: Session, key: str, openid: str, channel: DeliveryChannel,
             payload: dict[str, Any], send: Callable[[WeChatAPIClient], Any]) -> Delivery:
    delivery, claimed = claim_delivery(session, key=key, openid=openid, channel=channel,
                                       payload=payload, now=_now())
    session.commit()
    if not claimed:
        return delivery
    try:
        send(wechat_client())
    except WeChatError as error:
        _record_failure(delivery, error)
    else:
        mark_sent(delivery, _now())
    session.commit()
    return delivery


def _record_failure(delivery: Delivery, error: WeChatError) -> None:
    log.warning("delivery %s to %s: %s (%s)", delivery.key, delivery.openid[:8], error.message,
                error.outcome.value)
    if error.outcome is Outcome.UNKNOWN:
        mark_unknown(delivery, error.code, error.message)
    elif error.outcome is Outcome.RETRY:
        wait = RETRY_LATER.get(error.code or 0, DEFAULT_RETRY_LATER)
        mark_retry_later(delivery, error.code, error.message, _now() + wait)
    else:  # final, or a token WeChat still refused after one refresh
        mark_failed(delivery, error.code, error.message)


def _now() -> dt.datetime:
    return current_app.extensions["clock"].now()
