"""The sandbox: the phone simulator page, its signing, and a message reaching the real /wechat."""

from __future__ import annotations

import io
import re

import pytest
import requests
from PIL import Image
from sqlalchemy import select
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from bot.sandbox.fake_api import PERSON_KEY
from bot.sandbox.signing import Keys, message_xml, read_reply, sign
from models.clock import SystemClock
from models.people import Role, User
from tests.support.builders import Builders
from tests.support.fake_wechat import serve_fake_wechat
from tests.support.pages import csrf_token

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def sandbox(app_factory):
    return app_factory(WECHAT_SANDBOX=True)


def test_sandbox_routes_do_not_exist_when_the_sandbox_is_off(client) -> None:
    assert client.get("/sandbox/phone").status_code == 404
    assert client.post("/sandbox/wechat-api/cgi-bin/stable_token", json={}).status_code == 404
    assert client.get("/sandbox/wechat-api/connect/oauth2/authorize").status_code == 404


def test_sandbox_points_the_client_at_its_own_fake(sandbox) -> None:
    assert sandbox.config["WECHAT_API_BASE_URL"] == "http://guanhu.test/sandbox/wechat-api"
    assert sandbox.config["WECHAT_OAUTH_BASE_URL"] == "http://guanhu.test/sandbox/wechat-api"


def test_phone_page_lists_people_and_assets_without_inline_script(sandbox, county, build) -> None:
    village = county.villages["石桥村"]
    custodian = build.user(Role.CUSTODIAN, village, name="黄管护")
    asset = build.asset(village, name="石桥村饮水工程")

    browser = sandbox.test_client()
    with browser.session_transaction() as cookie:
        cookie[PERSON_KEY] = "o_villager_1"

    page = browser.get("/sandbox/phone")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'value="user:{custodian.id}"' in html and "黄管护" in html
    assert f'value="{asset.id}"' in html and "石桥村饮水工程" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


def test_choosing_a_staff_member_binds_them_to_a_sandbox_openid(sandbox, county, build, session) -> None:
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="罗镇干")
    browser = sandbox.test_client()
    token = csrf_token(browser, "/sandbox/phone")

    answer = browser.post("/sandbox/phone/person", data={"person": f"user:{official.id}", "csrf_token": token})

    assert answer.status_code == 303
    session.expire_all()
    assert session.scalar(select(User.wechat_openid).where(User.id == official.id)) == f"o_sandbox_{official.id}"
    with browser.session_transaction() as cookie:
        assert cookie[PERSON_KEY] == f"o_sandbox_{official.id}"
    assert "罗镇干（乡镇工作专班）" in browser.get("/sandbox/phone").get_data(as_text=True)


def test_phone_forms_need_the_csrf_token(sandbox) -> None:
    answer = sandbox.test_client().post("/sandbox/phone/person", data={"person": "o_villager_1"})

    assert answer.status_code == 400


def test_authorize_without_a_chosen_person_asks_to_choose_one(sandbox) -> None:
    answer = sandbox.test_client().get(
        "/sandbox/wechat-api/connect/oauth2/authorize",
        query_string={
            "appid": sandbox.config["WECHAT_APPID"],
            "redirect_uri": "http://guanhu.test/x",
            "response_type": "code",
            "scope": "snsapi_base",
        },
    )

    assert answer.status_code == 200 and "请先在" in answer.get_data(as_text=True)


def test_plain_message_is_signed_as_wechat_signs() -> None:
    keys = Keys("sandbox-token", "wxsandbox0000001", None)
    xml = message_xml("o_villager_1", {"MsgType": "text", "Content": "帮助 ]]> <b>"})

    signed = sign(xml, "o_villager_1", keys)

    params = signed.params
    check_signature("sandbox-token", params["signature"], params["timestamp"], params["nonce"])
    assert signed.body == xml and params["openid"] == "o_villager_1"
    assert "encrypt_type" not in params


