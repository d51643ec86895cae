"""A card scanned again: the anonymous asset page straight from the page cache.

A card on a village wall is scanned by many people in a short time, and the page they get is the
same for all who are anonymous (web.page_cache). For such a visitor — a GET of /a/<token> with no
cookie and no query — whose page is cached, this WSGI layer in front of the web app answers with
the bytes and headers the app would give, without the app's per-request machinery: session,
sign-in, CSRF, routing and hooks cost several times the answer itself (bench/README.md).

Such an answer is not counted against the page's rate limit. The limit is there to stop token
guessing and to keep the database safe, and only a miss — an unknown token, a page not rendered
lately — reaches either; the app counts every one. Counting a hit would cost as much as serving it
(one lookup in the same store), so it would shield nothing. Floods are for the reverse proxy
(README: nginx's limit_req).
"""

from __future__ import annotations

import re

from infra.metrics import REQUESTS
from infra.request_ids import new_request_id
from web.assets.page_cache import PageCache, RedisPageCache
from web.security import page_headers

PAGE = re.compile(r"/a/([A-Za-z0-9_-]{1,64})")


class PublicPageDoor:
    def __init__(self, web_app, cache: PageCache | RedisPageCache) -> None:
        self.web_app, self.cache = web_app, cache

    def __call__(self, environ, start_response):
        page = self._cached_page(environ)
        if page is None:
            return self.web_app(environ, start_response)
        REQUESTS.labels("GET", "/a/<token>", "200").inc()  # served from the cache, never reaching Flask
        secure = environ.get("wsgi.url_scheme") == "https"
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(page))),
                ("Vary", "Cookie"),
                *page_headers(secure),
                ("X-Request-Id", new_request_id(environ.get("HTTP_X_REQUEST_ID", ""))),
            ],
        )
        return [page]

    def _cached_page(self, environ) -> bytes | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING") or environ.get("HTTP_COOKIE"):
            return None
        match = PAGE.fullmatch(environ.get("PATH_INFO", ""))
        return self.cache.get(match.group(1)) if match else None
