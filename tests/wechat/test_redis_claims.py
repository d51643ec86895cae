"""With GUANHU_REDIS_URL the claims on WeChat messages are Redis keys, and who is staff is cached
beside them: still one handling per message, and a binding seen at the next message."""

from __future__ import annotations

import logging
import uuid

import pytest
import redis
from sqlalchemy import update

from bot.dedupe import RedisClaims
from bot.handlers.help import VILLAGER_HELP
from bot.handlers.wechat import BOUND
from bot.replies import SYSTEM_BUSY
from models.people import Role, User
from models.wechat.binding import issue_bind_code, unbind_wechat
from models.wechat.claims import CLAIMS_KEPT
from tests.support.wechat_messages import STAFF, VILLAGER, WECHAT_CONFIG, claims, reply


@pytest.fixture
def app(app_factory, redis_url):
    """An app whose claims go to Redis, under a key prefix of this test's own."""
    app = app_factory(**WECHAT_CONFIG, REDIS_URL=redis_url)
    store: RedisClaims = app.extensions["wechat_claims"]
    store.prefix = f"test-{uuid.uuid4().hex}:"
    yield app
    for key in store.redis.scan_iter(store.prefix + "*"):
        store.redis.delete(key)


@pytest.fixture
def store(app) -> RedisClaims:
    return app.extensions["wechat_claims"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clerk(build, county):
    return build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="韦小兰")


def staff_key(store: RedisClaims, openid: str) -> str:
    return f"{store.prefix}{{{openid}}}:staff"


def test_retries_are_handled_once_and_the_database_writes_no_claim(client, messages, session, store, clerk, clock):
    code = issue_bind_code(session, clerk, clock.now())
    xml = messages.text(f"绑定 {code}", openid=STAFF)
    answers = [reply(client, messages, xml) for _ in range(4)]
    assert answers[0]["Content"] == BOUND.format(name="韦小兰", role="村干部")
    assert answers[1:] == [None, None, None]
    assert claims(session) == 0
    [claim] = list(store.redis.scan_iter(f"{store.prefix}{{{STAFF}}}:claim:*"))
    assert CLAIMS_KEPT.total_seconds() - 5 < store.redis.ttl(claim) <= CLAIMS_KEPT.total_seconds()


def test_a_villager_is_looked_up_once_then_known_from_the_cache(client, messages, store, session):
    assert reply(client, messages, messages.text("帮助", msg_id=1))["Content"] == VILLAGER_HELP
    assert store.redis.get(staff_key(store, VILLAGER)) == b"0"
    assert 0 < store.redis.ttl(staff_key(store, VILLAGER)) <= RedisClaims.STAFF_SECONDS
    session.execute(update(User).values(wechat_openid=None))  # the database is not asked again
    assert reply(client, messages, messages.text("帮助", msg_id=2))["Content"] == VILLAGER_HELP


def test_binding_and_unbinding_are_seen_at_the_next_message(app, client, messages, store, session, clerk, clock):
    assert reply(client, messages, messages.text("帮助", openid=STAFF, msg_id=1))["Content"] == VILLAGER_HELP
    code = issue_bind_code(session, clerk, clock.now())
    assert reply(client, messages, messages.text(f"绑定 {code}", openid=STAFF, msg_id=2))["Content"].startswith(
        "绑定成功"
    )
    assert store.redis.get(staff_key(store, STAFF)) == b"?"  # forgotten, and nothing cached over it
    assert "韦小兰您好（村干部）" in reply(client, messages, messages.text("帮助", openid=STAFF, msg_id=3))["Content"]
    assert store.redis.get(staff_key(store, STAFF)) == b"?"

    store.redis.delete(staff_key(store, STAFF))  # the minute has passed
    assert "韦小兰您好" in reply(client, messages, messages.text("帮助", openid=STAFF, msg_id=4))["Content"]
    assert store.redis.get(staff_key(store, STAFF)) == str(clerk.id).encode()

    session.expire(clerk)  # bound through the endpoint's session
    with app.app_context():
        unbind_wechat(session, clerk, clock.now())
    session.flush()
    assert store.redis.get(staff_key(store, STAFF)) == b"?"
    assert reply(client, messages, messages.text("帮助", openid=STAFF, msg_id=5))["Content"] == VILLAGER_HELP


def test_a_cached_staff_id_gives_no_rights_once_the_account_is_switched_off(client, messages, store, session, clerk):
    session.execute(update(User).where(User.id == clerk.id).values(wechat_openid=STAFF))
    assert "韦小兰您好" in reply(client, messages, messages.text("帮助", openid=STAFF, msg_id=1))["Content"]
    session.execute(update(User).where(User.id == clerk.id).values(active=False))  # behind the cache's back
    assert store.redis.get(staff_key(store, STAFF)) == str(clerk.id).encode()
    assert reply(client, messages, messages.text("帮助", openid=STAFF, msg_id=2))["Content"] == VILLAGER_HELP


def test_redis_down_gets_a_polite_system_busy_and_a_log_line(app_factory, messages, session, caplog):
    client = app_factory(**WECHAT_CONFIG, REDIS_URL="redis://127.0.0.1:1/0").test_client()
    with caplog.at_level(logging.ERROR, logger="guanhu.bot"):
        assert reply(client, messages, messages.text("帮助"))["Content"] == SYSTEM_BUSY
    assert "Redis unavailable" in caplog.text
    assert claims(session) == 0


def test_a_connection_closed_by_redis_is_made_again(client, messages, store, redis_url):
    assert reply(client, messages, messages.text("帮助", msg_id=1))["Content"] == VILLAGER_HELP
    killer = redis.Redis.from_url(redis_url)
    assert killer.client_kill_filter(_id=store.redis.client_id()) == 1  # a restart, a timeout, a failover
    assert reply(client, messages, messages.text("帮助", msg_id=2))["Content"] == VILLAGER_HELP