def test_safe_mode_message_is_encrypted_and_signed_as_wechat_does() -> None:
    keys = Keys("sandbox-token", "wxsandbox0000001", AES_KEY)
    xml = message_xml("o_villager_1", {"MsgType": "text", "Content": "帮助"})

    signed = sign(xml, "o_villager_1", keys)

    params = signed.params
    check_signature("sandbox-token", params["signature"], params["timestamp"], params["nonce"])
    crypto = WeChatCrypto("sandbox-token", AES_KEY, "wxsandbox0000001")
    plain = crypto.decrypt_message(signed.body, params["msg_signature"], params["timestamp"], params["nonce"])
    assert plain == xml and params["encrypt_type"] == "aes"
    reply = crypto.encrypt_message("<xml><MsgType>text</MsgType><Content>好</Content></xml>", "n1", "1")
    assert read_reply(reply, keys) == {"MsgType": "text", "Content": "好"}


# -- through HTTP on loopback, as a browser uses it -------------------------------------------------


@pytest.fixture(scope="module", params=[None, AES_KEY], ids=["plain", "safe-mode"])
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sandbox-server")
    with serve_fake_wechat(folder, WECHAT_AES_KEY=request.param, WECHAT_BUSY_RETRY_DELAYS=[0, 0]) as fake:
        yield fake


def phone(server, person: str) -> tuple[requests.Session, str]:
    """A browser on the phone page, as `person`; also its CSRF token."""
    browser = requests.Session()
    page = browser.get(f"{server.url}/sandbox/phone", timeout=5)
    token = CSRF_FIELD.search(page.text).group(1)
    chosen = browser.post(f"{server.url}/sandbox/phone/person", data={"person": person, "csrf_token": token}, timeout=5)
    assert chosen.status_code == 200, chosen.text  # followed the 303 back to the page
    return browser, token


def test_simulated_text_reaches_the_real_endpoint_and_the_reply_shows(server) -> None:
    browser, token = phone(server, "o_villager_1")

    page = browser.post(
        f"{server.url}/sandbox/phone/send", data={"kind": "text", "content": "帮助", "csrf_token": token}, timeout=10
    )

    assert page.status_code == 200
    assert "帮助" in page.text and "扫资产卡上的二维码" in page.text  # the endpoint's help reply
    replies = server.calls("phone/reply")
    assert replies[-1].openid == "o_villager_1" and replies[-1].body["reply"]["MsgType"] == "text"


def test_a_simulated_scan_of_a_card_answers_with_the_asset(server) -> None:
    with server.app.extensions["db"].sessionmaker.begin() as session:
        build = Builders(session, SystemClock())
        asset = build.asset(build.county().villages["石桥村"], name="石桥村便民桥")
        asset_id, token = asset.id, asset.public_token
    browser, csrf = phone(server, "o_villager_1")  # o_villager_3 must stay silent for a later test

    for first_time in ("1", ""):  # not yet following (subscribe + qrscene_), then following (SCAN)
        page = browser.post(
            f"{server.url}/sandbox/phone/send",
            timeout=10,
            data={"kind": "scan", "asset_id": asset_id, "first_time": first_time, "csrf_token": csrf},
        )
        reply = server.calls("phone/reply")[-1].body["reply"]
        assert page.status_code == 200 and "没有找到这个资产" not in page.text
        assert reply["MsgType"] == "news" and "石桥村便民桥" in str(reply) and f"/a/{token}" in str(reply)


def test_a_simulated_villagers_photo_is_answered_and_not_fetched(server) -> None:
    browser, token = phone(server, "o_villager_2")
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 60)).save(photo, "JPEG")

    page = browser.post(
        f"{server.url}/sandbox/phone/send",
        data={"kind": "image", "csrf_token": token},
        files={"photo": ("p.jpg", photo.getvalue(), "image/jpeg")},
        timeout=10,
    )

    assert page.status_code == 200 and "我要反映问题" in page.text  # photos of problems go on the form
    assert server.calls("cgi-bin/media/get") == []


def test_sending_nothing_is_refused_with_a_chinese_notice(server) -> None:
    browser, token = phone(server, "o_villager_3")

    page = browser.post(
        f"{server.url}/sandbox/phone/send", data={"kind": "text", "content": " ", "csrf_token": token}, timeout=5
    )

    assert "请输入要发送的文字" in page.text
    assert server.calls("phone/sent") == [] or all(c.openid != "o_villager_3" for c in server.calls("phone/sent"))
