"""Who follows the account (villagers and staff alike), and which of them are staff."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    bindparam,
    select,
)
from sqlalchemy.orm import Session, lazyload

from models.assets.entities import Asset, AssetStatus
from models.people import User
from models.wechat.entities import WeChatVisitor

RECENT_SCAN = dt.timedelta(days=7)  # how long a scanned card stays "the asset they mean"

_ACTIVE_STAFF_OF_OPENID = (User.wechat_openid == bindparam("openid"), User.active.is_(True))


def _visitor(session: Session, openid: str, now: dt.datetime) -> WeChatVisitor:
    visitor = session.scalar(select(WeChatVisitor).where(WeChatVisitor.openid == openid))
    if visitor is None:
        visitor = WeChatVisitor(openid=openid, subscribed=True, last_seen_at=now, bind_failures=0)
        session.add(visitor)
    visitor.last_seen_at = now
    return visitor


def record_subscribe(session: Session, openid: str, now: dt.datetime) -> WeChatVisitor:
    visitor = _visitor(session, openid, now)
    visitor.subscribed = True
    visitor.subscribed_at = now
    session.flush()
    return visitor


def record_unsubscribe(session: Session, openid: str, now: dt.datetime) -> WeChatVisitor:
    """Mark the visitor as gone: nothing more may be pushed to them until they follow again."""
    visitor = _visitor(session, openid, now)
    visitor.subscribed = False
    visitor.unsubscribed_at = now
    session.flush()
    return visitor


def record_seen(session: Session, openid: str, now: dt.datetime) -> WeChatVisitor:
    visitor = _visitor(session, openid, now)
    session.flush()
    return visitor


def record_scan(session: Session, openid: str, asset: Asset, now: dt.datetime) -> WeChatVisitor:
    """The visitor scanned `asset`'s card (or opened its page): the asset they most likely mean next."""
    visitor = _visitor(session, openid, now)
    visitor.last_asset_id, visitor.last_asset_at = asset.id, now
    session.flush()
    return visitor


def recently_scanned(session: Session, openid: str, now: dt.datetime) -> Asset | None:
    """The asset the visitor scanned last, if within RECENT_SCAN and still in use."""
    asset = session.scalar(
        select(Asset)
        .join(WeChatVisitor, WeChatVisitor.last_asset_id == Asset.id)
        .where(WeChatVisitor.openid == openid, WeChatVisitor.last_asset_at >= now - RECENT_SCAN)
    )
    return asset if asset is not None and asset.status is not AssetStatus.DISPOSED else None


def can_push(session: Session, openid: str) -> bool:
    """Whether messages may be pushed to this openid (it has not unfollowed the account)."""
    subscribed = session.scalar(select(WeChatVisitor.subscribed).where(WeChatVisitor.openid == openid))
    return subscribed is not False


def reachable_staff_openids(session: Session) -> list[str]:
    """The WeChat of every active member of staff who has bound one and still follows the account."""
    unfollowed = select(WeChatVisitor.openid).where(WeChatVisitor.subscribed.is_(False))
    query = select(User.wechat_openid).where(
        User.active.is_(True), User.wechat_openid.is_not(None), User.wechat_openid.not_in(unfollowed)
    )
    return list(session.scalars(query.order_by(User.id)))


_STAFF_BY_OPENID = select(User).where(*_ACTIVE_STAFF_OF_OPENID).options(lazyload("*"))


def staff_for_openid(session: Session, openid: str) -> User | None:
    """The active staff member whose WeChat this is, or None (a villager)."""
    return session.scalar(_STAFF_BY_OPENID, {"openid": openid})
