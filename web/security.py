"""Security defaults: CSRF, rate limits, response headers, and the proxy in front of us."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from infra import rate_limits  # noqa: F401  (registers the database storage for flask-limiter)
from infra.shared_state import redis_pool

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith(("redis://", "rediss://", "unix://")):
        # Counted in Redis over the process's one pool, beside the sessions and the page cache.
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"connection_pool": redis_pool(app.config["RATELIMIT_STORAGE_URI"])}
        )
    limiter.init_app(app)
    app.after_request(_security_headers)


def trust_proxy(app: Flask) -> None:
    """Take the client's address and scheme from the reverse proxy's headers. Applied last, so
    that every WSGI layer (the WeChat door included) sees them."""
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]


def page_headers(secure: bool) -> list[tuple[str, str]]:
    """What every answer carries: no framing, no sniffing, our own scripts only; HSTS over https."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ]
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


def _security_headers(response: Response) -> Response:
    for name, value in page_headers(request.is_secure):
        response.headers.setdefault(name, value)
    return response
