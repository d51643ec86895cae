"""The chat that guides villagers: help in lines, a menu per person, 我要反映 pointing at the asset
they scanned last, 我的反映 by number, problems told in words, a welcome after a first scan; and
the staff menu following a binding. Through the real /wechat endpoint."""

from __future__ import annotations

import re

import pytest

from bot.client import STAFF_TAG
from bot.handlers.complaints import HOW_TO_REPORT, MINE_NONE, NOT_A_NUMBER, STAFF_DAMAGE
from bot.handlers.fallback import NOT_UNDERSTOOD
from bot.handlers.help import VILLAGER_HELP
from bot.handlers.wechat import WELCOME
from bot.sandbox.fake_api import PERSON_KEY
from models.people import Role
from models.storage import LocalStorage
from models.wechat.binding import issue_bind_code
from models.wechat.visitors import RECENT_SCAN
from tests.support.complaints import complaint_about
from tests.support.pages import csrf_token, login
from tests.support.wechat_messages import STAFF, VILLAGER, WECHAT_CONFIG, post, reply

BASE = "http://guanhu.test"


@pytest.fixture
def asset(build, county):
    return build.asset(county.villages["石桥村"], name="石桥村路灯")


def say(client, messages, text: str, openid: str = VILLAGER) -> str:
    return reply(client, messages, messages.text(text, openid=openid))["Content"]


def click(client, messages, key: str, openid: str = VILLAGER) -> str:
    messages.clock.advance(seconds=1)  # the same click again is a new event, not WeChat's retry
    return reply(client, messages, messages.event("CLICK", key, openid=openid))["Content"]


def scan(client, messages, asset, openid: str = VILLAGER) -> dict:
    return reply(client, messages, messages.event("SCAN", f"asset:{asset.public_token}", openid=openid))


def test_help_for_villagers_says_what_they_can_do_line_by_line(wechat_client, messages) -> None:
    response, _query = post(wechat_client, messages, messages.text("帮助"))
    body = response.get_data(as_text=True)
    content = reply(wechat_client, messages, messages.text("帮助"))["Content"]

    assert content == VILLAGER_HELP and len(content.splitlines()) >= 5
    assert "扫资产卡上的二维码" in content and "「我要反映」" in content and "「我的反映」" in content
    assert "可以匿名。\n2. 点菜单「我要反映」" in body  # the line breaks travel as they are in the XML


def test_report_tells_how_and_points_at_the_asset_scanned_last(wechat_client, messages, asset, clock) -> None:
    assert click(wechat_client, messages, "REPORT") == HOW_TO_REPORT
    card = scan(wechat_client, messages, asset)
    assert card["MsgType"] == "news"

    told = click(wechat_client, messages, "REPORT")

    assert "您最近扫过「石桥村路灯」" in told and f"{BASE}/a/{asset.public_token}/report\n" in told
    assert say(wechat_client, messages, "我要反映") == told
    clock.advance(seconds=RECENT_SCAN.total_seconds() + 60)
    assert click(wechat_client, messages, "REPORT") == HOW_TO_REPORT  # too long ago to be what they mean


def test_a_problem_told_in_words_is_answered_with_how_to_report_it(
    wechat_client, messages, asset, build, county
) -> None:
    assert say(wechat_client, messages, "你好") == NOT_UNDERSTOOD
    told = say(wechat_client, messages, "路灯坏了")
    assert told.startswith("您说的像是要反映问题（损坏需维修）。\n") and told.endswith(HOW_TO_REPORT)

    scan(wechat_client, messages, asset)
    told = say(wechat_client, messages, "路灯坏了，晚上黑乎乎的")

    assert f"{BASE}/a/{asset.public_token}/report?category=damage" in told
    occupied = say(wechat_client, messages, "篮球场被人占用了")
    assert "（被占用或私用）" in occupied and "?category=occupied" in occupied
    custodian = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    custodian.wechat_openid = STAFF
    build.session.flush()
    assert say(wechat_client, messages, "水渠堵了", openid=STAFF) == STAFF_DAMAGE  # staff report damage themselves


def test_the_report_link_opens_the_form_with_the_category_chosen(client, asset) -> None:
    page = client.get(f"/a/{asset.public_token}/report?category=damage").get_data(as_text=True)
    assert re.search(r'value="damage"\s+checked', page)
    plain = client.get(f"/a/{asset.public_token}/report?category=nonsense").get_data(as_text=True)
    assert "checked" not in plain


def test_opening_an_assets_page_inside_wechat_counts_as_scanning_it(
    app_factory, wechat_client, messages, asset
) -> None:
    browser = wechat_client.application.test_client()
    with browser.session_transaction() as cookie:
        cookie["visitor_openid"] = VILLAGER  # learnt earlier by snsapi_base

    assert browser.get(f"/a/{asset.public_token}").status_code == 200

    assert f"/a/{asset.public_token}/report" in click(wechat_client, messages, "REPORT")


