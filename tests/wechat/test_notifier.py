"""The notifier: each push is claimed by its key before sending, sent at most once, recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.notifier import send_subscribe, send_template, send_text
from models.wechat.deliveries import claim_delivery
from models.wechat.entities import Delivery, DeliveryChannel, DeliveryStatus
from tests.support.clock import TEST_NOW

SEND = "cgi-bin/message/custom/send"
TEMPLATE = "cgi-bin/message/template/send"


@pytest.fixture
def app(app_factory, fake):
    app = app_factory(**fake.client_config())
    with app.app_context():
        yield app


def test_text_is_sent_once_per_key(app, fake, session) -> None:
    first = send_text(session, "o_villager_1", "您反映的问题已受理。", key="complaint:7:accepted")
    again = send_text(session, "o_villager_1", "您反映的问题已受理。", key="complaint:7:accepted")

    assert again.id == first.id
    assert first.status is DeliveryStatus.SENT and first.sent_at == TEST_NOW
    assert first.channel is DeliveryChannel.CUSTOM and first.payload == {"text": "您反映的问题已受理。"}
    sent = fake.calls(SEND)
    assert len(sent) == 1 and sent[0].body["request"]["text"]["content"] == "您反映的问题已受理。"


def test_a_key_claimed_elsewhere_is_not_sent_again(app, fake, session) -> None:
    claimed, mine = claim_delivery(
        session, key="k-busy", openid="o_villager_1", channel=DeliveryChannel.CUSTOM, payload={}, now=TEST_NOW
    )
    assert mine

    delivery = send_text(session, "o_villager_1", "你好", key="k-busy")

    assert delivery.id == claimed.id and delivery.status is DeliveryStatus.PENDING
    assert fake.calls(SEND) == []


@pytest.mark.parametrize("code", [43004, 45015, 45047, 40003])
def test_final_error_marks_the_delivery_failed_and_it_is_never_retried(app, fake, session, code) -> None:
    fake.fault(SEND, code, times=5)

    delivery = send_text(session, "o_villager_1", "你好", key=f"k-{code}")
    send_text(session, "o_villager_1", "你好", key=f"k-{code}")

    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.error_code == code and str(code) in delivery.error_message
    assert delivery.sent_at is None
    assert len(fake.calls(SEND)) == 1


def test_closed_48_hour_window_is_told_plainly(app, fake, session) -> None:
    fake.fault(SEND, 45015)

    delivery = send_text(session, "o_villager_1", "你好", key="k-window")

    assert delivery.error_message.startswith("已超过48小时互动时限")


def test_token_refused_after_a_refresh_fails_the_delivery_without_a_loop(app, fake, session) -> None:
    fake.fault(SEND, 40001, times=50)

    delivery = send_text(session, "o_villager_1", "你好", key="k-token")

    assert delivery.status is DeliveryStatus.FAILED and delivery.error_code == 40001
    assert len(fake.calls(SEND)) == 2
    assert len(fake.calls("cgi-bin/stable_token")) == 2


def test_no_answer_in_time_is_recorded_as_unknown(app_factory, fake, session) -> None:
    app = app_factory(**fake.client_config(WECHAT_HTTP_TIMEOUT=0.3))
    with app.app_context():
        send_text(session, "o_villager_1", "先拿令牌", key="k-warm")
        fake.fault(SEND, None, delay=1)

        delivery = send_text(session, "o_villager_1", "你好", key="k-slow")

    assert delivery.status is DeliveryStatus.UNKNOWN and delivery.error_code is None
    assert "结果不明" in delivery.error_message
    assert len(fake.wait_for_calls(SEND, 2)) == 2  # the slow one did arrive: truly unknown


def test_per_minute_quota_leaves_the_delivery_due_after_the_minute(app, fake, session) -> None:
    fake.fault(SEND, 45011)

    delivery = send_text(session, "o_villager_1", "你好", key="k-quota")

    assert delivery.status is DeliveryStatus.PENDING and delivery.error_code == 45011
    assert delivery.retry_after == TEST_NOW + dt.timedelta(minutes=1)


def test_template_message_is_sent_and_recorded(app, fake, session) -> None:
    data = {"thing1": "石桥村饮水工程", "time2": "2026-06-01"}

    delivery = send_template(
        session, "o_sandbox_3", "TPL_INSPECTION_DUE", data, "http://guanhu.test/tasks/1", key="inspection:1:2026-06"
    )

    assert delivery.status is DeliveryStatus.SENT and delivery.channel is DeliveryChannel.TEMPLATE
    sent = fake.calls(TEMPLATE)[0].body["request"]
    assert sent["touser"] == "o_sandbox_3" and sent["template_id"] == "TPL_INSPECTION_DUE"
    assert sent["data"] == {"thing1": {"value": "石桥村饮水工程"}, "time2": {"value": "2026-06-01"}}
    assert sent["url"] == "http://guanhu.test/tasks/1"


def test_delivery_rows_are_committed_before_and_after_sending(app, fake, session) -> None:
    send_text(session, "o_villager_2", "你好", key="k-commit")
    session.rollback()  # nothing left to roll back: both steps were committed

    stored = session.scalar(select(Delivery).where(Delivery.key == "k-commit"))
    assert stored is not None and stored.status is DeliveryStatus.SENT


def test_subscription_notification_is_sent_and_recorded(app, fake, session) -> None:
    delivery = send_subscribe(
        session, "o_sandbox_3", "SUB_DUE", {"thing1": "石桥村便民桥巡查"}, "http://guanhu.test/tasks", key="sub:1"
    )

    assert delivery.status is DeliveryStatus.SENT and delivery.channel is DeliveryChannel.SUBSCRIBE
    sent = fake.calls("cgi-bin/message/subscribe/bizsend")[0].body["request"]
    assert sent["page"] == "http://guanhu.test/tasks" and sent["data"]["thing1"]["value"] == "石桥村便民桥巡查"


def test_refused_or_malformed_subscription_notification_is_final(app, fake, session) -> None:
    fake.fault("cgi-bin/message/subscribe/bizsend", 43101)

    refused = send_subscribe(session, "o_villager_1", "SUB_DUE", {"thing1": "巡查"}, key="sub:2")
    long_thing = {"thing1": "这是一个超过二十个字的事项名称，微信会拒绝它的"}
    too_long = send_subscribe(session, "o_villager_1", "SUB_DUE", long_thing, key="sub:3")

    assert (refused.status, refused.error_code) == (DeliveryStatus.FAILED, 43101)
    assert (too_long.status, too_long.error_code) == (DeliveryStatus.FAILED, 47003)
    assert len(fake.calls("cgi-bin/message/subscribe/bizsend")) == 2
