"""Where failed sign-ins are counted: the database (models.sign_in.throttle), or Redis. The policy
(how many failures, how long a lock) is the domain's, alike in both; times are the app's clock."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Protocol

import redis
from flask import current_app

from infra.clock import now
from infra.database import database
from models.sign_in import throttle as counts
from models.sign_in.throttle import Backoff


class ThrottleUnavailable(Exception):
    """The count of failures could not be read or kept: no password is checked meanwhile."""


class Throttle(Protocol):
    def locked_until(self, keys: list[str]) -> dt.datetime | None: ...
    def count_failure(self, key: str, backoff: Backoff) -> dt.datetime | None: ...
    def forget(self, key: str) -> None: ...


class DatabaseThrottle:
    """Rows kept in transactions of their own: a failed sign-in answers 401, which rolls the
    request's own work back, and the count must stay."""

    def locked_until(self, keys: list[str]) -> dt.datetime | None:
        with database().sessionmaker.begin() as session:
            return counts.locked_until(session, keys, now())

    def count_failure(self, key: str, backoff: Backoff) -> dt.datetime | None:
        with database().sessionmaker.begin() as session:
            return counts.count_failure(session, key, backoff, now())

    def forget(self, key: str) -> None:
        with database().sessionmaker.begin() as session:
            counts.forget_failures(session, key)


# KEYS[1]: the key's hash. ARGV: now (epoch seconds), seconds after which a failure counts as the
# first again, seconds the hash is kept. Answers the number of failures in a row, this one included.
COUNT_SCRIPT = """
local now = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '')
local failures = 1
if last and now - last <= tonumber(ARGV[2]) then
  failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0') + 1
else
  redis.call('HDEL', KEYS[1], 'locked')
end
redis.call('HSET', KEYS[1], 'failures', failures, 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return failures
"""


class RedisThrottle:
    def __init__(self, client: redis.Redis, prefix: str = "guanhu:sign-in:"):
        self.redis, self.prefix = client, prefix

    @cached_property
    def _count(self):
        return self.redis.register_script(COUNT_SCRIPT)

    def locked_until(self, keys: list[str]) -> dt.datetime | None:
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hget(self.prefix + key, "locked")
                locks = pipe.execute()
        except redis.RedisError as error:
            raise ThrottleUnavailable(str(error)) from error
        until = max((float(lock) for lock in locks if lock), default=None)
        if until is None or until <= now().timestamp():
            return None
        return dt.datetime.fromtimestamp(until, dt.UTC)

    def count_failure(self, key: str, backoff: Backoff) -> dt.datetime | None:
        at = now()
        kept = int((backoff.forget_after + backoff.longest_lock).total_seconds())
        try:
            forget = backoff.forget_after.total_seconds()
            failures = self._count(keys=[self.prefix + key], args=[at.timestamp(), forget, kept])
            lock = backoff.lock_after(int(failures))
            if not lock:
                return None
            until = at + lock
            self.redis.hset(self.prefix + key, "locked", until.timestamp())
        except redis.RedisError as error:
            raise ThrottleUnavailable(str(error)) from error
        return until

    def forget(self, key: str) -> None:
        try:
            self.redis.delete(self.prefix + key)
        except redis.RedisError as error:
            raise ThrottleUnavailable(str(error)) from error


def throttle() -> Throttle:
    return current_app.extensions["sign_in_throttle"]
