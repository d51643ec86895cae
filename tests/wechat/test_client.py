"""The outbound client against the sandbox's fake WeChat on a real loopback port."""

from __future__ import annotations

import hashlib
import io

import pytest
import requests
from PIL import Image

from bot.client import STAFF_TAG, Outcome, WeChatError, build_client, wechat_client
from bot.menu import STAFF_MENU, VILLAGER_MENU
from bot.sandbox.fake_api import PERSON_KEY
from bot.token_store import DatabaseStorage, LockBusy, RedisTokenStorage
from models.people import Role
from web.cli import cli

SEND = "cgi-bin/message/custom/send"
TOKEN = "cgi-bin/stable_token"


@pytest.fixture
def app(app_factory, fake):
    app = app_factory(**fake.client_config())
    with app.app_context():
        yield app


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def test_token_is_fetched_once_and_shared_by_two_clients(app, fake) -> None:
    build_client(app).send_text("o_villager_1", "一")
    build_client(app).send_text("o_villager_2", "二")

    assert len(fake.calls(TOKEN)) == 1
    assert [call.openid for call in fake.calls(SEND)] == ["o_villager_1", "o_villager_2"]


def test_refused_token_is_refreshed_once_and_the_call_retried_once(app, fake) -> None:
    client = wechat_client()
    client.send_text("o_villager_1", "先拿到令牌")
    fake.fault(SEND, 40001)

    client.send_text("o_villager_1", "再发一次")

    tokens = fake.calls(TOKEN)
    assert len(tokens) == 2 and tokens[1].body["request"]["force_refresh"] is True
    assert [call.body["errcode"] for call in fake.calls(SEND)] == [0, 40001, 0]


def test_token_refused_forever_refreshes_once_then_gives_up(app, fake) -> None:
    fake.fault(SEND, 40001, times=50)

    with pytest.raises(WeChatError) as raised:
        wechat_client().send_text("o_villager_1", "你好")

    assert raised.value.code == 40001 and raised.value.outcome is Outcome.TOKEN
    assert len(fake.calls(TOKEN)) == 2
    assert len(fake.calls(SEND)) == 2


@pytest.mark.parametrize("code", [43004, 45015, 40003, 47003])
def test_final_errors_are_raised_at_once_without_retry(app, fake, code) -> None:
    fake.fault(SEND, code, times=5)

    with pytest.raises(WeChatError) as raised:
        wechat_client().send_text("o_villager_1", "你好")

    assert raised.value.code == code and raised.value.outcome is Outcome.FINAL
    assert len(fake.calls(SEND)) == 1


def test_busy_wechat_is_retried_a_bounded_number_of_times(app, fake) -> None:
    fake.fault(SEND, -1, times=50)

    with pytest.raises(WeChatError) as raised:
        wechat_client().send_text("o_villager_1", "你好")

    assert raised.value.outcome is Outcome.RETRY
    assert len(fake.calls(SEND)) == 3  # the call and the two configured retries


def test_busy_wechat_that_recovers_gets_the_message(app, fake) -> None:
    fake.fault(SEND, -1, times=1)

    wechat_client().send_text("o_villager_1", "你好")

    assert [call.body["errcode"] for call in fake.calls(SEND)] == [-1, 0]


def test_no_answer_in_time_is_an_unknown_outcome(app_factory, fake) -> None:
    app = app_factory(**fake.client_config(WECHAT_HTTP_TIMEOUT=0.3))
    with app.app_context():
        client = wechat_client()
        client.access_token  # noqa: B018  (fetch the token before the slow call)
        fake.fault(SEND, None, delay=1)

        with pytest.raises(WeChatError) as raised:
            client.send_text("o_villager_1", "你好")

    assert raised.value.outcome is Outcome.UNKNOWN
    assert len(fake.wait_for_calls(SEND, 1)) == 1  # it did arrive after we stopped waiting


def test_oauth_code_from_the_fake_authorize_page_gives_the_visitors_openid(app, fake) -> None:
    client = wechat_client()
    authorize = client.oauth("http://guanhu.test/my/tasks", state="s1").authorize_url
    assert authorize.startswith(f"{fake.api_base}/connect/oauth2/authorize?")
    browser = fake.app.test_client()
    with browser.session_transaction() as cookie:
        cookie[PERSON_KEY] = "o_villager_2"

    answer = browser.get(authorize.removeprefix(fake.url).split("#")[0])

    assert answer.status_code == 302
    back = answer.headers["Location"]
    assert back.startswith("http://guanhu.test/my/tasks?code=") and back.endswith("&state=s1")
    code = back.split("code=")[1].split("&")[0]
    assert client.openid_from_code(code) == "o_villager_2"
    with pytest.raises(WeChatError) as reused:
        client.openid_from_code(code)
    assert reused.value.code == 40029 and reused.value.outcome is Outcome.FINAL


def test_jsapi_config_is_signed_with_the_shared_ticket(app, fake) -> None:
    client = wechat_client()
    url = "http://guanhu.test/assets/abc?x=1"

    config = client.jsapi_config(url + "#top")
    again = build_client(app).jsapi_config(url)

    ticket = client.jsapi_ticket()
    plain = f"jsapi_ticket={ticket}&noncestr={config['nonceStr']}&timestamp={config['timestamp']}&url={url}"
    assert config["signature"] == hashlib.sha1(plain.encode()).hexdigest()  # noqa: S324
    assert config["appId"] == app.config["WECHAT_APPID"] and again["signature"]
    assert len(fake.calls("cgi-bin/ticket/getticket")) == 1


