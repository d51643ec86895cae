"""The page cache's own door: a card scanned again by anonymous visitors is answered from the
cache, with the app's bytes and headers and against the app's rate limit, without the app."""

from __future__ import annotations

import pytest
import redis

from web.assets.page_cache import RedisPageCache

IGNORED = {"X-Request-Id"}  # one per request


@pytest.fixture
def counted(app_factory):
    """An app with the page cache and rate limits on, counting how often the page's view runs."""

    def make(limit: str = "100 per minute"):
        app = app_factory(PUBLIC_PAGE_CACHE_SECONDS=30, RATELIMIT_ENABLED=True, PUBLIC_PAGE_RATE_LIMIT=limit)
        view = app.view_functions["asset_page.asset"]
        app.view_calls = 0

        def counting(**kwargs):
            app.view_calls += 1
            return view(**kwargs)

        app.view_functions["asset_page.asset"] = counting
        return app

    return make


@pytest.fixture
def asset(build, county):
    return build.asset(county.villages["石桥村"], name="石桥村道路")


def test_a_cached_page_is_answered_with_the_apps_bytes_and_headers_without_the_app(counted, asset):
    app = counted()
    client = app.test_client()
    path = f"/a/{asset.public_token}"
    first, again = client.get(path), client.get(path)
    assert app.view_calls == 1  # the second answer came from the door
    assert first.status_code == again.status_code == 200 and "石桥村道路" in again.get_data(as_text=True)
    assert again.data == first.data
    assert {k: v for k, v in first.headers.items() if k not in IGNORED} == {
        k: v for k, v in again.headers.items() if k not in IGNORED
    }
    assert not any(name.startswith("X-RateLimit") for name in again.headers.keys())
    assert len(again.headers["X-Request-Id"]) == 16 and again.headers["X-Request-Id"] != first.headers["X-Request-Id"]


def test_cached_answers_are_not_counted_but_everything_reaching_the_app_is(counted, asset):
    app = counted("3 per minute")
    client = app.test_client()
    scans = [client.get(f"/a/{asset.public_token}").status_code for _ in range(6)]
    assert scans == [200] * 6 and app.view_calls == 1  # one render counted; five answers from the cache
    guesses = [client.get(f"/a/Guess{n:017d}").status_code for n in range(3)]
    assert guesses == [404, 404, 429]  # token guessing meets the limit: the render and two misses
    refused = client.get(f"/a/Guess{9:017d}")
    assert refused.status_code == 429 and "操作太频繁" in refused.get_data(as_text=True)
    other = client.get(f"/a/Guess{1:017d}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 404  # the limit is per visitor


def test_signed_in_or_known_visitors_and_queries_go_to_the_app(counted, asset):
    app = counted()
    client = app.test_client()
    path = f"/a/{asset.public_token}"
    client.get(path)
    client.get(path + "?recorded=1")
    client.head(path)
    assert app.view_calls == 3
    client.set_cookie("guanhu_session", "anything")
    client.get(path)
    assert app.view_calls == 4


def test_over_https_the_door_sends_hsts_and_a_sane_request_id_from_the_proxy(counted, asset):
    app = counted()
    client = app.test_client()
    path = f"/a/{asset.public_token}"
    client.get(path, base_url="https://guanhu.test")
    hit = client.get(path, base_url="https://guanhu.test", headers={"X-Request-Id": "proxy123"})
    odd = client.get(path, headers={"X-Request-Id": "请求号"})
    assert app.view_calls == 1
    assert hit.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in odd.headers
    assert hit.headers["X-Request-Id"] == "proxy123" and odd.headers["X-Request-Id"].isascii()


def test_an_unknown_token_is_never_cached_and_gets_the_friendly_404(counted):
    app = counted()
    client = app.test_client()
    answers = [client.get("/a/NoSuchToken0000000000") for _ in range(2)]
    assert [a.status_code for a in answers] == [404, 404] and app.view_calls == 2


@pytest.fixture
def shared_cache(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    for key in client.scan_iter(RedisPageCache.PREFIX + "*"):
        client.delete(key)


def test_with_redis_a_page_rendered_by_one_worker_is_served_by_another(app_factory, asset, shared_cache, redis_url):
    one, two = (app_factory(PUBLIC_PAGE_CACHE_SECONDS=30, REDIS_URL=redis_url) for _ in range(2))
    path = f"/a/{asset.public_token}"
    rendered = one.test_client().get(path)
    assert shared_cache.ttl(RedisPageCache.PREFIX + asset.public_token) in range(25, 31)
    two.view_functions["asset_page.asset"] = None  # the second worker's app must not be needed
    served = two.test_client().get(path)
    assert served.status_code == 200 and served.data == rendered.data


def test_an_unreachable_redis_is_a_miss_not_an_error(app_factory, asset, caplog):
    app = app_factory(PUBLIC_PAGE_CACHE_SECONDS=30, REDIS_URL="redis://127.0.0.1:1/0")
    answers = [app.test_client().get(f"/a/{asset.public_token}") for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200] and "石桥村道路" in answers[1].get_data(as_text=True)
    assert "page cache unreachable" in caplog.text
