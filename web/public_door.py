"""A card scanned again: the anonymous asset page straight from the page cache.

A card on a village wall is scanned by many people in a short time, and the page they get is the
same for all who are anonymous (web.page_cache). For such a visitor — a GET of /a/<token> with no
cookie and no query — whose page is cached, this WSGI layer in front of the web app answers with
the bytes and headers the app would give, counting the visit against the page's own rate limit
(the same counter), without the app's per-request machinery: session, sign-in, CSRF,
routing and hooks cost several times the answer itself (bench/README.md). Everything else, and
every visit over the limit, goes on to the app.
"""

from __future__ import annotations

import re

from flask import Flask
from limits import parse

from web.errors import new_request_id
from web.page_cache import PageCache, RedisPageCache
from web.security import limiter, page_headers

PAGE = re.compile(r"/a/([A-Za-z0-9_-]{1,64})")
RATE_SCOPE = "public.asset"  # flask-limiter's bucket for the view's own limit: its endpoint


class PublicPageDoor:
    def __init__(self, app: Flask, web_app, cache: PageCache | RedisPageCache) -> None:  # noqa: ANN001
        self.web_app, self.cache = web_app, cache
        self.rate = parse(app.config["PUBLIC_PAGE_RATE_LIMIT"])
        self.key_prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")
        self.limited = bool(app.config.get("RATELIMIT_ENABLED", True))

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204
        page = self._cached_page(environ)
        if page is None or not self._within_limit(environ):
            return self.web_app(environ, start_response)
        secure = environ.get("wsgi.url_scheme") == "https"
        start_response("200 OK", [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page))),
            ("Vary", "Cookie"), *page_headers(secure),
            ("X-Request-Id", new_request_id(environ.get("HTTP_X_REQUEST_ID", ""))),
        ])
        return [page]

    def _cached_page(self, environ) -> bytes | None:  # noqa: ANN001
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING") or environ.get("HTTP_COOKIE"):
            return None
        match = PAGE.fullmatch(environ.get("PATH_INFO", ""))
        return self.cache.get(match.group(1)) if match else None

    def _within_limit(self, environ) -> bool:  # noqa: ANN001
        """Count the visit as the view's limit would (same counter); False when it is over the
        limit or the counter cannot be reached: then the app answers, with its 429 page or its own
        judgement."""
        if not self.limited:
            return True
        identifiers = [environ.get("REMOTE_ADDR") or "127.0.0.1", RATE_SCOPE]  # get_remote_address
        if self.key_prefix:
            identifiers.insert(0, self.key_prefix)
        try:
            return limiter.limiter.hit(self.rate, *identifiers)
        except Exception:  # noqa: BLE001  (storage down: let the app apply its error policy)
            return False
