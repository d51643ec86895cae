"""GET /metrics: Prometheus's exposition format scraped over real HTTP on loopback — requests and
latency per route (its URL rule, never the raw path), WeChat callbacks against the 5 s budget,
pushes sent and failed by reason, the scheduler's lease holder and job failures — only for the
scraper holding the token; under gunicorn, every worker's numbers added up."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import models
from bot.notifier import send_text
from infra.metrics import exposition
from models.db import make_engine
from models.scheduling.entities import JobState
from models.scheduling.jobs import SCHEDULER_LEASE
from models.scheduling.operations import hold_lease
from tests.support.live_server import serving
from tests.support.processes import answering, free_port
from tests.support.wechat_messages import WECHAT_CONFIG, WeChatMessages

TOKEN = "scrape-token-0123456789"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}

Samples = dict[tuple[str, frozenset], float]


def parse(exposition_text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition_text)
        for sample in family.samples
    }


def scrape(base_url: str) -> tuple[requests.Response, Samples]:
    answer = requests.get(f"{base_url}/metrics", headers=AUTHORIZED, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer, parse(answer.text)


def grown(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0) - before.get(key, 0)


def test_a_scrape_counts_routes_wechat_callbacks_the_lease_and_job_failures(app_factory, session, clock):
    app = app_factory(METRICS_TOKEN=TOKEN, **WECHAT_CONFIG)
    hold_lease(session, SCHEDULER_LEASE, "host-a:4242", clock.now(), 300)
    session.add(JobState(name="digests", failures=2, last_ok_at=clock.now()))
    session.commit()
    messages = WeChatMessages(clock)
    query, body = messages.request(messages.text("帮助"))

    with serving(app) as base_url:
        _, before = scrape(base_url)
        for path in ("/healthz", "/healthz", "/a/SecretCardToken1234", "/no/such/page"):
            requests.get(f"{base_url}{path}", timeout=10)
        for _ in range(2):  # WeChat's retry of the same message is answered, not handled again
            requests.post(f"{base_url}/wechat", params=query, data=body, timeout=10)
        answer, after = scrape(base_url)

    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "SecretCardToken1234" not in answer.text and "/no/such/page" not in answer.text
    requests_total = "guanhu_http_requests_total"
    assert grown(before, after, requests_total, method="GET", route="/healthz", status="200") == 2
    assert grown(before, after, requests_total, method="GET", route="/a/<token>", status="404") == 1
    assert grown(before, after, requests_total, method="GET", route="(no route)", status="404") == 1
    assert grown(before, after, "guanhu_http_request_duration_seconds_count", route="/healthz") == 2
    assert grown(before, after, "guanhu_wechat_messages_total", kind="text:帮助") == 1
    callbacks = "guanhu_wechat_callback_duration_seconds_bucket"
    assert grown(before, after, callbacks, status="200", le="5.0") == 2
    assert grown(before, after, "guanhu_wechat_callbacks_over_budget_total") == 0
    assert after[("guanhu_scheduler_lease_holder", frozenset({("holder", "host-a:4242")}))] == 1
    assert after[("guanhu_job_failures_in_a_row", frozenset({("job", "digests")}))] == 2


def test_an_expired_lease_has_no_holder(session, clock):
    hold_lease(session, SCHEDULER_LEASE, "host-b:1", clock.now(), 300)
    clock.advance(minutes=6)
    holders = [key for key in parse(exposition(session, clock.now(), 0).decode()) if key[0].endswith("lease_holder")]
    assert holders == []


def test_pushes_are_counted_sent_or_failed_by_reason(app_factory, fake, session, clock):
    app = app_factory(**fake.client_config(WECHAT_BUSY_RETRY_DELAYS=[]))
    with app.app_context():
        before = parse(exposition(session, clock.now(), 0).decode())
        send_text(session, "o_clerk", "你好", key="k-sent")
        fake.fault("cgi-bin/message/custom/send", 40003)
        send_text(session, "o_gone", "你好", key="k-failed")
        after = parse(exposition(session, clock.now(), 0).decode())
    app.extensions["wechat_client"]._http.close()
    pushes = "guanhu_pushes_total"
    assert grown(before, after, pushes, channel="custom", outcome="sent", reason="") == 1
    assert grown(before, after, pushes, channel="custom", outcome="failed", reason="40003") == 1


@pytest.mark.parametrize(("token", "status"), [(None, 404), (TOKEN, 403)])
def test_without_the_token_there_is_nothing_to_scrape(app_factory, token, status):
    client = app_factory(METRICS_TOKEN=token).test_client()
    assert client.get("/metrics", headers={"Authorization": "Bearer guessed"}).status_code == status


def test_gunicorn_workers_are_added_up_in_multiprocess_mode(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    engine = make_engine(database)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    (tmp_path / "prometheus").mkdir()
    port = free_port()
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "GUANHU_DATABASE_URL": database,
        "GUANHU_INSTANCE_PATH": str(tmp_path),
        "GUANHU_METRICS_TOKEN": TOKEN,
    }
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    base_url = f"http://127.0.0.1:{port}"
    with answering([*gunicorn, "web:create_app()"], f"{base_url}/healthz", env=environment):
        _, before = scrape(base_url)
        for _ in range(20):
            requests.get(f"{base_url}/healthz", timeout=10, headers={"Connection": "close"})
        _, after = scrape(base_url)
    assert grown(before, after, "guanhu_http_requests_total", method="GET", route="/healthz", status="200") == 20
    assert len({path.name.rsplit("_", 1)[-1] for path in (tmp_path / "prometheus").glob("counter_*.db")}) == 2
