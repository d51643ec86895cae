"""What we pushed to whom over WeChat: one row per push, claimed by its key before sending.

The row is written (and committed) before the message leaves and confirmed after, so a key is
never sent twice, and "what did we tell this person" is answered from one table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.wechat.entities import Delivery, DeliveryChannel, DeliveryStatus


def claim_delivery(
    session: Session,
    *,
    key: str,
    openid: str,
    channel: DeliveryChannel,
    payload: dict[str, Any],
    now: dt.datetime,
) -> tuple[Delivery, bool]:
    """The delivery for `key` and whether this call created it (only the creator may send)."""
    existing = session.scalar(select(Delivery).where(Delivery.key == key))
    if existing is not None:
        return existing, False
    delivery = Delivery(
        key=key, openid=openid, channel=channel, payload=payload, status=DeliveryStatus.PENDING, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(delivery)
    except IntegrityError:  # another worker claimed the same key a moment ago
        return session.scalar(select(Delivery).where(Delivery.key == key)), False
    return delivery, True


def claim_retries(session: Session, now: dt.datetime, limit: int, max_attempts: int) -> list[Delivery]:
    """Pending deliveries due for another try (fewer than `max_attempts` so far), claimed by
    counting the attempt and clearing `retry_after`: once committed, no other sweep sees them, and
    a crash before the answer leaves them unconfirmed rather than sent twice.

    Rows another sweep is claiming are skipped (FOR UPDATE SKIP LOCKED; SQLite serialises writes)."""
    due = list(
        session.scalars(
            select(Delivery)
            .where(
                Delivery.status == DeliveryStatus.PENDING, Delivery.retry_after <= now, Delivery.attempts < max_attempts
            )
            .order_by(Delivery.retry_after, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for delivery in due:
        delivery.attempts += 1
        delivery.retry_after = None
    session.flush()
    return due


def mark_sent(delivery: Delivery, now: dt.datetime) -> None:
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = now
    delivery.error_code = delivery.error_message = delivery.retry_after = None


def mark_failed(delivery: Delivery, code: int | None, message: str) -> None:
    """A final failure: recorded, never sent again."""
    delivery.status = DeliveryStatus.FAILED
    _note_error(delivery, code, message)


def mark_unknown(delivery: Delivery, code: int | None, message: str) -> None:
    """The request may or may not have reached the person (timeout): do not resend blindly."""
    delivery.status = DeliveryStatus.UNKNOWN
    _note_error(delivery, code, message)


def mark_retry_later(delivery: Delivery, code: int | None, message: str, at: dt.datetime) -> None:
    """WeChat refused for now (busy, quota): stays pending, due again at `at`."""
    delivery.status = DeliveryStatus.PENDING
    delivery.retry_after = at
    _note_error(delivery, code, message)


def _note_error(delivery: Delivery, code: int | None, message: str) -> None:
    delivery.error_code = code
    delivery.error_message = message[:200]
