"""Claims on inbound messages, made before any work, visible to every worker at once.

A message is claimed before its handler runs, so that WeChat's retries (and duplicates arriving
at the same moment on other workers or hosts) find the claim and do nothing. The claim also says
whether staff sent the message (the replies depend on it).

In the database by default: a unique row, committed at once, in one statement with the staff
lookup. With GUANHU_REDIS_URL, in Redis: a key set only if absent, which expires when no retry
can come any more; the sender's staff id is cached beside it and read in the same round trip.
That spares the database a write on every message (bench/README.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cached_property

import redis
from flask import Flask, current_app, has_app_context
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from infra.database import database
from models.people import User
from models.wechat.claims import CLAIM, CLAIMS_KEPT, STAFF_ID_OF_OPENID, Claim, claim_of, claim_params

log = logging.getLogger("guanhu.bot")


class ClaimUnavailable(Exception):
    """Neither a claim nor its refusal could be had: the store did not answer."""


class DatabaseClaims:
    def claim(self, key: str, *, kind: str, openid: str, now: dt.datetime) -> Claim:
        try:
            return claim_of(database().first_alone(CLAIM, claim_params(key, kind=kind, openid=openid, now=now)))
        except SQLAlchemyError as error:
            raise ClaimUnavailable(f"database unavailable: {error}") from error

    def forget_staff(self, openid: str) -> None:
        """Nothing is cached: every claim asks the database."""


# KEYS: the claim, the sender's cached staff id. ARGV: the claim's lifetime in seconds.
# Answers -1 for a retry, -2 when the staff id is not cached (or was just forgotten), else the
# cached id (0: not staff).
CLAIM_SCRIPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return -1 end
local staff = redis.call('GET', KEYS[2])
if staff == false or staff == '?' then return -2 end
return tonumber(staff)
"""


class RedisClaims:
    """Claims as Redis keys, and who is staff as a cache beside them.

    The cached staff id lives 10 minutes. A change of an account's WeChat binding or of its
    `active` flag replaces it with a marker for a minute, set before the change commits: lookups
    meanwhile go to the database and cache nothing, so a lookup racing the commit cannot cache
    the old answer. Handlers that act for staff load the account and check it again
    (`Context.staff`), so a stale id gives no one rights. One openid's keys share a hash slot
    (`{openid}`), as the keys of one script must on Redis Cluster.
    """

    STAFF_SECONDS = 600
    FORGOTTEN_SECONDS = 60

    def __init__(self, url: str, prefix: str = "guanhu:wechat:"):
        self.url, self.prefix = url, prefix

    @cached_property
    def redis(self) -> redis.Redis:
        """One connection per worker, without a pool around it (a pool's checkout and return cost
        a third of the round trip here), made at the worker's first message: not at start-up,
        where Redis being down would stop the app, nor before gunicorn forks. A connection Redis
        closed (restart, failover, idle timeout) is made again once; a timeout is not retried,
        since the claim may have been made. Redis answers in well under a millisecond: a second's
        wait, even twice (the claim, then caching a looked-up id), stays inside WeChat's five."""
        return redis.Redis.from_url(
            self.url,
            single_connection_client=True,
            socket_timeout=1,
            socket_connect_timeout=1,
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )

    @cached_property
    def _claim(self):
        return self.redis.register_script(CLAIM_SCRIPT)

    def claim(self, key: str, *, kind: str, openid: str, now: dt.datetime) -> Claim:
        staff_key = self._staff_key(openid)
        try:
            answer = self._claim(
                keys=[f"{self.prefix}{{{openid}}}:claim:{key}", staff_key], args=[int(CLAIMS_KEPT.total_seconds())]
            )
        except redis.RedisError as error:
            raise ClaimUnavailable(f"Redis unavailable: {error}") from error
        if answer == -1:
            return Claim(first=False, staff_id=None)
        if answer == -2:
            answer = self._look_up_staff(openid, staff_key)
        return Claim(first=True, staff_id=answer or None)

    def _look_up_staff(self, openid: str, staff_key: str) -> int:
        try:
            row = database().first_alone(STAFF_ID_OF_OPENID, {"openid": openid})
        except SQLAlchemyError as error:
            raise ClaimUnavailable(f"database unavailable: {error}") from error
        staff_id = row[0] if row else 0
        try:
            self.redis.set(staff_key, staff_id, nx=True, ex=self.STAFF_SECONDS)  # not over a marker
        except redis.RedisError as error:
            log.warning("staff id of a WeChat user not cached: %s", error)
        return staff_id

    def forget_staff(self, openid: str) -> None:
        try:
            self.redis.set(self._staff_key(openid), "?", ex=self.FORGOTTEN_SECONDS)
        except redis.RedisError as error:  # the cached id then lives out its 10 minutes
            log.error("WeChat staff cache not cleared for a changed account: %s", error)

    def _staff_key(self, openid: str) -> str:
        return f"{self.prefix}{{{openid}}}:staff"


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["wechat_claims"] = RedisClaims(url) if url else DatabaseClaims()


def claim(key: str, *, kind: str, openid: str, now: dt.datetime) -> Claim:
    """Claim the message and learn whether staff sent it. Raises ClaimUnavailable when the store is down."""
    return current_app.extensions["wechat_claims"].claim(key, kind=kind, openid=openid, now=now)


@event.listens_for(User.wechat_openid, "set", active_history=True)
def _binding_changed(user: User, openid: str | None, previous: object, _initiator: object) -> None:
    for changed in (openid, previous):
        if isinstance(changed, str):
            _forget_staff(changed)


@event.listens_for(User.active, "set")
def _activity_changed(user: User, _active: bool, _previous: object, _initiator: object) -> None:
    if user.wechat_openid:
        _forget_staff(user.wechat_openid)


def _forget_staff(openid: str) -> None:
    if has_app_context() and "wechat_claims" in current_app.extensions:
        current_app.extensions["wechat_claims"].forget_staff(openid)
