"""The job queue of the work after a WeChat reply (infra.background), run deterministically in the
test's thread: a failing job is retried after the configured delays, then parked, shown on the
jobs page in local time and its sender told once; a run that never ended (its worker died) is run
again by its watchdog; the queue's depth and the failures are in /metrics."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from infra.background import failure_text
from infra.metrics import exposition
from models.people import Role
from models.scheduling.entities import ParkedJob
from models.storage import StorageUnavailable
from models.wechat.entities import Delivery
from tests.kernel.test_metrics import parse
from tests.support.pages import login, visible_text

RUNS: list[str] = []


def always_fails(_session: Session, label: str) -> None:
    RUNS.append(label)
    raise RuntimeError("the store is down")


def dies_once(session: Session, label: str) -> None:
    """The first run stops as a killed worker does: nothing after it runs (no `except Exception`)."""
    RUNS.append(label)
    if RUNS.count(label) == 1:
        raise KeyboardInterrupt


@pytest.fixture
def runs():
    RUNS.clear()
    yield RUNS
    RUNS.clear()


@pytest.fixture
def queue_app(app_factory, fake):
    return app_factory(QUEUE_RETRY_DELAYS=[10, 60, 300], **fake.client_config())


def test_a_failing_job_is_retried_after_each_delay_then_parked_shown_and_its_sender_told_once(
    queue_app, fake, runs, session, county, build, clock
):
    work = queue_app.extensions["background"]
    for _ in range(2):  # the same job key twice (a job queued again): one row, one message
        work.submit(always_fails, ("photo",), key="msg-1:1", openid="oSender000000000000000000001")
    started = work.huey._get_timestamp()
    while work.work_once():  # the first runs; their retries (and watchdogs) go to the schedule
        pass
    etas = sorted(task.eta - started for task in work.huey.scheduled() if task.name.endswith("run_job"))
    assert [round(eta.total_seconds() / 10) * 10 for eta in etas] == [10, 10]  # the first retry of each, 10 s on

    work.wait()

    assert runs == ["photo"] * 8  # each: the first run and three retries
    parked = session.scalars(select(ParkedJob)).all()
    assert [(job.key, job.job, job.openid) for job in parked] == [
        ("msg-1:1", "tests.kernel.test_job_queue:always_fails", "oSender000000000000000000001")
    ]
    told = session.scalars(select(Delivery).where(Delivery.openid == "oSender000000000000000000001")).all()
    assert len(told) == 1 and "没能处理完" in told[0].payload["text"]
    samples = parse(exposition(session, clock.now(), work.depth()).decode())
    assert samples[("guanhu_queue_job_failures_total", frozenset({("job", "always_fails")}))] >= 8
    assert samples[("guanhu_queue_depth", frozenset())] == 0

    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    client = queue_app.test_client()
    login(client, admin)
    page = visible_text(client.get("/deadlines/jobs").get_data(as_text=True))
    assert "多次重试仍失败的后台任务" in page and "重试用完仍出错：程序出错" in page and "RuntimeError" not in page
    assert "2026-06-01 10:00" in page and "oSen…0001" in page


def test_a_run_that_never_ended_is_run_again_by_its_watchdog(queue_app, runs):
    work = queue_app.extensions["background"]
    work.submit(dies_once, ("record",), key="msg-2:1")
    assert work.depth() == 1
    work.work_once()  # huey's worker stops the run there, as Ctrl+C or a kill stops it
    assert runs == ["record"]

    work.wait()

    assert runs == ["record", "record"]
    assert work.huey.scheduled() == []  # the second run's watchdog found it ended


@pytest.mark.parametrize(
    "error, shown",
    [
        (StorageUnavailable("照片存储暂时不可用，请稍后再试。"), "照片存储暂时不可用，请稍后再试。"),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), "数据库暂时不可用"),
        (KeyError("photo"), "程序出错"),
    ],
)
def test_a_parked_jobs_cause_is_shown_in_chinese_never_by_the_exceptions_name(error, shown):
    assert failure_text(error) == shown
