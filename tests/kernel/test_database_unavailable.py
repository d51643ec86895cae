"""When the database cannot answer (down, unreachable, locked): pages say 系统繁忙 with 503 and no
stack, and /wechat stays inside WeChat's 5 seconds even when SQLite is locked by another writer."""

from __future__ import annotations

import sqlite3
import time

import pytest

from bot.replies import SYSTEM_BUSY
from models import Base
from models.db import make_engine
from tests.support.pages import visible_text
from tests.support.wechat_messages import WECHAT_CONFIG, WeChatMessages, post
from web import create_app


def app_on(database_url: str, clock, tmp_path, **config):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "RATELIMIT_ENABLED": False,
            **config,
        }
    )


@pytest.mark.parametrize(
    "database_url",
    ["postgresql+psycopg://postgres@127.0.0.1:1/x", "sqlite:////nonexistent-directory/guanhu.sqlite3"],
    ids=["postgresql-unreachable", "sqlite-missing-directory"],
)
def test_a_page_needing_the_database_says_system_busy_with_503(database_url, clock, tmp_path, caplog):
    app = app_on(database_url, clock, tmp_path)
    response = app.test_client().get("/a/some-card-token")
    app.extensions["db"].engine.dispose()
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "系统繁忙，请稍后再试。" in visible_text(page)
    assert "Traceback" not in page and "OperationalError" not in page
    assert "database unavailable" in caplog.text


def test_a_locked_sqlite_keeps_wechat_inside_its_five_seconds(clock, tmp_path):
    path = tmp_path / "locked.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    app = app_on(f"sqlite:///{path}", clock, tmp_path, **WECHAT_CONFIG)
    messages = WeChatMessages(clock)
    other_writer = sqlite3.connect(path, isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock (a long import, a vacuum …)
    try:
        started = time.monotonic()
        response, query = post(app.test_client(), messages, messages.text("帮助"))
        waited = time.monotonic() - started
    finally:
        other_writer.rollback()
        other_writer.close()
        app.extensions["db"].engine.dispose()
    assert response.status_code == 200
    assert messages.read_reply(response.get_data(), query)["Content"] == SYSTEM_BUSY
    assert waited < 5  # WeChat's budget; SQLite's own busy timeout is 30 s
