"""Fixtures: a real database (SQLite, or PostgreSQL with GUANHU_TEST_DATABASE_URL), one
transaction per test rolled back at the end, the app and its client bound to that transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
import requests.adapters
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

import models
from models import people
from models.catalog import ensure_departments
from models.clock import FixedClock
from models.db import make_engine
from tests.support.apps import bound_app, close_test_app
from tests.support.apps import bound_sessionmaker as bound_sessions
from tests.support.builders import Builders
from tests.support.clock import TEST_NOW
from tests.support.fake_wechat import serve_fake_wechat
from tests.support.object_store import new_bucket, s3_server
from tests.support.pages import login
from tests.support.wechat_messages import WECHAT_CONFIG, WeChatMessages

# Argon2 with the least work it allows. The production parameters cost ~50 ms a hash and the suite
# makes hundreds of accounts; tests/people/test_auth.py checks them, and the upgrade between them.
CHEAP_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(people, "password_hasher", CHEAP_PASSWORD_HASHER)
        yield


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
    return bound_sessions(connection)


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


# Its own Redis database, so that runs side by side on one machine keep apart (e.g. 13 and 14).
TEST_REDIS_URL = os.environ.get("GUANHU_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis the tests of shared state talk to; a test that needs it fails without it."""
    try:
        redis.Redis.from_url(TEST_REDIS_URL).ping()
    except redis.RedisError as error:
        pytest.fail(f"this test needs Redis at {TEST_REDIS_URL}: {error}")
    return TEST_REDIS_URL


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
def app_factory(database_url: str, connection, clock: FixedClock, tmp_path):
    """Builds test apps bound to this test's transaction; keyword arguments override the config."""
    apps = []

    def make(**overrides):
        apps.append(bound_app(database_url, connection, clock, tmp_path / "media", **overrides))
        return apps[-1]

    yield make
    for app in apps:
        close_test_app(app)


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


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server on loopback, shared by the whole run."""
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(s3_endpoint: str):
    """An empty bucket of this test's own on that server."""
    return new_bucket(s3_endpoint)
