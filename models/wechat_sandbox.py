"""Tables of the sandbox's fake WeChat (only used with GUANHU_WECHAT_SANDBOX on).

They hold what the fake API was sent and what it issued, in the database so that every worker
and the phone simulator page see the same state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, instant, intpk


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
