"""Where the WeChat access token and jsapi ticket live, shared by every worker and the scheduler.

Both stores are wechatpy session storages (get/set/delete) with one more thing wechatpy lacks:
`lock(name)`, held while a credential is refreshed so that processes never refresh it against
each other. Embedded mode keeps them in the database; with GUANHU_REDIS_URL, in Redis.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import redis
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage

from infra.shared_state import redis_client
from models.wechat.credentials import delete_credential, drop_lease, read_credential, take_lease, write_credential

LOCK_SECONDS = 30  # a crashed holder blocks the others at most this long
WAIT_SECONDS = 15  # how long a worker waits for another one's refresh


class LockBusy(RuntimeError):
    """Another process held the refresh lock for longer than we wait."""


def _utcnow() -> dt.datetime:
    # Tokens expire in WeChat's real time, not in the app's (possibly simulated) clock.
    return dt.datetime.now(dt.UTC)


class DatabaseStorage(SessionStorage):
    """Credentials in the `wechat_tokens` table; each call is its own short transaction."""

    def __init__(self, sessions: sessionmaker[Session], wait_seconds: float = WAIT_SECONDS):
        self.sessions = sessions
        self.wait_seconds = wait_seconds

    def get(self, key: str, default: Any = None) -> Any:
        with self.sessions() as session:
            value = read_credential(session, key, _utcnow())
        return default if value is None else json.loads(value)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        expires_at = _utcnow() + dt.timedelta(seconds=ttl) if ttl else None
        with self.sessions.begin() as session:
            write_credential(session, key, json.dumps(value), expires_at)

    def delete(self, key: str) -> None:
        with self.sessions.begin() as session:
            delete_credential(session, key)

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        holder = secrets.token_hex(8)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            with self.sessions.begin() as session:
                if take_lease(session, name, holder, _utcnow(), LOCK_SECONDS):
                    break
            if time.monotonic() > deadline:
                raise LockBusy(name)
            time.sleep(0.05)
        try:
            yield
        finally:
            with self.sessions.begin() as session:
                drop_lease(session, name, holder)


class RedisTokenStorage(RedisStorage):
    """wechatpy's Redis storage plus a Redis lock for refreshes."""

    def __init__(self, url: str, prefix: str = "guanhu:wechat", wait_seconds: float = WAIT_SECONDS):
        super().__init__(redis_client(url), prefix)
        self.wait_seconds = wait_seconds

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        lock = self.redis.lock(self.key_name(f"lock:{name}"), timeout=LOCK_SECONDS, blocking_timeout=self.wait_seconds)
        if not lock.acquire():
            raise LockBusy(name)
        try:
            yield
        finally:
            with contextlib.suppress(redis.exceptions.LockError):  # expired while we worked
                lock.release()
