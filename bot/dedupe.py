"""Claims on inbound messages, made before any work, visible to every worker at once.

With GUANHU_REDIS_URL the claim is a Redis `SET NX EX`; otherwise a unique row inserted and
committed in its own short transaction.
"""

from __future__ import annotations

import redis
from flask import Flask, current_app
from sqlalchemy.orm import Session

from models.wechat import claim_message

CLAIM_SECONDS = 24 * 3600  # WeChat's three tries span about 15 s; keep the claim a day
REDIS_PREFIX = "guanhu:wechat:claim:"


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["wechat_redis"] = redis.Redis.from_url(url, socket_timeout=2) if url else None


def claim(session: Session, key: str, *, kind: str, openid: str) -> bool:
    """True for the first delivery of a message, False for a retry. Raises when storage is down.

    In the database the claim is committed at once, before any work, in `session`'s own short
    transaction; the handler's work then runs in a new one.
    """
    from web.clock import now

    client: redis.Redis | None = current_app.extensions["wechat_redis"]
    if client is not None:
        return bool(client.set(REDIS_PREFIX + key, kind, nx=True, ex=CLAIM_SECONDS))
    claimed = claim_message(session, key, kind=kind, openid=openid, now=now())
    session.commit()
    return claimed
