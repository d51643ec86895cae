"""The sandbox as `make run` serves it, over HTTP on loopback: pushes work out of the box with the
fake account's templates, menu links in replies are tappable, the chat keeps the order things
happened in, and the 订阅通知 popup reaches the app and decides what the fake sends."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from sqlalchemy import select

from bot import notifier
from bot.sandbox import state
from infra.settings import SANDBOX_TEMPLATE_IDS
from jobs.scheduler import Runner
from models.clock import SystemClock
from models.deadlines.operations import open_deadline
from models.people import Role
from models.regions import Region
from models.scheduling.queries import job_states
from models.wechat.entities import ConsentSource, Delivery, DeliveryStatus, NotificationConsent
from tests.support.builders import Builders
from tests.support.fake_wechat import serve_fake_wechat
from tests.support.pages import visible_text

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
MENU_FORM = re.compile(r'<form[^>]*class="menu-link".*?</form>', re.DOTALL)
SUBSCRIBE_REMINDER = SANDBOX_TEMPLATE_IDS["reminder_subscribe"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app with the sandbox on and nothing configured, as `make run` starts it."""
    with serve_fake_wechat(tmp_path_factory.mktemp("sandbox-phone"), WECHAT_BUSY_RETRY_DELAYS=[0, 0]) as fake:
        yield fake


@pytest.fixture(scope="module")
def people(server):
    with server.app.extensions["db"].sessionmaker.begin() as session:
        build = Builders(session, SystemClock())
        village = build.county().villages["石桥村"]
        custodian = build.user(Role.CUSTODIAN, village, name="黄管护")
        clerk = build.user(Role.VILLAGE_CLERK, village, name="韦村干")
        asset = build.asset(village, name="石桥村饮水工程")
        return {"custodian": custodian.id, "clerk": clerk.id, "asset": asset.id, "village": village.id}


