"""POST/GET /wechat through the real endpoint, with messages signed (and encrypted) as WeChat does."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.handlers.assets import UNKNOWN_ASSET
from bot.handlers.fallback import NOT_UNDERSTOOD
from bot.handlers.help import VILLAGER_HELP
from bot.handlers.wechat import BOUND
from bot.replies import MENU_EMPTY, UNSUPPORTED_VIDEO, UNSUPPORTED_VOICE
from models.assets.cards import asset_scene
from models.assets.entities import AssetStatus
from models.people import Role
from models.wechat.binding import issue_bind_code
from models.wechat.claims import purge_claims
from models.wechat.entities import WeChatVisitor
from models.wechat.visitors import can_push
from tests.support.wechat_messages import (
    ACCOUNT,
    AES_KEY,
    OLD_AES_KEY,
    STAFF,
    VILLAGER,
    WECHAT_CONFIG,
    WeChatMessages,
    claims,
    post,
    reply,
)


@pytest.fixture
def safe_client(app_factory):
    return app_factory(**WECHAT_CONFIG, WECHAT_AES_KEY=AES_KEY, WECHAT_AES_KEY_PREVIOUS=OLD_AES_KEY).test_client()


def visitors(session) -> int:
    return session.scalar(select(func.count()).select_from(WeChatVisitor))


# The handshake


def test_handshake_echoes_echostr_when_signed(wechat_client, messages):
    response = wechat_client.get("/wechat", query_string=messages.handshake("echo-42"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "echo-42"


def test_handshake_with_wrong_signature_is_refused(wechat_client, messages):
    response = wechat_client.get("/wechat", query_string=messages.handshake("echo-42", signature="0" * 40))
    assert response.status_code == 403
    assert "echo-42" not in response.get_data(as_text=True)


# Every message type, plain mode


def test_help_tells_a_villager_what_they_can_do(wechat_client, messages):
    answer = reply(wechat_client, messages, messages.text("帮助"))
    assert answer["MsgType"] == "text"
    assert answer["Content"] == VILLAGER_HELP
    assert answer["ToUserName"] == VILLAGER and answer["FromUserName"] == ACCOUNT


def test_help_tells_staff_their_role(wechat_client, messages, county, build):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="韦小兰")
    clerk.wechat_openid = STAFF
    build.session.flush()
    answer = reply(wechat_client, messages, messages.text(" 帮助 ", openid=STAFF))
    assert "韦小兰" in answer["Content"] and "村干部" in answer["Content"] and "我的任务" in answer["Content"]
    assert "发照片" in answer["Content"]  # village staff record maintenance from the chat
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="覃志刚")
    official.wechat_openid = "oTownOfficial000000000000001"
    build.session.flush()
    told = reply(wechat_client, messages, messages.text("帮助", openid=official.wechat_openid, msg_id=3))["Content"]
    assert "覃志刚" in told and "乡镇工作专班" in told and "发照片" not in told  # they cannot record
    clerk.active = False  # a deactivated account is a villager to the bot
    build.session.flush()
    assert reply(wechat_client, messages, messages.text("帮助", openid=STAFF, msg_id=2))["Content"] == VILLAGER_HELP


def test_unknown_text_gets_a_helpful_answer(wechat_client, messages):
    assert reply(wechat_client, messages, messages.text("你好，在吗"))["Content"] == NOT_UNDERSTOOD


def test_bind_code_from_the_web_links_the_wechat_to_the_account(wechat_client, messages, county, build, session, clock):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="韦小兰")
    code = issue_bind_code(session, clerk, clock.now())
    answer = reply(wechat_client, messages, messages.text(f"绑定 {code}", openid=STAFF))
    assert answer["Content"] == BOUND.format(name="韦小兰", role="村干部")
    session.refresh(clerk)
    assert clerk.wechat_openid == STAFF


def test_my_tasks_for_staff_lists_damaged_assets_and_cards_not_on_wall(wechat_client, messages, county, build):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = STAFF
    build.session.flush()
    build.asset(county.villages["石桥村"], name="石桥村水渠", status="损毁")
    build.asset(county.villages["石桥村"], name="石桥村公厕", card_on_wall="否")
    build.asset(county.villages["竹林村"], name="竹林村水渠", status="损毁")  # not in the clerk's scope
    content = reply(wechat_client, messages, messages.text("我的任务", openid=STAFF))["Content"]
    assert "资产损毁待修1处：石桥村水渠" in content
    assert "资产卡未上墙1处：石桥村公厕" in content
    assert "竹林村" not in content


def test_my_tasks_for_a_villager_explains_it_is_for_staff(wechat_client, messages):
    assert "工作人员" in reply(wechat_client, messages, messages.text("我的任务"))["Content"]


def test_subscribe_without_scene_welcomes_and_records_the_follower(wechat_client, messages, session):
    answer = reply(wechat_client, messages, messages.event("subscribe", ""))
    assert answer["Content"].startswith("欢迎关注")
    visitor = session.scalar(select(WeChatVisitor).where(WeChatVisitor.openid == VILLAGER))
    assert visitor.subscribed and visitor.subscribed_at is not None


def test_subscribe_by_scanning_an_asset_card_shows_the_asset(wechat_client, messages, county, build):
    asset = build.asset(county.villages["石桥村"], name="石桥村饮水工程", status=AssetStatus.NORMAL.label)
    answer = reply(
        wechat_client, messages, messages.event("subscribe", f"qrscene_{asset_scene(asset.public_token)}", Ticket="t1")
    )
    assert answer["MsgType"] == "news" and answer["ArticleCount"] == "1"
    card = answer["Articles"]["item"]
    assert card["Title"] == "石桥村饮水工程"
    assert card["Url"] == f"http://guanhu.test/a/{asset.public_token}"
    assert "石桥村" in card["Description"] and "正常" in card["Description"]


def test_scan_by_a_follower_shows_the_asset_card(wechat_client, messages, county, build):
    asset = build.asset(county.villages["清水村"], name="清水村光伏电站")
    answer = reply(wechat_client, messages, messages.event("SCAN", asset_scene(asset.public_token), Ticket="t1"))
    assert answer["Articles"]["item"]["Url"].endswith(f"/a/{asset.public_token}")


def test_scan_of_an_unknown_asset_says_the_code_is_void(wechat_client, messages):
    assert (
        reply(wechat_client, messages, messages.event("SCAN", asset_scene("nosuchtoken")))["Content"] == UNKNOWN_ASSET
    )


def test_unsubscribe_marks_the_visitor_so_nothing_more_is_pushed(wechat_client, messages, session):
    reply(wechat_client, messages, messages.event("subscribe", ""))
    assert can_push(session, VILLAGER)
    assert reply(wechat_client, messages, messages.event("unsubscribe", "")) is None
    assert not can_push(session, VILLAGER)


def test_menu_clicks_route_by_key(wechat_client, messages):
    assert reply(wechat_client, messages, messages.event("CLICK", "HELP"))["Content"] == VILLAGER_HELP
    assert "工作人员" in reply(wechat_client, messages, messages.event("CLICK", "MY_TASKS"))["Content"]
    assert reply(wechat_client, messages, messages.event("CLICK", "NOT_WIRED"))["Content"] == MENU_EMPTY


def test_view_and_unhandled_events_are_answered_success_without_a_claim(wechat_client, messages, session):
    assert reply(wechat_client, messages, messages.event("VIEW", "http://guanhu.test/x")) is None
    assert reply(wechat_client, messages, messages.event("TEMPLATESENDJOBFINISH", None, Status="success")) is None
    assert reply(wechat_client, messages, messages.event("LOCATION", None, Latitude=23.1, Longitude=108.3)) is None
    assert claims(session) == 0


def test_voice_and_video_say_they_are_not_supported(wechat_client, messages):
    assert reply(wechat_client, messages, messages.voice())["Content"] == UNSUPPORTED_VOICE
    assert reply(wechat_client, messages, messages.video())["Content"] == UNSUPPORTED_VIDEO


def test_link_message_gets_the_fallback(wechat_client, messages):
    assert reply(wechat_client, messages, messages.link())["Content"] == NOT_UNDERSTOOD


def test_location_label_with_cdata_end_cannot_break_the_reply(wechat_client, messages):
    answer = reply(wechat_client, messages, messages.location("村口]]><Content>伪造</Content>"))
    assert answer["MsgType"] == "text"
    assert "村口]] ><Content>伪造</Content>" in answer["Content"]


# Refusals


def test_wrong_signature_is_refused_without_parsing(wechat_client, messages, session):
    response, _ = post(wechat_client, messages, "<xml>not even parsed", signature="f" * 40)
    assert response.status_code == 403
    assert claims(session) == 0


def test_stale_timestamp_is_refused_as_a_replay(wechat_client, messages):
    response, _ = post(wechat_client, messages, messages.text("帮助"), timestamp=messages.now() - 301)
    assert response.status_code == 403
    response, _ = post(wechat_client, messages, messages.text("帮助"), timestamp=messages.now() + 301)
    assert response.status_code == 403
    response, _ = post(wechat_client, messages, messages.text("帮助"), timestamp=messages.now() - 299)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        "<xml><MsgType>text</MsgType>",
        "<xml></xml>",
        "<xml><ToUserName>a</ToUserName></xml>",
        "<xml><MsgType><a>1</a></MsgType><FromUserName>x</FromUserName></xml>",
        "<other><MsgType>text</MsgType></other>",
        "<xml><Content>\x01</Content></xml>",
        "not xml at all",
    ],
)
def test_malformed_body_gets_400_and_a_log_line(wechat_client, messages, caplog, body, session):
    with caplog.at_level(logging.WARNING, logger="guanhu.bot"):
        response, _ = post(wechat_client, messages, body)
    assert response.status_code == 400
    assert "WeChat callback refused (400)" in caplog.text
    assert claims(session) == 0 and visitors(session) == 0


def test_xml_bomb_is_refused(wechat_client, messages, session):
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE xml [{"".join(entities)}]>'
        f"<xml><FromUserName>{VILLAGER}</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"
    )
    response, _ = post(wechat_client, messages, bomb)
    assert response.status_code == 400
    assert claims(session) == 0 and visitors(session) == 0


def test_external_entity_is_refused(wechat_client, messages, session):
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        f"<xml><ToUserName>a</ToUserName><FromUserName>{VILLAGER}</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&e;</Content><MsgId>1</MsgId></xml>"
    )
    response, _ = post(wechat_client, messages, xxe)
    assert response.status_code == 400
    assert "root:" not in response.get_data(as_text=True)
    assert claims(session) == 0 and visitors(session) == 0


def test_body_over_the_cap_is_refused(wechat_client, messages, session):
    response, _ = post(wechat_client, messages, messages.text("帮助" + "啊" * 350_000))  # about 1 MB
    assert response.status_code == 413
    assert claims(session) == 0


# Safe mode and compatible mode


def test_safe_mode_message_is_decrypted_and_the_reply_encrypted(safe_client, clock):
    messages = WeChatMessages(clock, aes_key=AES_KEY)
    response, query = post(safe_client, messages, messages.text("帮助"))
    assert response.status_code == 200
    assert "<Encrypt>" in response.get_data(as_text=True) and "帮助" not in response.get_data(as_text=True)
    assert messages.read_reply(response.get_data(), query)["Content"] == VILLAGER_HELP


def test_compatible_mode_is_answered_from_the_cipher(safe_client, clock):
    messages = WeChatMessages(clock, aes_key=AES_KEY, compatible=True)
    assert reply(safe_client, messages, messages.text("帮助"))["Content"] == VILLAGER_HELP


def test_compatible_mode_without_our_aes_key_uses_the_plain_fields(wechat_client, clock):
    messages = WeChatMessages(clock, aes_key=AES_KEY, compatible=True)
    response, _ = post(wechat_client, messages, messages.text("帮助"))
    assert response.status_code == 200
    assert WeChatMessages(clock).read_reply(response.get_data(), {})["Content"] == VILLAGER_HELP


def test_message_sealed_with_the_previous_aes_key_is_still_read(safe_client, clock):
    messages = WeChatMessages(clock, aes_key=AES_KEY)
    response, query = post(safe_client, messages, messages.text("帮助"), aes_key=OLD_AES_KEY)
    assert response.status_code == 200
    assert messages.read_reply(response.get_data(), query)["Content"] == VILLAGER_HELP


def test_bad_aes_payload_is_refused(safe_client, clock, session):
    messages = WeChatMessages(clock, aes_key=AES_KEY)
    for encrypt in ("bm90IGEgY2lwaGVy", "!!!not-base64!!!", "A" * 64):
        response, _ = post(safe_client, messages, messages.text("帮助"), encrypt=encrypt)
        assert response.status_code == 400
    assert claims(session) == 0


def test_message_for_another_appid_is_refused(safe_client, clock, session):
    messages = WeChatMessages(clock, aes_key=AES_KEY)
    response, _ = post(safe_client, messages, messages.text("帮助"), appid="wx0therapp0000000")
    assert response.status_code == 400
    assert claims(session) == 0


def test_cipher_signed_with_plain_signature_only_is_refused(safe_client, clock, session):
    # msg_signature covers the Encrypt text: a right `signature` alone must not be enough.
    messages = WeChatMessages(clock, aes_key=AES_KEY)
    query, body = messages.request(messages.text("帮助"))
    query["msg_signature"] = query["signature"]
    response = safe_client.post("/wechat", query_string=query, data=body)
    assert response.status_code == 403
    assert claims(session) == 0


def test_plain_message_is_refused_when_safe_mode_is_on(safe_client, clock, session):
    response, _ = post(safe_client, WeChatMessages(clock), WeChatMessages(clock).text("帮助"))
    assert response.status_code == 403
    assert claims(session) == 0


# Each message handled once


def test_three_retries_in_sequence_are_handled_once(wechat_client, messages, county, build, session, clock):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="韦小兰")
    code = issue_bind_code(session, clerk, clock.now())
    xml = messages.text(f"绑定 {code}", openid=STAFF)
    answers = [reply(wechat_client, messages, xml) for _ in range(4)]
    assert answers[0]["Content"] == BOUND.format(name="韦小兰", role="村干部")
    assert answers[1:] == [None, None, None]  # `success`: the retries are no-ops
    assert claims(session) == 1


def test_same_msgid_from_two_users_are_two_messages(wechat_client, messages, session):
    assert reply(wechat_client, messages, messages.text("帮助", openid=VILLAGER, msg_id=42)) is not None
    assert reply(wechat_client, messages, messages.text("帮助", openid=STAFF, msg_id=42)) is not None
    assert claims(session) == 2


def test_retried_event_is_handled_once(wechat_client, messages, session):
    xml = messages.event("subscribe", "")
    assert reply(wechat_client, messages, xml) is not None
    assert reply(wechat_client, messages, xml) is None
    assert claims(session) == 1


def test_claims_are_kept_two_days_then_purged(wechat_client, messages, session, clock):
    assert reply(wechat_client, messages, messages.text("帮助", msg_id=1)) is not None
    clock.advance(days=1)
    assert reply(wechat_client, messages, messages.text("帮助", msg_id=2)) is not None
    clock.advance(days=1, hours=1)
    assert purge_claims(session, clock.now()) == "删除 1 条消息去重记录"
    assert claims(session) == 1


def test_other_methods_are_refused(wechat_client):
    response = wechat_client.put("/wechat", data="x")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, POST"
    assert "不支持" in response.get_data(as_text=True)


def test_behind_the_proxy_refusals_log_the_real_client(app_factory, messages, caplog):
    wechat_client = app_factory(**WECHAT_CONFIG, BEHIND_PROXY=True).test_client()
    query, body = messages.request(messages.text("帮助"), signature="0" * 40)
    with caplog.at_level(logging.WARNING, logger="guanhu.bot"):
        response = wechat_client.post(
            "/wechat", query_string=query, data=body, headers={"X-Forwarded-For": "203.0.113.9"}
        )
    assert response.status_code == 403 and "from 203.0.113.9" in caplog.text
