"""The WeChat endpoint over real HTTP on loopback, on a database of its own (threads need their own
connections, which the per-test rolled-back connection cannot give), and with the database down."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, jsonify, request
from sqlalchemy import func, select

from bot.handlers.wechat import BOUND
from bot.replies import SYSTEM_BUSY
from models.audit import AuditEntry
from models.people import Role, User
from models.wechat.binding import issue_bind_code
from models.wechat.entities import InboundMessage
from tests.support import live_server
from tests.support.builders import Builders
from tests.support.live_server import serving
from tests.support.wechat_messages import APPID, STAFF, TOKEN, WeChatMessages
from web import create_app

live_database_url = live_server.live_database_url  # a fixture shared with other loopback tests


@pytest.fixture
def fake_wechat_api() -> Iterator[tuple[str, list[dict]]]:
    """WeChat's API on loopback: a token and the messages we send."""
    api = Flask("fake_wechat_api")
    sent: list[dict] = []

    @api.post("/cgi-bin/stable_token")
    def token():
        return jsonify(access_token="fake-token", expires_in=7200)

    @api.post("/cgi-bin/message/custom/send")
    def custom_send():
        sent.append(json.loads(request.get_data()))  # wechatpy sends no JSON content type
        return jsonify(errcode=0, errmsg="ok")

    with serving(api) as url:
        yield url, sent


@pytest.fixture(params=[False, True], ids=["claims-in-database", "claims-in-redis"])
def live_app(request, live_database_url, clock, tmp_path, fake_wechat_api):
    redis_url = request.getfixturevalue("redis_url") if request.param else None

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": live_database_url,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PUBLIC_BASE_URL": "http://guanhu.test",
            "RATELIMIT_ENABLED": False,
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APPID": APPID,
            "WECHAT_API_BASE_URL": fake_wechat_api[0],
            "REDIS_URL": redis_url,
        }
    )
    claims = app.extensions["wechat_claims"]
    if request.param:
        claims.prefix = f"test-{uuid.uuid4().hex}:"
    yield app
    app.extensions["background"].wait()
    app.extensions["db"].engine.dispose()
    if request.param:
        for key in claims.redis.scan_iter(claims.prefix + "*"):
            claims.redis.delete(key)


@pytest.fixture
def live_session(live_app):
    with live_app.extensions["db"].sessionmaker() as session:
        yield session


def post(base_url: str, query: dict, body: bytes) -> requests.Response:
    return requests.post(
        f"{base_url}/wechat", params=query, data=body, timeout=10, headers={"Content-Type": "text/xml"}
    )


def test_three_retries_at_once_in_threads_are_handled_once(live_app, live_session, clock):
    build = Builders(live_session, clock)
    clerk = build.user(Role.VILLAGE_CLERK, build.county().villages["石桥村"], name="韦小兰")
    code = issue_bind_code(live_session, clerk, clock.now())
    live_session.commit()
    messages = WeChatMessages(clock)
    query, body = messages.request(messages.text(f"绑定 {code}", openid=STAFF))
    start = threading.Barrier(3)
    answers: list[requests.Response] = []

    def send(base_url: str) -> None:
        start.wait()
        answers.append(post(base_url, query, body))

    with serving(live_app) as base_url:
        threads = [threading.Thread(target=send, args=(base_url,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    replies = [messages.read_reply(answer.content, query) for answer in answers]
    handled = [r for r in replies if r is not None]
    assert len(handled) == 1 and handled[0]["Content"] == BOUND.format(name="韦小兰", role="村干部")
    live_session.expire_all()
    assert live_session.scalar(select(User.wechat_openid).where(User.id == clerk.id)) == STAFF
    claim_rows = live_session.scalar(select(func.count()).select_from(InboundMessage))
    if live_app.config["REDIS_URL"]:
        claims = live_app.extensions["wechat_claims"]
        assert claim_rows == 0 and len(list(claims.redis.scan_iter(claims.prefix + "*:claim:*"))) == 1
    else:
        assert claim_rows == 1
    binds = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "wechat_bind")
    assert live_session.scalar(binds) == 1


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/x",
        "sqlite:////nonexistent-directory/guanhu.sqlite3",
    ],
    ids=["postgresql-unreachable", "sqlite-missing-directory"],
)
def test_database_down_gets_a_polite_system_busy_and_a_log_line(database_url, clock, tmp_path, caplog):

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APPID": APPID,
        }
    )
    messages = WeChatMessages(clock)
    query, body = messages.request(messages.text("帮助"))
    with caplog.at_level(logging.ERROR, logger="guanhu.bot"), serving(app) as base_url:
        answer = post(base_url, query, body)
    app.extensions["db"].engine.dispose()
    assert answer.status_code == 200
    assert messages.read_reply(answer.content, query)["Content"] == SYSTEM_BUSY
    assert "database unavailable" in caplog.text
