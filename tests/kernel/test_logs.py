"""Logs as JSON lines when configured (time in ISO 8601 with its zone, level, logger, message,
request id), and the request id: the proxy's X-Request-Id when sane, else a new one, echoed back."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from tests.support.wechat_messages import WECHAT_CONFIG

LOG = logging.getLogger("guanhu.web")


@pytest.fixture(autouse=True)
def own_handlers():
    """The apps made here replace the guanhu logger's handler; the next app's is put back after."""
    logger = logging.getLogger("guanhu")
    kept = list(logger.handlers)
    yield
    logger.handlers[:] = kept


def logged_lines(app, capsys, **headers) -> list[str]:
    capsys.readouterr()
    with app.test_request_context(headers=headers):
        app.preprocess_request()
        LOG.warning("照片 %s 张", 3)
    return capsys.readouterr().err.splitlines()


def test_json_lines_carry_time_with_zone_level_logger_message_and_the_request_id(app_factory, capsys):
    app = app_factory(LOG_FORMAT="json", TIMEZONE="Asia/Shanghai")
    [line] = logged_lines(app, capsys, **{"X-Request-Id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"})
    entry = json.loads(line)
    assert entry == {
        "time": entry["time"],
        "level": "WARNING",
        "logger": "guanhu.web",
        "message": "照片 3 张",
        "request_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    }
    assert dt.datetime.fromisoformat(entry["time"]).utcoffset() == dt.timedelta(hours=8)


def test_text_lines_by_default_outside_production(app_factory, capsys):
    [line] = logged_lines(app_factory(), capsys, **{"X-Request-Id": "abc123"})
    assert "WARNING [abc123] guanhu.web: 照片 3 张" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.parametrize(
    ("offered", "kept"),
    [
        ("5b1f0c2e-8d7a-4e3b-9c6d-0a1b2c3d4e5f", True),
        ("", False),
        ("请求号", False),
        ('a b"}', False),
        ("x" * 65, False),
    ],
    ids=["uuid-from-the-proxy", "none", "not-ascii", "quotes-and-spaces", "too-long"],
)
def test_the_request_id_is_the_proxys_when_sane_else_new_and_is_echoed(client, offered, kept):
    answer = client.get("/healthz", headers={"X-Request-Id": offered} if offered else {})
    echoed = answer.headers["X-Request-Id"]
    if kept:
        assert echoed == offered
    else:
        assert len(echoed) == 16 and int(echoed, 16) >= 0


def test_a_wechat_callback_has_its_request_id_in_its_log_lines_and_answer(app_factory, capsys):
    client = app_factory(LOG_FORMAT="json", **WECHAT_CONFIG).test_client()
    capsys.readouterr()
    forged = "/wechat?signature=forged&timestamp=1&nonce=2"
    answer = client.post(forged, data=b"<xml/>", headers={"X-Request-Id": "wx42"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert answer.status_code == 403 and answer.headers["X-Request-Id"] == "wx42"
    assert [(entry["logger"], entry["request_id"]) for entry in lines] == [("guanhu.bot", "wx42")]
    assert lines[0]["message"].startswith("WeChat callback refused (403)")
