"""Signing in across workers and hosts: the sessions kept on the server and the count of failed
attempts, in Redis when GUANHU_REDIS_URL is set, else in the database.

Every staff request checks its session here (one Redis HGETALL, or one primary-key lookup), so a
session ended anywhere (signing out, a new password, a stopped account) ends everywhere at once.
"""

from __future__ import annotations

from flask import Flask

from infra.shared_state import redis_client
from infra.sign_in.sessions import DatabaseSessions, RedisSessions
from infra.sign_in.throttle import DatabaseThrottle, RedisThrottle


def init_app(app: Flask) -> None:
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    url = app.config["REDIS_URL"]
    if url:
        client = redis_client(url)
        app.extensions["staff_sessions"] = RedisSessions(client, lifetime)
        app.extensions["sign_in_throttle"] = RedisThrottle(client)
    else:
        app.extensions["staff_sessions"] = DatabaseSessions(lifetime)
        app.extensions["sign_in_throttle"] = DatabaseThrottle()
