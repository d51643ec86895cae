"""The one outbound WeChat client of the app: wechatpy's WeChatClient, configured to be safe.

What wechatpy 1.8.18 does not do by default and this subclass does:
- an HTTP timeout on every call, the token fetch included;
- the token from POST /cgi-bin/stable_token (the same token while it is valid, so workers agree),
  kept in shared storage (database or Redis) and refreshed under a lock;
- auto_retry off: on 40001/40014/42001 the token is refreshed once and the call retried once;
- every URL under the configured base (GUANHU_WECHAT_API_BASE_URL), for the sandbox and tests;
- WeChat's errors classified in one place (`classify`), so callers know what to do next.

Use `wechat_client()` inside an app context; it is built on first use and kept per app.
"""

from __future__ import annotations

import enum
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import requests
from flask import Flask, current_app
from wechatpy import WeChatClient
from wechatpy.client.api import WeChatMedia, WeChatQRCode
from wechatpy.exceptions import WeChatClientException, WeChatException
from wechatpy.oauth import WeChatOAuth

from bot.token_store import DatabaseStorage, LockBusy, RedisTokenStorage
from infra.database import database

OFFICIAL_API = "https://api.weixin.qq.com"
OFFICIAL_MP = "https://mp.weixin.qq.com"
OFFICIAL_OAUTH = "https://open.weixin.qq.com"
TOKEN_MARGIN_SECONDS = 300  # refresh a little before WeChat's expiry
STAFF_TAG = "工作人员"  # the user tag whose followers see the staff menu
TAG_BATCH = 50  # openids per tagging call, WeChat's limit
UNKNOWN_TAG = 45159  # the tag id is no longer valid (deleted on the platform)


class Outcome(enum.Enum):
    TOKEN = "token"  # noqa: S105  the access token is bad: refresh once (under the lock), retry once
    RETRY = "retry"  # WeChat asks us to come back later (busy, per-minute quota)
    FINAL = "final"  # will never succeed as sent: record it, never retry
    UNKNOWN = "unknown"  # may or may not have arrived (timeout, reset): do not resend blindly


TOKEN_CODES = frozenset({40001, 40014, 42001})
RETRY_CODES = frozenset({-1, 45011})

ERROR_MEANINGS = {
    -1: "微信系统繁忙",
    40001: "access_token 无效",
    40003: "openid 无效",
    40014: "access_token 不合法",
    40029: "网页授权 code 无效或已使用",
    40037: "模板 ID 无效",
    42001: "access_token 已过期",
    43004: "对方未关注公众号",
    43101: "对方拒收此类通知",
    45009: "接口今日调用次数已用完",
    45011: "接口调用太频繁，请稍后再试",
    45015: "已超过48小时互动时限，不能再发客服消息",
    45047: "客服消息条数已用完",
    47003: "模板数据不符合要求",
    89503: "新的服务器 IP 需管理员在公众平台确认",
}


def classify(code: int | None) -> Outcome:
    """What to do about WeChat's error `code` (None: no answer was read)."""
    if code is None:
        return Outcome.UNKNOWN
    if code in TOKEN_CODES:
        return Outcome.TOKEN
    if code in RETRY_CODES:
        return Outcome.RETRY
    return Outcome.FINAL  # 43004, 43101, 45015, 45047, 40003, 40037, 47003, and unknown codes


class WeChatError(WeChatException):
    """A WeChat call that did not succeed; `outcome` says whether and when to try again.

    A wechatpy WeChatException, so code that catches wechatpy's errors catches this one too.
    """

    def __init__(self, code: int | None, message: str, outcome: Outcome | None = None, detail: str = ""):
        super().__init__(code, message)
        self.code = code
        self.message = message  # in Chinese, for the people who read the pushes log
        self.detail = detail  # what WeChat or the network said, for the log
        self.outcome = outcome or classify(code)

    @classmethod
    def from_code(cls, code: int, errmsg: str) -> WeChatError:
        meaning = ERROR_MEANINGS.get(code, "微信接口返回错误")
        return cls(code, f"{meaning}（{code}）", detail=errmsg)


def _from_wechatpy(error: WeChatClientException) -> WeChatError:
    if error.errcode is None:  # an HTTP error status: we cannot tell what happened
        status = getattr(error.response, "status_code", "?")
        return WeChatError(None, f"微信接口返回 HTTP {status}", Outcome.UNKNOWN)
    return WeChatError.from_code(int(error.errcode), str(error.errmsg))


