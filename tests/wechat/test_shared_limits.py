"""Limits every worker counts alike (in Redis when configured, else in the database): 绑定 guesses
per code and in all, and the nonces of plain-mode messages, so that a captured signature cannot
carry another body."""

from __future__ import annotations

import datetime as dt

import pytest

from models.people import Role
from models.wechat import binding
from models.wechat.binding import BIND_TRIES_OF_CODE_SPENT, BIND_TRIES_SPENT, issue_bind_code
from tests.support.sign_in import STORES, app_keeping_sign_ins_in
from tests.support.wechat_messages import STAFF, WECHAT_CONFIG, reply


@pytest.fixture(params=STORES)
def shared_app(request, app_factory):
    """An app (one worker) whose shared state is in the database or in Redis, with its own keys."""
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    with app_keeping_sign_ins_in(request.param, app_factory, redis_url, **WECHAT_CONFIG) as app:
        yield app


def wrong_code(right: str, step: int = 1) -> str:
    return f"{(int(right) + step) % 1_000_000:06d}"


def bind(app, messages, code: str, openid: str) -> str:
    """Send 绑定 <code> from `openid`; the reply, once the work after it (counting a failure) is done."""
    answer = reply(app.test_client(), messages, messages.text(f"绑定 {code}", openid=openid))
    app.extensions["background"].wait(30)
    return answer["Content"]


def test_one_code_tried_from_many_wechats_is_refused_after_five_tries(shared_app, messages, county, build, clock):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    guessed = wrong_code(issue_bind_code(build.session, clerk, clock.now()))
    for number in range(binding.BIND_TRIES_PER_CODE):
        assert "不对或已过期" in bind(shared_app, messages, guessed, f"oGuesser{number:020d}")
    assert bind(shared_app, messages, guessed, "oYetAnotherWeChat000000001") == BIND_TRIES_OF_CODE_SPENT


def test_wrong_codes_from_all_wechats_together_are_held_to_a_limit_an_hour(
    shared_app, messages, county, build, clock, monkeypatch
):
    monkeypatch.setattr(binding, "BIND_FAILURES_IN_ALL", 3)
    clerks = [build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]) for _ in range(2)]
    right = issue_bind_code(build.session, clerks[0], clock.now())
    assert "绑定成功" in bind(shared_app, messages, right, "oTrainingDay00000000000001")  # right codes do not count
    for step in range(1, 4):  # another code from another WeChat each time, as a sprayer would
        assert "不对或已过期" in bind(shared_app, messages, wrong_code(right, step), f"oSprayer{step:019d}")
    code = issue_bind_code(build.session, clerks[1], clock.now())
    assert bind(shared_app, messages, code, STAFF) == BIND_TRIES_SPENT  # even the right code, for the hour
    assert clerks[1].wechat_openid is None


def test_a_count_grows_within_its_window_and_the_first_value_is_kept(shared_app):
    window = dt.timedelta(hours=1)
    with shared_app.app_context():
        state = shared_app.extensions["shared_state"]
        assert [state.count("k", window) for _ in range(3)] == [1, 2, 3]
        assert state.remember("n", "first", window) == "first"
        assert state.remember("n", "second", window) == "first"


def test_in_the_database_a_window_starts_afresh_once_over(app, clock):
    window = dt.timedelta(hours=1)
    with app.app_context():
        state = app.extensions["shared_state"]
        assert [state.count("k", window), state.count("k", window)] == [1, 2]
        state.remember("n", "first", window)
        clock.advance(hours=1)
        assert state.count("k", window) == 1
        assert state.remember("n", "second", window) == "second"


def test_a_captured_plain_signature_with_another_body_is_refused(shared_app, messages):
    client = shared_app.test_client()
    query, body = messages.request(messages.text("帮助"))
    first = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
    assert first.status_code == 200
    again = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
    assert again.status_code == 200  # WeChat's own retry of the same message
    forged = body.replace("帮助".encode(), "我的任务".encode())
    replayed = client.post("/wechat", query_string=query, data=forged, content_type="text/xml")
    assert replayed.status_code == 403
    assert replayed.get_data(as_text=True) == "签名无效或已过期。"


def test_a_second_worker_sees_the_nonce_the_first_took(shared_app, app_factory, messages):
    query, body = messages.request(messages.text("帮助"))
    assert shared_app.test_client().post("/wechat", query_string=query, data=body).status_code == 200
    forged = body.replace("帮助".encode(), "我的任务".encode())
    if shared_app.config["REDIS_URL"]:
        second = app_factory(**WECHAT_CONFIG, REDIS_URL=shared_app.config["REDIS_URL"])
        second.extensions["shared_state"].prefix = shared_app.extensions["shared_state"].prefix
    else:
        second = app_factory(**WECHAT_CONFIG)
    assert second.test_client().post("/wechat", query_string=query, data=forged).status_code == 403
