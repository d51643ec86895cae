"""Who accepts or refuses which notification template (订阅通知), as WeChat tells us.

WeChat reports a person's choice in the subscription popup, a later change in their settings,
and a send it refused (event 43101, or the same code answering our send). Only the latest
decision counts: an event that arrives late (retries, reordering) never overrides a newer one.
A refused template is not sent to that person again until they accept it anew.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, exists, literal, select
from sqlalchemy.orm import Session

from models.wechat.entities import ConsentSource, NotificationConsent

TEMPLATE_ID_LENGTH = 128


def record_consent(
    session: Session, openid: str, template_id: str, *, accepted: bool, at: dt.datetime, source: ConsentSource
) -> NotificationConsent | None:
    """Record the person's decision about `template_id` made at `at`; None (and nothing stored)
    for a template id no WeChat template can have."""
    if not 0 < len(template_id) <= TEMPLATE_ID_LENGTH:
        return None
    consent = session.scalar(
        select(NotificationConsent).where(
            NotificationConsent.openid == openid, NotificationConsent.template_id == template_id
        )
    )
    if consent is None:
        consent = NotificationConsent(openid=openid, template_id=template_id)
        session.add(consent)
    elif consent.changed_at > at:
        return consent  # a newer decision is already known
    consent.accepted, consent.changed_at, consent.source = accepted, at, source
    session.flush()
    return consent


def refused(openid_column: ColumnElement[str], template_id: str) -> ColumnElement[bool]:
    """The condition "the person of `openid_column` refused notifications of `template_id`"."""
    return exists().where(
        and_(
            NotificationConsent.openid == openid_column,
            NotificationConsent.template_id == template_id,
            NotificationConsent.accepted.is_(False),
        )
    )


def has_refused(session: Session, openid: str, template_id: str) -> bool:
    return bool(session.scalar(select(refused(literal(openid), template_id))))
