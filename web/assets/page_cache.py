"""A short-lived cache of the public pages as anonymous visitors see them: an asset's page, and the
village notice boards' pages (under keys of their own).

A card on a village wall is scanned by many people in a short time; the page they get is the same
for all of them, so it is rendered once per GUANHU_PUBLIC_PAGE_CACHE_SECONDS (default 30; 0 turns
the cache off): in Redis when GUANHU_REDIS_URL is set, so that a page rendered by one worker is
served by every worker on every host, else per worker. Staff, and visitors WeChat has told us
about, always get a fresh page. A cache that cannot be reached counts as a miss, never an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis
from cachetools import TTLCache
from flask import Flask, current_app, request, session

from infra.shared_state import redis_client
from web.wechat.visitors import visitor_openid

MAX_PAGES = 20_000  # ~5 KB each: at most ~100 MB per worker
log = logging.getLogger("guanhu.web")


class PageCache:
    """Per worker, in memory."""

    def __init__(self, seconds: float, timer: Callable[[], float] = time.monotonic):
        self._pages: TTLCache[str, bytes] = TTLCache(maxsize=MAX_PAGES, ttl=seconds, timer=timer)
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._pages.get(key)

    def put(self, key: str, page: bytes) -> None:
        with self._lock:
            self._pages[key] = page


class RedisPageCache:
    """Shared by every worker, in Redis; pages are plain bytes (nothing is unpickled)."""

    PREFIX = "guanhu:page:"

    def __init__(self, url: str, seconds: float):
        self._redis = redis_client(url)
        self._seconds = max(1, round(seconds))

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get(self.PREFIX + key)
        except redis.RedisError as error:
            log.warning("page cache unreachable, rendering instead: %s", error)
            return None

    def put(self, key: str, page: bytes) -> None:
        try:
            self._redis.set(self.PREFIX + key, page, ex=self._seconds)
        except redis.RedisError as error:
            log.warning("page cache unreachable, page not kept: %s", error)


def init_app(app: Flask) -> None:
    seconds = float(app.config["PUBLIC_PAGE_CACHE_SECONDS"])
    cache: PageCache | RedisPageCache | None = None
    if seconds > 0:
        cache = RedisPageCache(app.config["REDIS_URL"], seconds) if app.config["REDIS_URL"] else PageCache(seconds)
    app.extensions["public_page_cache"] = cache


def page_cache() -> PageCache | RedisPageCache | None:
    return current_app.extensions["public_page_cache"]


def anonymous_visitor() -> bool:
    """A visitor whose page is the same as everyone's: not signed in, not known by WeChat."""
    return not (session.get("_user_id") or visitor_openid() or request.args)  # "_user_id": Flask-Login


def cached_page(key: str, render: Callable[[], str]) -> bytes:
    """The public page kept under `key` for anonymous visitors (rendered and kept on a miss); a
    fresh one for everybody else."""
    cache = page_cache() if anonymous_visitor() else None
    if cache is not None and (cached := cache.get(key)) is not None:
        return cached
    html = render().encode()
    if cache is not None:
        cache.put(key, html)
    return html
