"""A short-lived cache of the public asset page as anonymous visitors see it.

A card on a village wall is scanned by many people in a short time; the page they get is the same
for all of them, so it is rendered once per GUANHU_PUBLIC_PAGE_CACHE_SECONDS (default 30; 0 turns
the cache off) per worker. Staff, and visitors WeChat has told us about, always get a fresh page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from flask import Flask, current_app

MAX_PAGES = 20_000  # ~5 KB each: at most ~100 MB per worker


class PageCache:
    def __init__(self, seconds: float, timer: Callable[[], float] = time.monotonic):
        self._pages: TTLCache[str, bytes] = TTLCache(maxsize=MAX_PAGES, ttl=seconds, timer=timer)
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._pages.get(key)

    def put(self, key: str, page: bytes) -> None:
        with self._lock:
            self._pages[key] = page


def init_app(app: Flask) -> None:
    app.config.setdefault("PUBLIC_PAGE_CACHE_SECONDS", 30)
    seconds = float(app.config["PUBLIC_PAGE_CACHE_SECONDS"])
    app.extensions["public_page_cache"] = PageCache(seconds) if seconds > 0 else None


def page_cache() -> PageCache | None:
    return current_app.extensions["public_page_cache"]