def _from_requests(error: requests.RequestException) -> WeChatError:
    detail = repr(error)
    if isinstance(error, requests.ConnectTimeout):  # nothing was sent
        return WeChatError(None, "连接微信服务器超时", Outcome.RETRY, detail)
    reason = "等待应答超时" if isinstance(error, requests.Timeout) else "连接中断"
    return WeChatError(None, f"微信接口无应答（{reason}），结果不明", Outcome.UNKNOWN, detail)


def _cache_seconds(expires_in: int) -> int:
    return max(expires_in - TOKEN_MARGIN_SECONDS, expires_in // 2, 1)


class _Media(WeChatMedia):
    def get_url(self, media_id: str) -> str:
        """The download address of a temporary media file, under the configured base."""
        query = f"access_token={self.access_token}&media_id={quote(media_id)}"
        return f"{self._client.API_BASE_URL}media/get?{query}"


class _QRCode(WeChatQRCode):
    def get_url(self, ticket: str | dict) -> str:
        """The image address of a QR code ticket, under the configured mp base."""
        ticket = ticket["ticket"] if isinstance(ticket, dict) else ticket
        return f"{self._client.mp_base_url}/cgi-bin/showqrcode?ticket={quote(ticket, safe='')}"

    def show(self, ticket: str | dict) -> requests.Response:
        return self._client._http.get(self.get_url(ticket), timeout=self._client.timeout)


class OAuth(WeChatOAuth):
    """wechatpy's web OAuth with our bases and a timeout (snsapi_base: the openid, silently)."""

    def __init__(
        self,
        appid: str,
        secret: str,
        redirect_uri: str,
        *,
        api_base_url: str,
        oauth_base_url: str,
        timeout: float,
        state: str = "",
    ):
        super().__init__(appid, secret, redirect_uri, scope="snsapi_base", state=state)
        self.API_BASE_URL = f"{api_base_url}/"
        self.OAUTH_BASE_URL = f"{oauth_base_url}/connect/"
        self.timeout = timeout

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> dict:
        kwargs.setdefault("timeout", self.timeout)
        return super()._request(method, url_or_endpoint, **kwargs)


class WeChatAPIClient(WeChatClient):
    """The app's WeChat client. Methods below name the WeChat API they call and its document."""

    media = _Media()
    qrcode = _QRCode()

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        storage: DatabaseStorage | RedisTokenStorage,
        api_base_url: str = OFFICIAL_API,
        mp_base_url: str = OFFICIAL_MP,
        oauth_base_url: str = OFFICIAL_OAUTH,
        timeout: float = 5,
        busy_delays: tuple[float, ...] = (1, 3),
    ):
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        self.api_base_url = api_base_url.rstrip("/")
        self.mp_base_url = mp_base_url.rstrip("/")
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.API_BASE_URL = f"{self.api_base_url}/cgi-bin/"
        self.busy_delays = tuple(busy_delays)

    # -- the access token -------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        return self.session.get(self.access_token_key) or self.refresh_access_token()

    def refresh_access_token(self, stale: str | None = None) -> str:
        """A valid token, fetched by one process at a time; `stale` is one WeChat just refused."""
        with self._locked("access_token"):
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return current  # another process refreshed it while we waited
            return self.fetch_access_token(force_refresh=stale is not None)["access_token"]

    def fetch_access_token(self, force_refresh: bool = False) -> dict:
        """POST /cgi-bin/stable_token — 获取稳定版接口调用凭据.

        https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
        """
        url = f"{self.api_base_url}/cgi-bin/stable_token"
        result = self._request_without_token(
            "post",
            url,
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": force_refresh,
            },
        )
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], _cache_seconds(expires_in))
        return result

    @contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        try:
            with self.session.lock(f"{self.appid}:{name}"):
                yield
        except LockBusy as error:
            raise WeChatError(None, "等待刷新微信凭据超时", Outcome.RETRY) from error

    # -- every call goes through here --------------------------------------------------------

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        url = self._moved(url_or_endpoint)
        if "api_base_url" in kwargs:
            kwargs["api_base_url"] = self._moved(kwargs["api_base_url"])
        refreshed = False
        busy_delays = list(self.busy_delays)
        while True:
            token = self.access_token
            params = {**(kwargs.get("params") or {}), "access_token": token}
            for file in (kwargs.get("files") or {}).values():  # a retry must send the file again
                if hasattr(file, "seek"):
                    file.seek(0)
            try:
                return super()._request(method, url, **{**kwargs, "params": params})
            except WeChatClientException as error:
                failure = _from_wechatpy(error)
            except requests.RequestException as error:
                failure = _from_requests(error)
            if failure.outcome is Outcome.TOKEN and not refreshed:
                refreshed = True
                self.refresh_access_token(stale=token)
            elif failure.code == -1 and busy_delays:
                time.sleep(busy_delays.pop(0))
            else:
                raise failure

    def _request_without_token(self, method: str, url: str, **kwargs: Any) -> dict:
        try:
            response = self._http.request(method, url, timeout=self.timeout, **kwargs)
            response.raise_for_status()
            result = response.json()
        except requests.HTTPError as error:
            raise WeChatError(None, f"微信接口返回 HTTP {error.response.status_code}", Outcome.UNKNOWN) from error
        except requests.RequestException as error:  # includes a body that is not JSON
            raise _from_requests(error) from error
        if result.get("errcode"):
            raise WeChatError.from_code(int(result["errcode"]), str(result.get("errmsg", "")))
        return result

    def _moved(self, url: str) -> str:
        """wechatpy hard-codes the official host in places: move such URLs to our base."""
        if url.startswith(f"{OFFICIAL_API}/"):
            return f"{self.api_base_url}/{url.removeprefix(f'{OFFICIAL_API}/')}"
        return url

    # -- the calls the app makes -------------------------------------------------------------

    def send_text(self, openid: str, text: str) -> dict:
        """POST /cgi-bin/message/custom/send — 客服消息 (text).

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
        """
        return self.post("message/custom/send", data={"touser": openid, "msgtype": "text", "text": {"content": text}})

    def send_template(self, openid: str, template_id: str, data: dict[str, Any], url: str | None = None) -> dict:
        """POST /cgi-bin/message/template/send — 模板消息; `data` is {field: value}.

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
        """
        body = _template_body(openid, template_id, data)
        if url:
            body["url"] = url
        return self.post("message/template/send", data=body)

    def send_subscribe(self, openid: str, template_id: str, data: dict[str, Any], url: str | None = None) -> dict:
        """POST /cgi-bin/message/subscribe/bizsend — 订阅通知; fields are short (thing ≤ 20 chars).

        https://developers.weixin.qq.com/doc/offiaccount/Subscription_Messages/api.html
        """
        body = _template_body(openid, template_id, data)
        if url:
            body["page"] = url
        return self.post("message/subscribe/bizsend", data=body)

    def download_media(self, media_id: str) -> tuple[bytes, str]:
        """GET /cgi-bin/media/get — 获取临时素材: (content, content type). Kept 3 days by WeChat.

        https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html
        """
        response = self.get("media/get", params={"media_id": media_id})
        if isinstance(response, dict):  # a video answers with JSON; we only take photos
            raise WeChatError(None, "这个素材不是图片", Outcome.FINAL)
        return response.content, response.headers.get("Content-Type", "")

    def create_permanent_qrcode(self, scene: str) -> dict:
        """POST /cgi-bin/qrcode/create — 永久带参二维码 (QR_LIMIT_STR_SCENE): {ticket, url}.

        At most 100,000 per account. Its image is at `qrcode.get_url(ticket)`.
        https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
        """
        if not 1 <= len(scene) <= 64:
            raise ValueError("scene_str must be 1 to 64 characters")
        return self.post(
            "qrcode/create",
            data={
                "action_name": "QR_LIMIT_STR_SCENE",
                "action_info": {"scene": {"scene_str": scene}},
            },
        )

    def create_menu(self, menu: dict[str, Any]) -> None:
        """POST /cgi-bin/menu/create — 创建自定义菜单.

        https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html
        """
        self.post("menu/create", data=menu)

    def replace_menus(self, default: dict[str, Any], staff: dict[str, Any]) -> None:
        """GET /cgi-bin/menu/delete, POST /cgi-bin/menu/create, POST /cgi-bin/menu/addconditional:
        the default menu for everyone, and a personalised menu (个性化菜单) for the staff tag. The
        delete first drops every earlier personalised menu, so pushing again leaves exactly these two.

        https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Personalized_menu_interface.html
        """
        self.menu.delete()
        self.create_menu(default)
        self.menu.add_conditional({**staff, "matchrule": {"tag_id": str(self.staff_tag_id())}})

    def staff_tag_id(self) -> int:
        """GET /cgi-bin/tags/get, POST /cgi-bin/tags/create — the id of the tag staff carry (found by
        name, made once), kept in shared storage.

        https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
        """
        key = f"{self.appid}_staff_tag_id"
        found = self.session.get(key)
        if found:
            return int(found)
        with self._locked("staff_tag"):
            found = self.session.get(key)
            if not found:
                found = next((tag["id"] for tag in self.tag.get() if tag["name"] == STAFF_TAG), None)
                found = found if found is not None else self.tag.create(STAFF_TAG)["id"]
                self.session.set(key, int(found))
        return int(found)

    def tag_staff(self, openids: list[str]) -> None:
        """POST /cgi-bin/tags/members/batchtagging — give these followers the staff menu (50 a call)."""
        self._tag_members(openids, self.tag.tag_user)

    def untag_staff(self, openids: list[str]) -> None:
        """POST /cgi-bin/tags/members/batchuntagging — back to the villagers' menu (50 a call)."""
        self._tag_members(openids, self.tag.untag_user)

    def _tag_members(self, openids: list[str], call: Any) -> None:
        for start in range(0, len(openids), TAG_BATCH):
            batch = openids[start : start + TAG_BATCH]
            try:
                call(self.staff_tag_id(), batch)
            except WeChatError as error:
                if error.code != UNKNOWN_TAG:
                    raise
                self.session.delete(f"{self.appid}_staff_tag_id")  # deleted on the platform: make it again
                call(self.staff_tag_id(), batch)

    def staff_tagged(self) -> Iterator[str]:
        """POST /cgi-bin/user/tag/get — the openids that carry the staff tag now."""
        return self.tag.iter_tag_users(self.staff_tag_id())

    def jsapi_ticket(self) -> str:
        """GET /cgi-bin/ticket/getticket?type=jsapi — the JS-SDK ticket, kept in shared storage.

        https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html (附录1)
        """
        key = f"{self.appid}_jsapi_ticket"
        ticket = self.session.get(key)
        if ticket:
            return ticket
        with self._locked("jsapi_ticket"):
            ticket = self.session.get(key)
            if not ticket:
                result = self.jsapi.get_ticket("jsapi")
                ticket = result["ticket"]
                self.session.set(key, ticket, _cache_seconds(int(result.get("expires_in", 7200))))
        return ticket

    def jsapi_config(self, url: str) -> dict[str, Any]:
        """The values for `wx.config()` on the page at `url` (signed with the jsapi ticket)."""
        nonce, timestamp = secrets.token_hex(8), int(time.time())
        signature = self.jsapi.get_jsapi_signature(nonce, self.jsapi_ticket(), timestamp, url.split("#")[0])
        return {"appId": self.appid, "timestamp": timestamp, "nonceStr": nonce, "signature": signature}

    def oauth(self, redirect_uri: str, state: str = "") -> OAuth:
        """Web OAuth (snsapi_base) for a page at `redirect_uri`; `.authorize_url` starts it.

        https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
        """
        return OAuth(
            self.appid,
            self.secret,
            redirect_uri,
            api_base_url=self.api_base_url,
            oauth_base_url=self.oauth_base_url,
            timeout=self.timeout,
            state=state,
        )

    def openid_from_code(self, code: str) -> str:
        """GET /sns/oauth2/access_token — the visitor's openid for an OAuth `code` (single use)."""
        try:
            return self.oauth("").fetch_access_token(code)["openid"]
        except WeChatClientException as error:
            raise _from_wechatpy(error) from error
        except requests.RequestException as error:
            raise _from_requests(error) from error


