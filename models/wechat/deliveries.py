"""What we pushed to whom over WeChat: one row per push, claimed by its key before sending.

The row is written (and committed) before the message leaves and confirmed after, so a key is
never sent twice, and "what did we tell this person" is answered from one table: the pushes log
(`deliveries_page`), where staff see the pushes about their region, villagers' without names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.access import delivery_scope
from models.paging import Page, page_of
from models.people import User
from models.wechat.consents import record_consent
from models.wechat.entities import ConsentSource, Delivery, DeliveryChannel, DeliveryStatus

# What a push was for, by the first part of its key (the features that push name their keys so).
PURPOSES = {
    "digest": "每日提醒",
    "urgent": "紧急事项提醒",
    "complaint-answered": "反映已答复",
    "complaint-rejected": "反映不予受理",
    "damage-report": "损毁报告",
    "field-record": "管护记录已保存",
    "field-not-saved": "管护记录未保存",
    "field-photo": "照片未收到",
}
OTHER_PURPOSE = "其他通知"


def purpose(key: str) -> str:
    return PURPOSES.get(key.split(":", 1)[0], OTHER_PURPOSE)


def masked_openid(openid: str) -> str:
    """Enough of a villager's openid to tell two apart in the log, never the whole of it."""
    return f"{openid[:4]}…{openid[-4:]}" if len(openid) > 12 else f"{openid[:2]}…"


def claim_delivery(
    session: Session,
    *,
    key: str,
    openid: str,
    channel: DeliveryChannel,
    payload: dict[str, Any],
    now: dt.datetime,
    region_id: int | None = None,
) -> tuple[Delivery, bool]:
    """The delivery for `key` and whether this call created it (only the creator may send).

    The push is filed under the staff member the openid is bound to (and their region), else
    under `region_id`: the region a push to a villager is about."""
    existing = session.scalar(select(Delivery).where(Delivery.key == key))
    if existing is not None:
        return existing, False
    staff = session.execute(select(User.id, User.region_id).where(User.wechat_openid == openid)).first()
    delivery = Delivery(
        key=key,
        openid=openid,
        channel=channel,
        payload=payload,
        status=DeliveryStatus.PENDING,
        created_at=now,
        user_id=staff.id if staff else None,
        region_id=staff.region_id if staff else region_id,
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


def mark_sent(delivery: Delivery, now: dt.datetime, msgid: int | None = None) -> None:
    """Sent; `msgid` is WeChat's id of a template message, which its result event names."""
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = now
    delivery.wechat_msgid = msgid
    delivery.error_code = delivery.error_message = delivery.retry_after = None


def mark_failed(delivery: Delivery, code: int | None, message: str) -> None:
    """A final failure: recorded, never sent again."""
    delivery.status = DeliveryStatus.FAILED
    _note_error(delivery, code, message)


def mark_unknown(delivery: Delivery, code: int | None, message: str) -> None:
    """The request may or may not have reached the person (timeout): do not resend blindly."""
    delivery.status = DeliveryStatus.UNKNOWN
    _note_error(delivery, code, message)


def mark_unreachable(delivery: Delivery, code: int | None, message: str) -> None:
    """The person cannot be reached this way (not following, or refused this notification):
    recorded, never sent again."""
    delivery.status = DeliveryStatus.UNREACHABLE
    _note_error(delivery, code, message)


TEMPLATE_BLOCKED = "对方已拒收本公众号的模板消息"
TEMPLATE_NOT_DELIVERED = "微信未能送达"


def record_template_result(session: Session, openid: str, msgid: int, status: str, at: dt.datetime) -> Delivery | None:
    """What WeChat says became of a sent template message (TEMPLATESENDJOBFINISH): "failed:user
    block" is a refusal, recorded like any other (the push unreachable, its template not sent to
    them again); another failure marks the push failed. None when no push of ours has that id."""
    delivery = session.scalar(select(Delivery).where(Delivery.wechat_msgid == msgid, Delivery.openid == openid))
    if delivery is None or status == "success":
        return delivery
    if "user block" in status:
        mark_unreachable(delivery, None, TEMPLATE_BLOCKED)
        template_id = delivery.payload.get("template_id") or ""
        record_consent(session, openid, template_id, accepted=False, at=at, source=ConsentSource.SENT)
    else:
        mark_failed(delivery, None, TEMPLATE_NOT_DELIVERED)
    session.flush()
    return delivery


def mark_retry_later(delivery: Delivery, code: int | None, message: str, at: dt.datetime) -> None:
    """WeChat refused for now (busy, quota): stays pending, due again at `at`."""
    delivery.status = DeliveryStatus.PENDING
    delivery.retry_after = at
    _note_error(delivery, code, message)


def _note_error(delivery: Delivery, code: int | None, message: str) -> None:
    delivery.error_code = code
    delivery.error_message = message[:200]


@dataclass(frozen=True)
class DeliveryFilter:
    """What the pushes log is narrowed to (None: any)."""

    status: DeliveryStatus | None = None
    channel: DeliveryChannel | None = None
    to_villagers: bool | None = None  # True: villagers only, False: staff only


def deliveries_page(
    session: Session, actor: User, wanted: DeliveryFilter, number: int, per_page: int
) -> Page[Delivery]:
    """The pushes about the regions `actor` oversees, newest first, with their staff recipients loaded."""
    query = select(Delivery).where(delivery_scope(actor))
    if wanted.status is not None:
        query = query.where(Delivery.status == wanted.status)
    if wanted.channel is not None:
        query = query.where(Delivery.channel == wanted.channel)
    if wanted.to_villagers is not None:
        query = query.where(Delivery.user_id.is_(None) if wanted.to_villagers else Delivery.user_id.is_not(None))
    page = page_of(session, query, number, per_page, [Delivery.id.desc()])
    user_ids = {delivery.user_id for delivery in page.items if delivery.user_id}
    if user_ids:  # one query; each delivery's `user` is then found in the session
        list(session.scalars(select(User).where(User.id.in_(user_ids))))
    return page
