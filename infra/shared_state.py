"""State every worker and host must see alike: counts within a window (绑定 guesses, rate limits)
and the first value kept under a key (the body a WeChat nonce first came with). In Redis when
GUANHU_REDIS_URL is set, else in the database (`models.shared_state`).

Also the one Redis connection pool of the process, which every Redis user here shares (sessions,
sign-in limits, the page cache, the WeChat token, the rate limits): made on first use, not at
start-up, and made anew in a forked worker (redis-py checks the process id on each checkout).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

import redis
from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from infra.clock import now
from infra.database import database
from models import shared_state as rows

REDIS_TIMEOUT = 1  # seconds; Redis answers in well under a millisecond
_pools: dict[str, redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


def redis_pool(url: str) -> redis.ConnectionPool:
    """The process's connection pool for `url`."""
    with _pools_lock:
        if url not in _pools:
            _pools[url] = redis.ConnectionPool.from_url(
                url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
            )
        return _pools[url]


def redis_client(url: str) -> redis.Redis:
    """A client over the process's pool for `url` (clients are cheap; the pool is shared)."""
    return redis.Redis(connection_pool=redis_pool(url))


class SharedStateUnavailable(Exception):
    """The shared store could not be read or written: the caller refuses rather than guesses."""


class SharedState(Protocol):
    def count(self, key: str, window: dt.timedelta, amount: int = 1) -> int: ...
    def remember(self, key: str, value: str, window: dt.timedelta) -> str: ...


class RedisSharedState:
    def __init__(self, client: redis.Redis, prefix: str = "guanhu:shared:"):
        self.redis, self.prefix = client, prefix

    def count(self, key: str, window: dt.timedelta, amount: int = 1) -> int:
        """`amount` more uses of `key` within its window (from its first use); the uses so far
        (with `amount` 0: only read them)."""
        try:
            with self.redis.pipeline() as pipe:  # MULTI: the window starts once, INCRBY keeps it
                pipe.set(self.prefix + key, 0, nx=True, px=_ms(window))
                pipe.incrby(self.prefix + key, amount)
                return int(pipe.execute()[1])
        except redis.RedisError as error:
            raise SharedStateUnavailable(f"Redis unavailable: {error}") from error

    def remember(self, key: str, value: str, window: dt.timedelta) -> str:
        """Keep `value` under `key` for the window unless one is kept; returns the kept value."""
        try:
            with self.redis.pipeline() as pipe:
                pipe.set(self.prefix + key, value, nx=True, px=_ms(window))
                pipe.get(self.prefix + key)
                return pipe.execute()[1].decode()
        except redis.RedisError as error:
            raise SharedStateUnavailable(f"Redis unavailable: {error}") from error


class DatabaseSharedState:
    """Rows written by one statement committed on its own: a count stays even when the request it
    was made for is refused and rolled back. Call before the request's own session writes (on
    SQLite a second writer in the same thread would wait for the first)."""

    def count(self, key: str, window: dt.timedelta, amount: int = 1) -> int:
        return self._mark(rows.mark_params(key, now(), window, amount=amount))[0]

    def remember(self, key: str, value: str, window: dt.timedelta) -> str:
        return self._mark(rows.mark_params(key, now(), window, value=value))[1]

    @staticmethod
    def _mark(params: dict) -> tuple[int, str | None]:
        try:
            return database().first_alone(rows.MARK, params)
        except SQLAlchemyError as error:
            raise SharedStateUnavailable(f"database unavailable: {error}") from error


def _ms(window: dt.timedelta) -> int:
    return max(1, int(window.total_seconds() * 1000))


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["shared_state"] = RedisSharedState(redis_client(url)) if url else DatabaseSharedState()


def shared_state() -> SharedState:
    return current_app.extensions["shared_state"]
