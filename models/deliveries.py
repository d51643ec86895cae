"""What we pushed to whom over WeChat: one row per push, claimed by its key before sending.

The row is written (and committed) before the message leaves and confirmed after, so a key is
never sent twice, and "what did we tell this person" is answered from one table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk


class DeliveryChannel(LabelledEnum):
    CUSTOM = ("custom", "客服消息")
    TEMPLATE = ("template", "模板消息")
    SUBSCRIBE = ("subscribe", "订阅通知")


class DeliveryStatus(LabelledEnum):
    PENDING = ("pending", "待发送")
    SENT = ("sent", "已发送")
    FAILED = ("failed", "发送失败")
    UNKNOWN = ("unknown", "结果不明")


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(200), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[DeliveryChannel] = mapped_column(enum_column(DeliveryChannel))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), index=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(200))
    # Set when WeChat asked us to come back later (system busy, per-minute quota).
    retry_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # sends tried
    created_at: Mapped[instant]
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Delivery {self.key} {self.status.value}>"


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
