"""Messages as WeChat sends them: literal XML, a signed query, and in safe mode an AES envelope
made with wechatpy's own WeChatCrypto (so our endpoint is checked against the library's side)."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

import xmltodict
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from models.wechat.entities import InboundMessage

TOKEN = "test-token"
APPID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat gives it
OLD_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
ACCOUNT = "gh_guanhu000000"
VILLAGER = "oVillager000000000000000001"
STAFF = "oStaff0000000000000000000001"

_msg_ids = itertools.count(6_800_000_000_000_000_001)


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _xml(fields: dict[str, Any]) -> str:
    nodes = []
    for name, value in fields.items():
        if isinstance(value, int | float):
            nodes.append(f"<{name}>{value}</{name}>")
        else:
            escaped = str(value).replace("]]>", "]]]]><![CDATA[>")  # as any XML writer does
            nodes.append(f"<{name}><![CDATA[{escaped}]]></{name}>")
    return "<xml>" + "".join(nodes) + "</xml>"


@dataclass
class WeChatMessages:
    """Builds message XML and the signed request WeChat would make for it."""

    clock: Any
    token: str = TOKEN
    appid: str = APPID
    aes_key: str | None = None  # set: safe mode
    compatible: bool = False  # with aes_key: the plain fields travel beside the cipher
    _nonces: itertools.count = field(default_factory=lambda: itertools.count(1))

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def _base(self, openid: str, msg_type: str) -> dict[str, Any]:
        return {"ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": self.now(), "MsgType": msg_type}

    def text(self, content: str, openid: str = VILLAGER, msg_id: int | None = None) -> str:
        fields = self._base(openid, "text") | {"Content": content, "MsgId": msg_id or next(_msg_ids)}
        return _xml(fields)

    def image(self, media_id: str = "media-1", openid: str = VILLAGER) -> str:
        fields = self._base(openid, "image") | {
            "PicUrl": "http://mmbiz.example/pic.jpg",
            "MediaId": media_id,
            "MsgId": next(_msg_ids),
        }
        return _xml(fields)

    def voice(self, openid: str = VILLAGER) -> str:
        return _xml(self._base(openid, "voice") | {"MediaId": "v-1", "Format": "amr", "MsgId": next(_msg_ids)})

    def video(self, openid: str = VILLAGER) -> str:
        return _xml(self._base(openid, "video") | {"MediaId": "v-2", "ThumbMediaId": "t", "MsgId": next(_msg_ids)})

    def location(self, label: str, openid: str = VILLAGER) -> str:
        return _xml(
            self._base(openid, "location")
            | {"Location_X": 23.1, "Location_Y": 108.3, "Scale": 15, "Label": label, "MsgId": next(_msg_ids)}
        )

    def link(self, openid: str = VILLAGER) -> str:
        return _xml(
            self._base(openid, "link")
            | {"Title": "t", "Description": "d", "Url": "http://x.example", "MsgId": next(_msg_ids)}
        )

    def event(self, event: str, key: str | None = None, openid: str = VILLAGER, **extra: Any) -> str:
        fields = self._base(openid, "event") | {"Event": event}
        if key is not None:
            fields["EventKey"] = key
        return _xml(fields | extra)

    def request(
        self,
        xml: str,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        signature: str | None = None,
        appid: str | None = None,
        aes_key: str | None = None,
        encrypt: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """(query, body) for POST /wechat; keyword arguments spoil one part for refusal tests."""
        timestamp_text = str(timestamp if timestamp is not None else self.now())
        nonce = nonce or f"n{next(self._nonces)}{secrets.token_hex(4)}"
        query = {
            "timestamp": timestamp_text,
            "nonce": nonce,
            "signature": signature or sign(self.token, timestamp_text, nonce),
        }
        key = aes_key or self.aes_key
        if key is None:
            return query, xml.encode()
        if encrypt is None:
            crypto = WeChatCrypto(self.token, key, appid or self.appid)
            envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp_text))["xml"]
            encrypt = envelope["Encrypt"]
        query |= {"encrypt_type": "aes", "msg_signature": sign(self.token, timestamp_text, nonce, encrypt)}
        cipher = f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        if self.compatible:
            return query, (xml.removesuffix("</xml>") + cipher).encode()
        return query, f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>{cipher}".encode()

    def handshake(self, echostr: str = "echo-42", signature: str | None = None) -> dict[str, str]:
        timestamp, nonce = str(self.now()), "handshake1"
        return {
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": echostr,
            "signature": signature or sign(self.token, timestamp, nonce),
        }

    def read_reply(self, body: str | bytes, query: dict[str, str]) -> dict[str, Any] | None:
        """The reply's fields (decrypted with wechatpy in safe mode); None for `success`."""
        text = body.decode() if isinstance(body, bytes) else body
        if text in ("success", ""):
            return None
        if query.get("encrypt_type") == "aes":
            outer = xmltodict.parse(text)["xml"]
            crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
            text = crypto.decrypt_message(text, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        return xmltodict.parse(text)["xml"]


WECHAT_CONFIG = {"WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID}


def post(client, messages: WeChatMessages, xml: str, **spoil):
    query, body = messages.request(xml, **spoil)
    response = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
    return response, query


def reply(client, messages: WeChatMessages, xml: str) -> dict | None:
    response, query = post(client, messages, xml)
    assert response.status_code == 200, response.get_data(as_text=True)
    return messages.read_reply(response.get_data(), query)


def claims(session) -> int:
    return session.scalar(select(func.count()).select_from(InboundMessage))
