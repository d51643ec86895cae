"""Apps whose sessions, failed sign-ins and shared counts are kept in the database or in Redis, and a WeChat
visitor going through OAuth (snsapi_base) against the sandbox's fake WeChat."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from tests.support.fake_wechat import FakeWeChat

STORES = ["database", "redis"]
WECHAT_BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 10) MicroMessenger/8.0.33.2320 NetType/4G"}


@contextmanager
def keys_of_its_own(app: Flask, prefix: str | None = None) -> Iterator[Flask]:
    """The app's sessions and counts under a Redis prefix of this test's own (apps standing for
    several workers of one deployment share one), removed afterwards."""
    prefix = prefix or f"test-{uuid.uuid4().hex}:"
    sessions, throttle = app.extensions["staff_sessions"], app.extensions["sign_in_throttle"]
    sessions.prefix, throttle.prefix = prefix + "session:", prefix + "sign-in:"
    app.extensions["shared_state"].prefix = prefix + "shared:"
    app.extensions["wechat_claims"].prefix = prefix + "wechat:"
    try:
        yield app
    finally:
        for key in sessions.redis.scan_iter(prefix + "*"):
            sessions.redis.delete(key)


@contextmanager
def app_keeping_sign_ins_in(
    store: str, app_factory, redis_url: str | None, prefix: str | None = None, **config
) -> Iterator[Flask]:
    if store == "database":
        yield app_factory(**config)
        return
    with keys_of_its_own(app_factory(REDIS_URL=redis_url, **config), prefix) as app:
        yield app


def through_wechat_oauth(client, fake: FakeWeChat, path: str, openid: str):
    """Open `path` in WeChat's browser as the WeChat user `openid`: WeChat's OAuth gives the page a
    code (issued here by the fake, as its authorize page would), and the page comes back with it.
    Returns the answer at the end of the trip."""
    start = client.get(path, headers=WECHAT_BROWSER)
    assert start.status_code == 302, start.get_data(as_text=True)
    authorize = urlsplit(start.headers["Location"])
    assert authorize.path.endswith("/connect/oauth2/authorize")
    query = parse_qs(authorize.query)
    assert query["scope"] == ["snsapi_base"]
    back = urlsplit(query["redirect_uri"][0])
    return client.get(back.path, query_string={"code": fake.issue_code(openid), "state": query["state"][0]})
