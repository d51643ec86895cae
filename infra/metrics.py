"""Metrics for operators, in Prometheus's exposition format (prometheus_client).

Counted in each process: requests and latency per route, WeChat callbacks against the 5 s
budget, pushes sent or failed. gunicorn's workers are processes of their own: with
PROMETHEUS_MULTIPROC_DIR set (an emptied folder shared by the workers and the scheduler of one
host), each process writes its numbers there and a scrape adds them all up.

Read from the database when scraped (the same answer on every host): who holds the scheduler's
lease, and each scheduled job's failures in a row.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.orm import Session

from models.scheduling.jobs import SCHEDULER_LEASE
from models.scheduling.queries import current_lease, job_states

WECHAT_BUDGET_SECONDS = 5  # WeChat gives up on a callback after 5 s and retries it

REQUESTS = Counter("guanhu_http_requests", "HTTP requests answered", ["method", "route", "status"])
REQUEST_SECONDS = Histogram("guanhu_http_request_duration_seconds", "Time to answer an HTTP request", ["route"])
WECHAT_MESSAGES = Counter(
    "guanhu_wechat_messages", "WeChat messages handled (a retry of one already claimed is not)", ["kind"]
)
WECHAT_SECONDS = Histogram(
    "guanhu_wechat_callback_duration_seconds",
    f"Time to answer a WeChat callback (POST /wechat), against its {WECHAT_BUDGET_SECONDS} s budget",
    ["status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, WECHAT_BUDGET_SECONDS, float("inf")),
)
WECHAT_OVER_BUDGET = Counter("guanhu_wechat_callbacks_over_budget", "WeChat callbacks answered after its 5 s budget")
PUSHES = Counter("guanhu_pushes", "Pushes to WeChat: sent, or failed and why", ["channel", "outcome", "reason"])
QUEUE_JOB_FAILURES = Counter(
    "guanhu_queue_job_failures", "Runs of a queued job that raised (each is retried, then parked)", ["job"]
)


def wechat_callback(status: int, seconds: float) -> None:
    WECHAT_SECONDS.labels(str(status)).observe(seconds)
    if seconds > WECHAT_BUDGET_SECONDS:
        WECHAT_OVER_BUDGET.inc()


def exposition(session: Session, now: dt.datetime, queue_depth: int) -> bytes:
    """Every metric as Prometheus reads it: this process's (or, in multiprocess mode, every
    process's of this host), the database's and the job queue's depth (read when scraped)."""
    counted: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    stored = CollectorRegistry(auto_describe=False)
    stored.register(_SchedulerState(session, now))
    stored.register(_QueueDepth(queue_depth))
    return generate_latest(counted) + generate_latest(stored)


class _SchedulerState:
    def __init__(self, session: Session, now: dt.datetime):
        self.session, self.now = session, now

    def collect(self) -> Iterator[Metric]:
        holder = GaugeMetricFamily(
            "guanhu_scheduler_lease_holder", "1 for the scheduler process holding the lease", labels=["holder"]
        )
        lease = current_lease(self.session, SCHEDULER_LEASE)
        if lease is not None and lease.expires_at > self.now:
            holder.add_metric([lease.holder], 1)
        yield holder
        failures = GaugeMetricFamily(
            "guanhu_job_failures_in_a_row", "Failed runs of a scheduled job since its last success", labels=["job"]
        )
        last_ok = GaugeMetricFamily(
            "guanhu_job_last_success_timestamp_seconds", "When a scheduled job last succeeded", labels=["job"]
        )
        for state in job_states(self.session):
            failures.add_metric([state.name], state.failures)
            if state.last_ok_at is not None:
                last_ok.add_metric([state.name], state.last_ok_at.timestamp())
        yield failures
        yield last_ok


class _QueueDepth:
    def __init__(self, depth: int):
        self.depth = depth

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("guanhu_queue_depth", "Jobs waiting in the queue for a worker", value=self.depth)