def test_permanent_qrcode_is_created_and_its_image_served(app, fake) -> None:
    client = wechat_client()

    created = client.create_permanent_qrcode("asset-token-123")
    image_url = client.qrcode.get_url(created["ticket"])

    assert fake.calls("cgi-bin/qrcode/create")[0].body["request"]["action_name"] == "QR_LIMIT_STR_SCENE"
    assert image_url.startswith(f"{fake.api_base}/cgi-bin/showqrcode?ticket=")
    image = client.qrcode.show(created["ticket"])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        client.create_permanent_qrcode("x" * 65)


def test_photo_is_downloaded_from_media_get(app, fake) -> None:
    client = wechat_client()
    photo = jpeg_bytes()
    media_id = client.media.upload("image", io.BytesIO(photo))["media_id"]

    content, content_type = client.download_media(media_id)

    assert content == photo and content_type == "image/jpeg"
    assert client.media.download(media_id).content == photo  # wechatpy's own call, moved too
    assert client.media.get_url(media_id).startswith(f"{fake.api_base}/cgi-bin/media/get?")
    with pytest.raises(WeChatError) as missing:
        client.download_media("no-such-media")
    assert missing.value.code == 40007


def test_hard_coded_wechat_urls_are_moved_to_the_configured_base(app, fake) -> None:
    # wechatpy builds the customer-service account URLs itself; the fake has no handler for them,
    # so reaching it shows as HTTP 404 (reaching the real WeChat would fail this test).
    with pytest.raises(WeChatError) as raised:
        wechat_client().customservice.add_account("kf1@guanhu", "客服一", "secret-1")

    assert "HTTP 404" in raised.value.message and raised.value.outcome is Outcome.UNKNOWN


def test_unknown_fake_path_fails_loudly(fake) -> None:
    answer = requests.get(f"{fake.api_base}/cgi-bin/no/such/api", timeout=5)

    assert answer.status_code == 404 and "no fake" in answer.json()["errmsg"]


def test_menu_push_sends_both_menus_and_tags_exactly_the_bound_staff(app, fake, session, county, build) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = "o_clerk"
    gone = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    gone.wechat_openid, gone.active = "o_gone", False
    session.commit()
    wechat_client().tag_staff(["o_gone"])  # someone tagged earlier who is no longer staff

    result = app.test_cli_runner().invoke(cli, ["wechat", "menu", "push"])

    assert result.exit_code == 0, result.output
    assert "村民看到 我要反映、我的反映、帮助" in result.output and "新加1人，去掉1人" in result.output
    assert [call.path for call in fake.calls() if "/menu/" in call.path] == [
        "cgi-bin/menu/delete",
        "cgi-bin/menu/create",
        "cgi-bin/menu/addconditional",
    ]
    assert fake.calls("cgi-bin/menu/create")[0].body["request"] == VILLAGER_MENU
    staff_menu = fake.calls("cgi-bin/menu/addconditional")[0].body["request"]
    [tag] = fake.calls("cgi-bin/tags/create")
    assert tag.body["request"] == {"tag": {"name": STAFF_TAG}}
    assert staff_menu == {**STAFF_MENU, "matchrule": {"tag_id": "100"}}  # the fake numbers tags from 100
    assert fake.tagged(STAFF_TAG) == ["o_clerk"]

    again = app.test_cli_runner().invoke(cli, ["wechat", "menu", "push"])  # the tag is made once
    assert again.exit_code == 0 and "新加0人，去掉0人" in again.output
    assert len(fake.calls("cgi-bin/tags/create")) == 1


def test_menu_push_failure_is_reported_in_chinese(app, fake) -> None:
    fake.fault("cgi-bin/menu/create", 40016)

    result = app.test_cli_runner().invoke(cli, ["wechat", "menu", "push"])

    assert result.exit_code != 0 and "菜单没有推送成功" in result.output


def test_wrong_secret_is_a_final_error(app_factory, fake) -> None:
    app = app_factory(**fake.client_config(WECHAT_SECRET="wrong"))
    with app.app_context(), pytest.raises(WeChatError) as raised:
        wechat_client().send_text("o_villager_1", "你好")

    assert raised.value.code == 40125 and raised.value.outcome is Outcome.FINAL


def test_database_lock_admits_one_holder_at_a_time(app) -> None:
    storage = DatabaseStorage(app.extensions["db"].sessionmaker)
    impatient = DatabaseStorage(app.extensions["db"].sessionmaker, wait_seconds=0.1)

    with storage.lock("refresh"), pytest.raises(LockBusy), impatient.lock("refresh"):
        pass
    with impatient.lock("refresh"):  # given back: free again
        pass


def test_refresh_waiting_on_the_lock_is_a_retryable_error(app, fake) -> None:
    client = build_client(app)
    client.session.wait_seconds = 0.1
    with client.session.lock(f"{client.appid}:access_token"), pytest.raises(WeChatError) as raised:
        client.send_text("o_villager_1", "你好")

    assert raised.value.outcome is Outcome.RETRY
    assert fake.calls(TOKEN) == []


def test_redis_store_shares_the_token_and_the_lock(app_factory, fake, redis_url) -> None:
    app = app_factory(**fake.client_config(REDIS_URL=redis_url))
    with app.app_context():
        first, second = build_client(app), build_client(app)
        first.session.delete(first.access_token_key)
        try:
            first.send_text("o_villager_1", "一")
            second.send_text("o_villager_1", "二")

            assert isinstance(first.session, RedisTokenStorage)
            assert len(fake.calls(TOKEN)) == 1
            impatient = RedisTokenStorage(redis_url, wait_seconds=0.1)
            with first.session.lock("x"), pytest.raises(LockBusy), impatient.lock("x"):
                pass
        finally:
            first.session.delete(first.access_token_key)
