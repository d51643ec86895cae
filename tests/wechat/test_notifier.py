"""The notifier: each push is claimed by its key before sending, sent at most once, recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.notifier import REFUSED_BEFORE, send_subscribe, send_template, send_text
from infra.settings import SANDBOX_TEMPLATE_IDS
from models.wechat.consents import has_refused, record_consent
from models.wechat.deliveries import claim_delivery
from models.wechat.entities import ConsentSource, Delivery, DeliveryChannel, DeliveryStatus, NotificationConsent
from models.wechat.visitors import can_push
from tests.support.clock import TEST_NOW
from tests.support.wechat_messages import TOKEN, reply

SEND = "cgi-bin/message/custom/send"
TEMPLATE = "cgi-bin/message/template/send"
BIZSEND = "cgi-bin/message/subscribe/bizsend"
REMINDER = SANDBOX_TEMPLATE_IDS["reminder"]  # templates the fake account has
SUBSCRIBE_REMINDER = SANDBOX_TEMPLATE_IDS["reminder_subscribe"]


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


@pytest.mark.parametrize("code", [45015, 45047, 40003])
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

    delivery = send_template(session, "o_sandbox_3", REMINDER, data, "http://guanhu.test/tasks/1", key="inspection:1")

    assert delivery.status is DeliveryStatus.SENT and delivery.channel is DeliveryChannel.TEMPLATE
    sent = fake.calls(TEMPLATE)[0].body["request"]
    assert sent["touser"] == "o_sandbox_3" and sent["template_id"] == REMINDER
    assert sent["data"] == {"thing1": {"value": "石桥村饮水工程"}, "time2": {"value": "2026-06-01"}}
    assert sent["url"] == "http://guanhu.test/tasks/1"


def test_a_template_the_account_does_not_have_is_a_final_failure(app, fake, session) -> None:
    delivery = send_template(session, "o_sandbox_3", "TPL_NOT_OURS", {"thing1": "巡查"}, key="inspection:2")

    assert (delivery.status, delivery.error_code) == (DeliveryStatus.FAILED, 40037)
    assert delivery.error_message == "模板 ID 无效（40037）"  # Chinese only: WeChat's words go to the log


def test_delivery_rows_are_committed_before_and_after_sending(app, fake, session) -> None:
    send_text(session, "o_villager_2", "你好", key="k-commit")
    session.rollback()  # nothing left to roll back: both steps were committed

    stored = session.scalar(select(Delivery).where(Delivery.key == "k-commit"))
    assert stored is not None and stored.status is DeliveryStatus.SENT


def test_subscription_notification_is_sent_and_recorded(app, fake, session) -> None:
    fake.set_consent("o_sandbox_3", SUBSCRIBE_REMINDER)
    data = {"thing1": "石桥村便民桥巡查"}

    delivery = send_subscribe(session, "o_sandbox_3", SUBSCRIBE_REMINDER, data, "http://guanhu.test/tasks", key="sub:1")

    assert delivery.status is DeliveryStatus.SENT and delivery.channel is DeliveryChannel.SUBSCRIBE
    sent = fake.calls(BIZSEND)[0].body["request"]
    assert sent["page"] == "http://guanhu.test/tasks" and sent["data"]["thing1"]["value"] == "石桥村便民桥巡查"


def test_a_malformed_subscription_notification_is_final(app, fake, session) -> None:
    fake.set_consent("o_villager_1", SUBSCRIBE_REMINDER)
    long_thing = {"thing1": "这是一个超过二十个字的事项名称，微信会拒绝它的"}

    too_long = send_subscribe(session, "o_villager_1", SUBSCRIBE_REMINDER, long_thing, key="sub:3")

    assert (too_long.status, too_long.error_code) == (DeliveryStatus.FAILED, 47003)
    assert len(fake.calls(BIZSEND)) == 1


def test_a_refusal_by_wechat_is_recorded_and_that_template_is_not_sent_again(app, fake, session) -> None:
    refused = send_subscribe(session, "o_villager_1", SUBSCRIBE_REMINDER, {"thing1": "巡查"}, key="sub:2")
    again = send_subscribe(session, "o_villager_1", SUBSCRIBE_REMINDER, {"thing1": "维修"}, key="sub:4")
    other = send_text(session, "o_villager_1", "您好", key="sub:5")

    assert (refused.status, refused.error_code) == (DeliveryStatus.UNREACHABLE, 43101)
    assert refused.error_message == "对方拒收此类通知（43101）"
    consent = session.scalar(select(NotificationConsent))
    assert (consent.openid, consent.template_id, consent.accepted) == ("o_villager_1", SUBSCRIBE_REMINDER, False)
    assert consent.source is ConsentSource.SEND_REFUSED
    assert (again.status, again.error_message) == (DeliveryStatus.UNREACHABLE, REFUSED_BEFORE)
    assert len(fake.calls(BIZSEND)) == 1  # the second was never sent
    assert other.status is DeliveryStatus.SENT and can_push(session, "o_villager_1")  # only that template


def test_a_template_refused_in_the_popup_is_not_sent_until_accepted_again(app, fake, session) -> None:
    record_consent(
        session, "o_clerk", REMINDER, accepted=False, at=TEST_NOW - dt.timedelta(days=1), source=ConsentSource.POPUP
    )

    skipped = send_template(session, "o_clerk", REMINDER, {"thing1": "巡查"}, key="t:1")
    record_consent(session, "o_clerk", REMINDER, accepted=True, at=TEST_NOW, source=ConsentSource.POPUP)
    sent = send_template(session, "o_clerk", REMINDER, {"thing1": "巡查"}, key="t:2")

    assert (skipped.status, skipped.sent_at) == (DeliveryStatus.UNREACHABLE, None)
    assert sent.status is DeliveryStatus.SENT
    assert [call.body["request"]["template_id"] for call in fake.calls(TEMPLATE)] == [REMINDER]


def test_a_person_not_following_is_unreachable_and_marked_so(app, fake, session) -> None:
    fake.fault(SEND, 43004)

    delivery = send_text(session, "o_gone", "你好", key="k-gone")

    assert (delivery.status, delivery.error_code) == (DeliveryStatus.UNREACHABLE, 43004)
    assert not can_push(session, "o_gone") and not has_refused(session, "o_gone", REMINDER)


def test_a_template_message_the_person_blocked_is_recorded_as_a_refusal(
    app, app_factory, fake, session, messages
) -> None:
    data = {"thing1": {"value": "水渠损毁待修"}}
    delivery = send_template(session, "o_villager_1", REMINDER, data, key="k-blocked")
    assert delivery.status is DeliveryStatus.SENT and delivery.wechat_msgid
    result = messages.event(
        "TEMPLATESENDJOBFINISH", None, openid="o_villager_1", MsgID=delivery.wechat_msgid, Status="failed:user block"
    )
    callback = app_factory(**fake.client_config(WECHAT_TOKEN=TOKEN)).test_client()
    assert reply(callback, messages, result) is None  # answered "success"
    session.refresh(delivery)
    assert delivery.status is DeliveryStatus.UNREACHABLE and delivery.error_message == "对方已拒收本公众号的模板消息"
    assert has_refused(session, "o_villager_1", REMINDER)
    later = send_template(session, "o_villager_1", REMINDER, data, key="k-after-block")
    assert later.status is DeliveryStatus.UNREACHABLE and len(fake.calls(TEMPLATE)) == 1
