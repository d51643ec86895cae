"""Fixtures: a real database (SQLite, or PostgreSQL with GUANHU_TEST_DATABASE_URL), one
transaction per test rolled back at the end, the app and its client bound to that transaction."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
import requests.adapters
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

import models
from models.catalog import ensure_departments
from models.clock import FixedClock
from models.db import make_engine
from tests.support.builders import Builders
from tests.support.clock import TEST_NOW
from tests.support.fake_wechat import serve_fake_wechat
from tests.support.pages import login
from tests.support.wechat_messages import WECHAT_CONFIG, WeChatMessages
from web import create_app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("GUANHU_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def engine(database_url: str):
    engine = make_engine(database_url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            models.Base.metadata.drop_all(connection)
        models.Base.metadata.create_all(connection)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def bound_sessionmaker(connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(bound_sessionmaker: sessionmaker[Session]):
    with bound_sessionmaker() as session:
        yield session


WECHAT_HOSTS = ("api.weixin.qq.com", "mp.weixin.qq.com", "open.weixin.qq.com")


@pytest.fixture(autouse=True)
def no_real_wechat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any HTTP request to WeChat's real servers fails the test (use the sandbox's fake)."""

    send = requests.adapters.HTTPAdapter.send

    def guarded(adapter, request, *args, **kwargs):
        if urlsplit(request.url).hostname in WECHAT_HOSTS:
            pytest.fail(f"a test called the real WeChat: {request.method} {request.url.split('?')[0]}")
        return send(adapter, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", guarded)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def build(session: Session, clock: FixedClock) -> Builders:
    return Builders(session, clock)


@pytest.fixture
def county(build: Builders):
    """The demo county's shape: 示范区 with 3 towns and 12 villages, and its departments."""
    county = build.county()
    ensure_departments(build.session, county.district)
    return county


@pytest.fixture
def app_factory(database_url: str, connection, bound_sessionmaker: sessionmaker[Session], clock: FixedClock, tmp_path):
    """Builds test apps bound to this test's transaction; keyword arguments override the config."""

    apps = []

    def make(**overrides):
        config = {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PUBLIC_BASE_URL": "http://guanhu.test",
            "RATELIMIT_ENABLED": False,
            "PUBLIC_PAGE_CACHE_SECONDS": 0,
        }
        app = create_app({**config, **overrides})
        app.extensions["db"].bind_to(connection, bound_sessionmaker)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["db"].engine.dispose()
        client = app.extensions.get("wechat_client")
        if client is not None:  # an open socket is a warning, so an error
            client._http.close()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    def do(user) -> None:
        login(client, user)

    return do


@pytest.fixture
def messages(clock: FixedClock) -> WeChatMessages:
    """Messages as WeChat sends them, timed by the test's clock."""
    return WeChatMessages(clock)


@pytest.fixture
def wechat_client(app_factory):
    """A test client of an app whose /wechat answers in plain mode."""
    return app_factory(**WECHAT_CONFIG).test_client()


@pytest.fixture(scope="session")
def fake_wechat_server(tmp_path_factory: pytest.TempPathFactory):
    """The sandbox's fake WeChat API on a real loopback port, shared by the whole run."""

    with serve_fake_wechat(tmp_path_factory.mktemp("fake-wechat")) as server:
        yield server


@pytest.fixture
def fake(fake_wechat_server):
    """The fake WeChat API with nothing recorded and no failure planned."""
    fake_wechat_server.reset()
    return fake_wechat_server