def phone(server, person: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    token = CSRF_FIELD.search(browser.get(f"{server.url}/sandbox/phone", timeout=5).text).group(1)
    chosen = browser.post(f"{server.url}/sandbox/phone/person", data={"person": person, "csrf_token": token}, timeout=5)
    assert chosen.status_code == 200, chosen.text
    return browser, token


def send(server, browser: requests.Session, **form: str) -> str:
    page = browser.post(f"{server.url}/sandbox/phone/send", data=form, timeout=10)
    assert page.status_code == 200
    return page.text


def test_the_sandbox_provides_the_templates_its_fake_account_has(server) -> None:
    config = server.app.config
    assert config["WECHAT_REMINDER_TEMPLATE_ID"] == SANDBOX_TEMPLATE_IDS["reminder"]
    assert config["COMPLAINT_ANSWER_TEMPLATE_ID"] == SANDBOX_TEMPLATE_IDS["complaint_answer"]
    assert config["DAMAGE_REPORT_TEMPLATE_ID"] == SANDBOX_TEMPLATE_IDS["damage_report"]


def test_with_subscription_reminders_the_sandbox_uses_its_subscription_template(app_factory) -> None:
    subscribing = app_factory(WECHAT_SANDBOX=True, WECHAT_REMINDER_CHANNEL="subscribe").config
    configured = app_factory(WECHAT_SANDBOX=True, WECHAT_REMINDER_TEMPLATE_ID="tpl-own").config
    off = app_factory().config

    assert subscribing["WECHAT_REMINDER_TEMPLATE_ID"] == SUBSCRIBE_REMINDER
    assert configured["WECHAT_REMINDER_TEMPLATE_ID"] == "tpl-own"  # what is configured wins
    assert (off["WECHAT_REMINDER_TEMPLATE_ID"], off["COMPLAINT_ANSWER_TEMPLATE_ID"]) == ("", None)


def test_once_staff_are_bound_the_urgent_job_pushes_out_of_the_box(server, people) -> None:
    phone(server, f"user:{people['clerk']}")  # binds the clerk to a sandbox WeChat
    with server.app.extensions["db"].sessionmaker.begin() as session:
        open_deadline(
            session,
            kind="repair_limit",
            region=session.get(Region, people["village"]),
            source="damage:sandbox",
            due_on=dt.date.today() + dt.timedelta(days=3),
            title="水渠损毁待修",
            now=dt.datetime.now(dt.UTC),
        )

    Runner(server.app).tick("urgent")

    with server.app.extensions["db"].sessionmaker() as session:
        urgent = {s.name: s for s in job_states(session)}["urgent"]
        [delivery] = session.scalars(select(Delivery).where(Delivery.key.like("urgent:%"))).all()
        assert (urgent.failures, urgent.last_error) == (0, None) and urgent.last_result == "紧急推送1条"
        assert delivery.status is DeliveryStatus.SENT and delivery.openid == f"o_sandbox_{people['clerk']}"
    [call] = server.calls("cgi-bin/message/template/send")
    assert call.body["request"]["template_id"] == SANDBOX_TEMPLATE_IDS["reminder"] and call.body["errcode"] == 0


def test_the_kind_prompts_menu_links_are_tappable_and_send_their_words(server, people) -> None:
    browser, token = phone(server, f"user:{people['custodian']}")

    page = send(server, browser, kind="scan", asset_id=str(people["asset"]), csrf_token=token)

    assert "开始给「石桥村饮水工程」记管护" in page
    assert "<a href" not in visible_text(page) and "bizmsgmenu" not in page  # no raw HTML shown
    menu = MENU_FORM.findall(page)
    assert len(menu) == 4 and 'value="日常巡查"' in menu[0] and ">1 日常巡查</button>" in menu[0]
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', menu[0]))
    assert (fields["kind"], fields["content"], fields["menu_id"]) == ("text", "日常巡查", "1")

    after_tap = send(server, browser, **fields)

    assert "好的，日常巡查。" in after_tap
    [tapped] = [c for c in server.calls("phone/sent") if c.body["shown"] == {"text": "日常巡查"}]
    assert tapped.openid == f"o_sandbox_{people['custodian']}"


def test_the_chat_keeps_a_reply_before_the_pushes_its_message_set_off(server) -> None:
    openid = "o_order_test"
    with server.app.extensions["db"].sessionmaker.begin() as session:
        state.record(session, state.PHONE_SENT, openid, {"shown": {"text": "完成"}, "errcode": 0})
        reply_id = state.record(session, state.PHONE_REPLY, openid, state.AWAITED_REPLY).id
        state.record(  # the record was saved, and its push sent, while the reply was on its way
            session, "cgi-bin/message/custom/send", openid, {"request": {"text": {"content": "已保存"}}, "errcode": 0}
        )
        while_waiting = [call.path for call in state.feed(session, openid)]
        state.answer(session, reply_id, {"reply": {"MsgType": "text", "Content": "正在保存"}, "errcode": 0})
        answered = [call.path for call in state.feed(session, openid)]

    assert while_waiting == ["phone/sent"]  # the push waits for the reply
    assert answered == ["phone/sent", "phone/reply", "cgi-bin/message/custom/send"]


def test_the_subscription_popup_reaches_the_app_and_decides_what_is_sent(server) -> None:
    browser, token = phone(server, "o_villager_2")
    consent = {"kind": "consent", "template_id": SUBSCRIBE_REMINDER, "csrf_token": token}

    accepted_page = send(server, browser, decision="accept", **consent)
    with server.app.app_context(), server.app.extensions["db"].sessionmaker() as session:
        sent = notifier.send_subscribe(session, "o_villager_2", SUBSCRIBE_REMINDER, {"thing1": "巡查"}, key="sbx:1")
        row = session.scalar(select(NotificationConsent).where(NotificationConsent.openid == "o_villager_2"))
        assert (row.accepted, row.source) == (True, ConsentSource.POPUP) and sent.status is DeliveryStatus.SENT

    send(server, browser, decision="off", **consent)
    with server.app.app_context(), server.app.extensions["db"].sessionmaker() as session:
        skipped = notifier.send_subscribe(session, "o_villager_2", SUBSCRIBE_REMINDER, {"thing1": "巡查"}, key="sbx:2")
        row = session.scalar(select(NotificationConsent).where(NotificationConsent.openid == "o_villager_2"))
        assert (row.accepted, row.source) == (
            False,
            ConsentSource.CHANGE,
        ) and skipped.status is DeliveryStatus.UNREACHABLE

    assert "订阅通知「待办事项提醒」：允许" in accepted_page
    assert len(server.calls("cgi-bin/message/subscribe/bizsend")) == 1  # the refused one never left
