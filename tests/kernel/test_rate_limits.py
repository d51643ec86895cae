"""Rate limits are counted where every worker sees them: Redis when configured (over the process's
one connection pool), else the database; in memory only in the embedded mode (SQLite, one process).
Shown on the tracking lookup 我的反映 (/mine), which a guesser of numbers would hammer."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from infra.shared_state import redis_pool
from models.shared_state import SharedMark
from tests.support.pages import csrf_token
from web import create_app
from web.security import limiter


@pytest.mark.parametrize(
    "config, storage",
    [
        ({"DATABASE_URL": "sqlite:///x.sqlite3"}, "memory://"),
        ({"DATABASE_URL": "postgresql+psycopg://u@db/guanhu"}, "guanhu+database://"),
        (
            {"DATABASE_URL": "postgresql+psycopg://u@db/guanhu", "REDIS_URL": "redis://cache:6379/0"},
            "redis://cache:6379/0",
        ),
    ],
    ids=["embedded", "postgresql", "redis"],
)
def test_where_limits_are_counted(config, storage, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "MEDIA_ROOT": str(tmp_path), **config})
    assert app.config["RATELIMIT_STORAGE_URI"] == storage
    app.extensions["db"].engine.dispose()


def limited_worker(app_factory, **config):
    """A worker (app) of one deployment whose tracking lookups are limited to 2 an hour."""
    return app_factory(RATELIMIT_ENABLED=True, COMPLAINT_RATE_LIMIT="2 per hour", **config)


def look_up(app) -> int:
    client = app.test_client()
    form = {"csrf_token": csrf_token(client, "/mine"), "number": "13", "last4": "0000"}
    return client.post("/mine", data=form).status_code


def test_tracking_lookups_are_counted_in_the_database_for_every_worker(app_factory, session):
    config = {"RATELIMIT_STORAGE_URI": "guanhu+database://", "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    first = limited_worker(app_factory, **config)
    assert [look_up(first), look_up(first)] == [404, 404]  # no such complaint: still a guess counted
    assert session.scalars(select(SharedMark.key).where(SharedMark.key.like("limit:%"))).all()
    second = limited_worker(app_factory, **config)  # another worker, with counts of its own in memory
    assert look_up(second) == 429


def test_tracking_lookups_are_counted_in_redis_over_the_one_pool(app_factory, redis_url):
    config = {"REDIS_URL": redis_url, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    first = limited_worker(app_factory, **config)
    assert [look_up(first), look_up(first)] == [404, 404]
    assert look_up(limited_worker(app_factory, **config)) == 429
    pool = redis_pool(redis_url)
    assert limiter.storage.storage.connection_pool is pool
    assert first.extensions["staff_sessions"].redis.connection_pool is pool
    assert first.extensions["shared_state"].redis.connection_pool is pool
