"""GET /metrics for Prometheus, and the request counts and latency behind it.

Not public: it answers only a scraper that sends `Authorization: Bearer <GUANHU_METRICS_TOKEN>`
(404 while no token is set). A token rather than a port of its own, because under gunicorn every
worker is a process that cannot share one extra port, while any of them can answer for all
(multiprocess mode); the proxy may also refuse the path from outside (README).
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request

from infra.background import background
from infra.clock import now
from infra.database import db_session
from infra.metrics import REQUEST_SECONDS, REQUESTS, exposition

blueprint = Blueprint("metrics", __name__)

UNMATCHED = "(no route)"  # 404s on any path count as one route: never a raw path with its tokens


def init_app(app: Flask) -> None:
    """Register first: the timer starts before any other hook and stops after every other."""
    app.before_request(_start_timer)
    app.after_request(_count)


@blueprint.get("/metrics")
def metrics() -> Response:
    token = str(current_app.config["METRICS_TOKEN"] or "")
    if not token:
        abort(404)
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not hmac.compare_digest(offered.encode(), token.encode()):
        abort(403)
    scraped = exposition(db_session(), now(), background().depth())
    return Response(scraped, content_type="text/plain; version=0.0.4; charset=utf-8")


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    REQUEST_SECONDS.labels(route).observe(time.perf_counter() - g.get("metrics_started", time.perf_counter()))
    return response
