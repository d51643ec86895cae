"""Pushes to people over WeChat, each sent at most once per key and recorded in `deliveries`.

Call these after the door has committed its own work: the delivery row is claimed and committed
before the message leaves, and confirmed (or its failure recorded) in a second short commit.
A key already claimed is never sent again, whatever became of it, with one exception: when
WeChat asks us to come back later (busy, quota), the retry sweep (`retry_due`) re-sends it, a
bounded number of times.

A person who refused a template (订阅通知 popup or settings, or WeChat answering 43101) is not
sent it: the push is recorded as unreachable instead. One who does not follow the account
(43004) is marked so, and nothing more is pushed to them until they follow again.
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
from infra.metrics import PUSHES
from models.deadlines.reminders import Message
from models.wechat.consents import has_refused, record_consent
from models.wechat.deliveries import (
    claim_delivery,
    claim_retries,
    mark_failed,
    mark_retry_later,
    mark_sent,
    mark_unknown,
    mark_unreachable,
)
from models.wechat.entities import ConsentSource, Delivery, DeliveryChannel
from models.wechat.visitors import record_unsubscribe

log = logging.getLogger("guanhu.bot")

RETRY_LATER = {45011: dt.timedelta(minutes=1)}  # per-minute quota: after the minute
DEFAULT_RETRY_LATER = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 3  # sends of one delivery in all, the first included
NOT_FOLLOWING, REFUSED = 43004, 43101
REFUSED_BEFORE = "对方拒收此类通知，未发送"


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


# Every send takes `region_id`, the region a push to a villager is about (their asset's village),
# so that the staff of that region see it in the pushes log; a push to staff is filed under them.


def send_text(session: Session, openid: str, text: str, *, key: str, region_id: int | None = None) -> Delivery:
    """A customer-service text message to `openid`, once per `key`."""
    return _deliver(session, key, openid, DeliveryChannel.CUSTOM, {"text": text}, region_id)


def send_template(
    session: Session,
    openid: str,
    template_id: str,
    data: dict[str, Any],
    url: str | None = None,
    *,
    key: str,
    region_id: int | None = None,
) -> Delivery:
    """A template message to `openid`, once per `key`; `data` maps field names to values."""
    payload = {"template_id": template_id, "data": data, "url": url}
    return _deliver(session, key, openid, DeliveryChannel.TEMPLATE, payload, region_id)


def send_subscribe(
    session: Session,
    openid: str,
    template_id: str,
    data: dict[str, Any],
    url: str | None = None,
    *,
    key: str,
    region_id: int | None = None,
) -> Delivery:
    """A subscription notification (订阅通知) to `openid`, once per `key`."""
    payload = {"template_id": template_id, "data": data, "url": url}
    return _deliver(session, key, openid, DeliveryChannel.SUBSCRIBE, payload, region_id)


def send_to_staff(
    session: Session, openid: str, message: Message, url: str, *, key: str, text: str | None = None
) -> Delivery:
    """Something for a member of staff to do (a reminder, a complaint handed to them, a repair):
    the reminder template or subscription notification with `message`, as configured; without a
    template, customer-service `text` (the message's own by default) — all an account without
    templates allows: WeChat delivers it only within 48 hours of the person's last message to us."""
    config = current_app.config
    template_id = config["WECHAT_REMINDER_TEMPLATE_ID"]
    if not template_id:
        return send_text(session, openid, text or message.text(url), key=key)
    data = message.fields(config["WECHAT_REMINDER_FIELDS"])
    send = send_subscribe if config["WECHAT_REMINDER_CHANNEL"] == "subscribe" else send_template
    return send(session, openid, template_id, data, url, key=key)


def retry_due(session: Session, now: dt.datetime, limit: int) -> int:
    """Re-send up to `limit` pending deliveries whose `retry_after` has come, each at most
    MAX_ATTEMPTS times in all; returns how many were re-sent. Two sweeps at once send each once."""
    claimed = claim_retries(session, now, limit, MAX_ATTEMPTS)
    to_send = [delivery for delivery in claimed if _still_wanted(session, delivery)]
    session.commit()
    for delivery in to_send:
        _send(session, delivery)
        session.commit()
    return len(to_send)


def _deliver(
    session: Session,
    key: str,
    openid: str,
    channel: DeliveryChannel,
    payload: dict[str, Any],
    region_id: int | None,
) -> Delivery:
    delivery, claimed = claim_delivery(
        session, key=key, openid=openid, channel=channel, payload=payload, now=_now(), region_id=region_id
    )
    send = claimed and _still_wanted(session, delivery)
    session.commit()
    if send:
        _send(session, delivery)
        session.commit()
    return delivery


def _still_wanted(session: Session, delivery: Delivery) -> bool:
    """Whether the person may be sent this; if they refused its template, it is recorded as
    unreachable instead. Decided in the claim's transaction: no transaction stays open while the
    message travels (on SQLite, a read kept open then could not write the answer after it)."""
    template_id = delivery.payload.get("template_id")
    if template_id and has_refused(session, delivery.openid, template_id):
        mark_unreachable(delivery, None, REFUSED_BEFORE)
        return False
    return True


def _send(session: Session, delivery: Delivery) -> None:
    try:
        answer = _SEND[delivery.channel](wechat_client(), delivery.openid, delivery.payload)
    except WeChatError as error:
        outcome = _record_failure(session, delivery, error)
        PUSHES.labels(delivery.channel.value, outcome, str(error.code or error.outcome.value)).inc()
    else:
        msgid = answer.get("msgid") if isinstance(answer, dict) else None
        mark_sent(delivery, _now(), msgid if isinstance(msgid, int) else None)
        PUSHES.labels(delivery.channel.value, "sent", "").inc()


def _record_failure(session: Session, delivery: Delivery, error: WeChatError) -> str:
    """Record why a send failed; return what became of the delivery."""
    log.warning(
        "delivery %s to %s: %s %s (%s)",
        delivery.key,
        delivery.openid[:8],
        error.message,
        error.detail,
        error.outcome.value,
    )
    if error.code in (NOT_FOLLOWING, REFUSED):
        _unreachable(session, delivery, error)
        return "unreachable"
    if error.outcome is Outcome.UNKNOWN:
        mark_unknown(delivery, error.code, error.message)
        return "unknown"
    if error.outcome is Outcome.RETRY and delivery.attempts < MAX_ATTEMPTS:
        wait = RETRY_LATER.get(error.code or 0, DEFAULT_RETRY_LATER)
        mark_retry_later(delivery, error.code, error.message, _now() + wait)
        return "retry_later"
    # final, a token WeChat still refused after one refresh, or out of attempts
    mark_failed(delivery, error.code, error.message)
    return "failed"


def _unreachable(session: Session, delivery: Delivery, error: WeChatError) -> None:
    """WeChat says the person cannot get this: remember why, so that we stop trying."""
    mark_unreachable(delivery, error.code, error.message)
    now = _now()
    if error.code == NOT_FOLLOWING:
        record_unsubscribe(session, delivery.openid, now)
    elif template_id := delivery.payload.get("template_id"):
        record_consent(session, delivery.openid, template_id, accepted=False, at=now, source=ConsentSource.SEND_REFUSED)
