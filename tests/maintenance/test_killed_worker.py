"""The proof that work after a WeChat reply is never lost: real `guanhu worker` processes on the
real queue (a SQLite file beside a SQLite database, Redis beside PostgreSQL), the sandbox's fake
WeChat API serving the photos. The worker is killed (SIGKILL) while it fetches a photo WeChat was
answered about; after a restart the record is saved once with all its photos, and its sender gets
one confirmation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from models.maintenance.entities import MaintenanceRecord
from models.people import Role
from models.wechat.entities import SandboxValue
from tests.maintenance import test_field_chat as field_chat
from tests.maintenance.test_field_chat import pushed
from tests.support import live_server, photo_files
from tests.support.builders import Builders
from tests.support.wechat_messages import STAFF, TOKEN, WeChatMessages
from web import create_app

live_database_url = live_server.live_database_url
fake = field_chat.fake  # a fake WeChat of this test's own (the worker processes reach it too)
LEASE_SECONDS = 2  # a run not ended 2 s after it began is run again (the killed worker's)
MEDIA_GET = "cgi-bin/media/get"


@pytest.fixture
def queue_url(live_database_url, tmp_path, request) -> str:
    if live_database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    return request.getfixturevalue("redis_url")


def until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


def test_a_worker_killed_while_fetching_a_photo_loses_nothing(live_database_url, queue_url, fake, clock, tmp_path):
    config = {
        "DATABASE_URL": live_database_url,
        "QUEUE_URL": queue_url,
        "QUEUE_NAME": f"killed-{tmp_path.name}",
        "QUEUE_LEASE_SECONDS": LEASE_SECONDS,
        "QUEUE_RETRY_DELAYS": [0],
        "WORKER_IN_PROCESS": False,
        "SECRET_KEY": "test-secret",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PUBLIC_BASE_URL": "http://guanhu.test",
        "WECHAT_TOKEN": TOKEN,
        **fake.client_config(WECHAT_HTTP_TIMEOUT=30, WECHAT_MEDIA_RETRY_DELAYS=[0]),
    }
    app = create_app({**config, "TESTING": True, "CLOCK": clock, "RATELIMIT_ENABLED": False})
    app.extensions["background"].huey.flush()
    sessions = app.extensions["db"].sessionmaker
    with sessions() as session:
        build = Builders(session, clock)
        village = build.county().villages["石桥村"]
        token = build.asset(village, name="石桥村便民桥").public_token
        build.user(Role.CUSTODIAN, village, name="王管护").wechat_openid = STAFF
        session.commit()
    environment = {
        **os.environ,
        "GUANHU_INSTANCE_PATH": str(tmp_path / "instance"),
        **{f"GUANHU_{name}": value if isinstance(value, str) else json.dumps(value) for name, value in config.items()},
    }
    worker = [str(Path(sys.executable).parent / "guanhu"), "worker"]
    messages, client = WeChatMessages(clock), app.test_client()

    def send(xml: str) -> str:
        query, body = messages.request(xml)
        answer = client.post("/wechat", query_string=query, data=body)
        assert answer.status_code == 200
        return messages.read_reply(answer.get_data(), query)["Content"]

    def fault_taken() -> bool:
        with fake.app.extensions["db"].sessionmaker() as session:
            return session.scalar(select(SandboxValue.remaining).where(SandboxValue.kind == "fault")) == 0

    def records() -> list[tuple[str, int]]:
        with sessions() as session:
            return [(r.notes, len(r.photos)) for r in session.scalars(select(MaintenanceRecord))]

    first = subprocess.Popen(worker, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        send(messages.event("SCAN", key=f"asset:{token}", openid=STAFF))
        assert send(messages.image(fake.add_media(photo_files.jpeg(1)), openid=STAFF)).startswith("收到第1张照片")
        until(lambda: len(fake.calls(MEDIA_GET)) == 1)  # the first photo is fetched and kept
        fake.fault(MEDIA_GET, None, delay=8)  # WeChat is slow to hand over the second photo …
        assert send(messages.image(fake.add_media(photo_files.jpeg(2)), openid=STAFF)).startswith("收到第2张照片")
        until(fault_taken)  # … and the worker is waiting for it
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert send(messages.text("1", openid=STAFF)).startswith("好的，日常巡查")
    assert send(messages.text("桥面完好", openid=STAFF)).startswith("好的，正在保存")
    assert records() == []

    second = subprocess.Popen(worker, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        until(lambda: len(pushed(fake, STAFF)) == 1)
        until(lambda: app.extensions["background"].depth() == 0)
    finally:
        second.terminate()
        second.wait(30)

    assert records() == [("桥面完好", 2)]
    [confirmation] = pushed(fake, STAFF)
    assert confirmation.startswith("已保存：「石桥村便民桥」日常巡查记录，2张照片。")
    app.extensions["background"].huey.flush()  # the watchdogs of the runs that ended
    app.extensions["db"].engine.dispose()