def test_my_complaints_lists_mine_and_finds_one_by_its_number(
    wechat_client, messages, asset, session, clock, tmp_path
) -> None:
    assert click(wechat_client, messages, "MY_COMPLAINTS") == MINE_NONE.format(url=f"{BASE}/mine")
    filed = [
        complaint_about(
            session, LocalStorage(tmp_path), asset, clock, description=f"路灯不亮了，第{n}盏。", openid=openid
        )
        for n, openid in enumerate((VILLAGER, "oSomeoneElse", VILLAGER), start=1)
    ]

    listed = click(wechat_client, messages, "MY_COMPLAINTS")

    assert listed.splitlines()[0] == "您反映过的问题（最近2条）："
    assert "TS-2026-000003 待受理（石桥村路灯）" in listed and "TS-2026-000001" in listed
    assert "TS-2026-000002" not in listed and f"/t/{filed[0].public_token}" in listed
    found = say(wechat_client, messages, "我的反映 1")
    assert found == f"TS-2026-000001 待受理（石桥村路灯）\n查看进展：{BASE}/t/{filed[0].public_token}"
    assert say(wechat_client, messages, "我的反映TS-2026-000003").startswith("TS-2026-000003 待受理")
    assert "没有找到您的第2号反映" in say(wechat_client, messages, "我的反映 2")  # someone else's
    assert say(wechat_client, messages, "我的反映 第几号") == NOT_A_NUMBER


def test_the_menu_shown_in_the_sandbox_is_the_persons_own(app_factory, build, county) -> None:
    sandbox = app_factory(WECHAT_SANDBOX=True)
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = "o_sandbox_clerk"
    build.session.flush()
    pages = {}
    for person in ("o_villager_1", "o_sandbox_clerk"):
        phone = sandbox.test_client()
        with phone.session_transaction() as cookie:
            cookie[PERSON_KEY] = person
        pages[person] = phone.get("/sandbox/phone").get_data(as_text=True)

    assert 'value="REPORT"' in pages["o_villager_1"] and 'value="MY_TASKS"' not in pages["o_villager_1"]
    assert 'value="MY_TASKS"' in pages["o_sandbox_clerk"] and 'value="REPORT"' not in pages["o_sandbox_clerk"]


# -- what follows the reply: a welcome, the staff tag (against the fake WeChat) ------------------


@pytest.fixture
def account(app_factory, fake):
    """/wechat in plain mode, whose outbound calls (after the reply) reach the fake WeChat."""
    app = app_factory(**{**WECHAT_CONFIG, **fake.client_config()})
    yield app
    app.extensions["background"].wait(30)


def settle(app) -> None:
    app.extensions["background"].wait(30)


def test_a_first_scan_that_follows_gets_the_card_then_a_welcome_once(account, fake, messages, asset) -> None:
    client = account.test_client()
    first = messages.event("subscribe", f"qrscene_asset:{asset.public_token}")

    card = reply(client, messages, first)
    settle(account)
    assert reply(client, messages, first) is None  # WeChat's retry of the same event
    settle(account)

    assert card["MsgType"] == "news" and card["Articles"]["item"]["Title"] == "石桥村路灯"
    [welcome] = fake.wait_for_calls("cgi-bin/message/custom/send", 1)
    assert welcome.body["request"]["touser"] == VILLAGER
    assert welcome.body["request"]["text"]["content"] == WELCOME + VILLAGER_HELP


def test_binding_gives_the_staff_menu_and_unbinding_takes_it_away(
    account, fake, messages, session, build, county, clock
) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    code = issue_bind_code(session, clerk, clock.now())
    client = account.test_client()

    assert "绑定成功" in reply(client, messages, messages.text(f"绑定 {code}", openid=STAFF))["Content"]
    settle(account)
    assert fake.tagged(STAFF_TAG) == [STAFF]

    web = account.test_client()
    login(web, clerk)
    web.post("/account/wechat/unbind", data={"csrf_token": csrf_token(web, "/account/wechat")})
    assert fake.tagged(STAFF_TAG) == []


def test_a_failed_tagging_leaves_the_binding_and_is_logged(
    account, fake, messages, session, build, county, clock, caplog
):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    code = issue_bind_code(session, clerk, clock.now())
    fake.fault("cgi-bin/tags/members/batchtagging", 45009)

    assert "绑定成功" in reply(account.test_client(), messages, messages.text(f"绑定 {code}", openid=STAFF))["Content"]
    settle(account)

    session.refresh(clerk)
    assert clerk.wechat_openid == STAFF and fake.tagged(STAFF_TAG) == []
    assert "staff tag of" in caplog.text
