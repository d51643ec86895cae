"""One-time links that let a person set their password (a new account's first, or after a reset)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.people import User


class LinkDelivery(LabelledEnum):
    WECHAT = ("wechat", "发送到本人绑定的微信")
    SHOWN = ("shown", "显示给管理员转告本人")


class PasswordLink(Base):
    """Only the token's hash is kept: the token itself is shown once (or sent) and never stored.
    A link sent to a WeChat opens only for the account signed in through that WeChat, so that the
    copy kept in the pushes log is of no use to anyone else."""

    __tablename__ = "password_links"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    delivery: Mapped[LinkDelivery] = mapped_column(enum_column(LinkDelivery))
    openid: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[instant]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