def build_client(app: Flask) -> WeChatAPIClient:
    """A new client from the app's config, sharing the token store of every other one."""
    config = app.config
    storage: DatabaseStorage | RedisTokenStorage
    if config.get("REDIS_URL"):
        storage = RedisTokenStorage(config["REDIS_URL"])
    else:
        storage = DatabaseStorage(database(app).sessionmaker)
    return WeChatAPIClient(
        config.get("WECHAT_APPID") or "",
        config.get("WECHAT_SECRET") or "",
        storage=storage,
        api_base_url=config["WECHAT_API_BASE_URL"],
        mp_base_url=config["WECHAT_MP_BASE_URL"],
        oauth_base_url=config["WECHAT_OAUTH_BASE_URL"],
        timeout=float(config["WECHAT_HTTP_TIMEOUT"]),
        busy_delays=tuple(config["WECHAT_BUSY_RETRY_DELAYS"]),
    )


def wechat_client() -> WeChatAPIClient:
    """The current app's client (built on first use)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = app.extensions.get("wechat_client")
    if client is None:
        client = app.extensions["wechat_client"] = build_client(app)
    return client


def _template_body(openid: str, template_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """What template messages and subscription notifications share: who, which template, the fields."""
    return {
        "touser": openid,
        "template_id": template_id,
        "data": {name: {"value": value} for name, value in data.items()},
    }
