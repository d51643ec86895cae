"""WeChat as stored: visitors, claims on inbound messages, bind codes, shared credentials, every
push we made (deliveries), who accepted or refused which notification template (consents), and
the sandbox's fake WeChat."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk

if TYPE_CHECKING:
    from models.people import User


class WeChatVisitor(Base):
    """Someone who follows (or followed) the official account, staff or villager alike."""

    __tablename__ = "wechat_visitors"

    id: Mapped[intpk]
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    subscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[instant]
    bind_failures: Mapped[int] = mapped_column(Integer, default=0)
    bind_failures_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The asset whose card they scanned (or whose page they opened) last, and when.
    last_asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    last_asset_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class InboundMessage(Base):
    """A claim on one inbound message or event: the key makes every retry a no-op.

    One B-tree and nothing else (the key is the primary key; on SQLite the table has no rowid):
    a row is written for every message, and each index more is written with it. The daily purge
    by `received_at` scans the table instead, which holds two days of messages.
    """

    __tablename__ = "wechat_inbound_messages"
    __table_args__ = {"sqlite_with_rowid": False}

    dedupe_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[instant]
    kind: Mapped[str] = mapped_column(String(40))
    openid: Mapped[str] = mapped_column(String(64))


# On PostgreSQL the claims skip the write-ahead log: a claim then commits without waiting for a
# disk flush (measured: 0.36 ms instead of 0.92 ms here). Claims are worth only the 15 s of
# WeChat's retries; after a crash PostgreSQL empties the table, and at worst a retry arriving
# just then is handled twice. (Models and migration 0002 both apply it.)
SET_CLAIMS_UNLOGGED = f"ALTER TABLE {InboundMessage.__tablename__} SET UNLOGGED"


SET_CLAIMS_LOGGED = f"ALTER TABLE {InboundMessage.__tablename__} SET LOGGED"


event.listen(InboundMessage.__table__, "after_create", DDL(SET_CLAIMS_UNLOGGED).execute_if(dialect="postgresql"))


class BindCode(Base):
    """A one-time code a signed-in staff member sends from WeChat to link the two."""

    __tablename__ = "wechat_bind_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[instant]
    expires_at: Mapped[instant]
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class StoredCredential(Base):
    """One key of the shared store (a text value); a row past `expires_at` counts as absent."""

    __tablename__ = "wechat_tokens"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DeliveryChannel(LabelledEnum):
    CUSTOM = ("custom", "客服消息")
    TEMPLATE = ("template", "模板消息")
    SUBSCRIBE = ("subscribe", "订阅通知")


class DeliveryStatus(LabelledEnum):
    PENDING = ("pending", "待发送")
    SENT = ("sent", "已发送")
    FAILED = ("failed", "发送失败")
    UNKNOWN = ("unknown", "结果不明")
    UNREACHABLE = ("unreachable", "无法送达")  # not following, or refused this kind of notification


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(200), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    # The staff member the openid belonged to when the push was made (None: a villager), and the
    # region the push is about (the staff member's, or the asset's village for a villager):
    # who may see the push in the log.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    user: Mapped[User | None] = relationship()
    channel: Mapped[DeliveryChannel] = mapped_column(enum_column(DeliveryChannel))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), index=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(200))
    # Set when WeChat asked us to come back later (system busy, per-minute quota).
    retry_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # sends tried
    # WeChat's id of a sent template message: its result (TEMPLATESENDJOBFINISH) names it.
    wechat_msgid: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[instant]
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Delivery {self.key} {self.status.value}>"


class ConsentSource(LabelledEnum):
    POPUP = ("popup", "订阅弹窗")  # subscribe_msg_popup_event
    CHANGE = ("change", "通知管理")  # subscribe_msg_change_event: changed in WeChat's settings
    SENT = ("sent", "发送结果")  # subscribe_msg_sent_event
    SEND_REFUSED = ("send_refused", "发送被拒")  # WeChat answered a send with 43101


class NotificationConsent(Base):
    """Whether a person accepts notifications of one template (订阅通知), as WeChat last told us."""

    __tablename__ = "wechat_notification_consents"
    __table_args__ = (UniqueConstraint("openid", "template_id"),)

    id: Mapped[intpk]
    openid: Mapped[str] = mapped_column(String(64))
    template_id: Mapped[str] = mapped_column(String(128))
    accepted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[instant]  # when the person decided (the event's CreateTime)
    source: Mapped[ConsentSource] = mapped_column(enum_column(ConsentSource))


class SandboxCall(Base):
    """One call the fake API answered, or one message the simulated phone sent or received."""

    __tablename__ = "sandbox_calls"

    id: Mapped[intpk]
    path: Mapped[str] = mapped_column(String(100), index=True)
    openid: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[instant]


class SandboxMedia(Base):
    """A temporary media file of the fake API (photos the simulated phone sends, uploads)."""

    __tablename__ = "sandbox_media"

    media_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(60))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[instant]


class SandboxValue(Base):
    """Something the fake issued or was told: an access token, an OAuth code, a ticket, a fault."""

    __tablename__ = "sandbox_values"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20), index=True)
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text, default="")
    remaining: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
