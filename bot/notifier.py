"""Pushes to people over WeChat, each sent at most once per key and recorded in `deliveries`.

Call these after the door has committed its own work: the delivery row is claimed and committed
before the message leaves, and confirmed (or its failure recorded) in a second short commit.
A key already claimed is never sent again, whatever became of it, with one exception: when
WeChat asks us to come back later (busy, quota), the retry sweep (`retry_due`) re-sends it, a
bounded number of times.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from bot.client import Outcome, WeChatAPIClient, WeChatError, wechat_client
from infra.clock import now as _now
from models.deadlines.reminders import Message
from models.wechat.deliveries import (
    claim_delivery,
    claim_retries,
    mark_failed,
    mark_retry_later,
    mark_sent,
    mark_unknown,
)
from models.wechat.entities import Delivery, DeliveryChannel

log = logging.getLogger("guanhu.bot")

RETRY_LATER = {45011: dt.timedelta(minutes=1)}  # per-minute quota: after the minute
DEFAULT_RETRY_LATER = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 3  # sends of one delivery in all, the first included


# How each channel's stored payload is sent (first time and on a retry alike).
_SEND: dict[DeliveryChannel, Callable[[WeChatAPIClient, str, dict[str, Any]], Any]] = {
    DeliveryChannel.CUSTOM: lambda client, openid, p: client.send_text(openid, p["text"]),
    DeliveryChannel.TEMPLATE: lambda client, openid, p: client.send_template(
        openid, p["template_id"], p["data"], p["url"]
    ),
    DeliveryChannel.SUBSCRIBE: lambda client, openid, p: client.send_subscribe(
        openid, p["template_id"], p["data"], p["url"]
    ),
}


def send_text(session: Session, openid: str, text: str, *, key: str) -> Delivery:
    """A customer-service text message to `openid`, once per `key`."""
    return _deliver(session, key, openid, DeliveryChannel.CUSTOM, {"text": text})


def send_template(
    session: Session, openid: str, template_id: str, data: dict[str, Any], url: str | None = None, *, key: str
) -> Delivery:
    """A template message to `openid`, once per `key`; `data` maps field names to values."""
    payload = {"template_id": template_id, "data": data, "url": url}
    return _deliver(session, key, openid, DeliveryChannel.TEMPLATE, payload)


def send_subscribe(
    session: Session, openid: str, template_id: str, data: dict[str, Any], url: str | None = None, *, key: str
) -> Delivery:
    """A subscription notification (订阅通知) to `openid`, once per `key`."""
    payload = {"template_id": template_id, "data": data, "url": url}
    return _deliver(session, key, openid, DeliveryChannel.SUBSCRIBE, payload)


def send_to_staff(session: Session, openid: str, message: Message, text: str, url: str, *, key: str) -> Delivery:
    """Something for a member of staff to do: the reminder template (or subscription notification)
    with `message` when one is configured, else customer-service `text` (48-hour window only)."""
    config = current_app.config
    template_id = config["WECHAT_REMINDER_TEMPLATE_ID"]
    if not template_id:
        return send_text(session, openid, text, key=key)
    data = message.fields(config["WECHAT_REMINDER_FIELDS"])
    send = send_subscribe if config["WECHAT_REMINDER_CHANNEL"] == "subscribe" else send_template
    return send(session, openid, template_id, data, url, key=key)


def retry_due(session: Session, now: dt.datetime, limit: int) -> int:
    """Re-send up to `limit` pending deliveries whose `retry_after` has come, each at most
    MAX_ATTEMPTS times in all; returns how many were re-sent. Two sweeps at once send each once."""
    claimed = claim_retries(session, now, limit, MAX_ATTEMPTS)
    session.commit()
    for delivery in claimed:
        _send(delivery)
        session.commit()
    return len(claimed)


def _deliver(session: Session, key: str, openid: str, channel: DeliveryChannel, payload: dict[str, Any]) -> Delivery:
    delivery, claimed = claim_delivery(session, key=key, openid=openid, channel=channel, payload=payload, now=_now())
    session.commit()
    if claimed:
        _send(delivery)
        session.commit()
    return delivery


def _send(delivery: Delivery) -> None:
    try:
        _SEND[delivery.channel](wechat_client(), delivery.openid, delivery.payload)
    except WeChatError as error:
        _record_failure(delivery, error)
    else:
        mark_sent(delivery, _now())


def _record_failure(delivery: Delivery, error: WeChatError) -> None:
    log.warning("delivery %s to %s: %s (%s)", delivery.key, delivery.openid[:8], error.message, error.outcome.value)
    if error.outcome is Outcome.UNKNOWN:
        mark_unknown(delivery, error.code, error.message)
    elif error.outcome is Outcome.RETRY and delivery.attempts < MAX_ATTEMPTS:
        wait = RETRY_LATER.get(error.code or 0, DEFAULT_RETRY_LATER)
        mark_retry_later(delivery, error.code, error.message, _now() + wait)
    else:  # final, a token WeChat still refused after one refresh, or out of attempts
        mark_failed(delivery, error.code, error.message)
