"""Messages as WeChat sends them to our `/wechat`: the XML, signed (and encrypted in safe mode)
exactly as WeChat does, and the passive reply read back the way WeChat reads it."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

ACCOUNT_ID = "gh_sandbox0000"  # the official account's original id (ToUserName)


@dataclass(frozen=True)
class Keys:
    token: str
    appid: str
    aes_key: str | None  # None: plain mode


@dataclass(frozen=True)
class Signed:
    params: dict[str, str]  # the query string WeChat adds
    body: str


def message_xml(openid: str, fields: dict[str, Any]) -> str:
    """A message from `openid` to the account with these fields (MsgType, Content, …)."""
    message = {"ToUserName": ACCOUNT_ID, "FromUserName": openid, "CreateTime": str(int(time.time())), **fields}
    return xmltodict.unparse({"xml": message}, full_document=False)


def sign(xml: str, openid: str, keys: Keys) -> Signed:
    """The request WeChat would make for `xml`: signature always, AES envelope in safe mode."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    signer = WeChatSigner()
    signer.add_data(keys.token, timestamp, nonce)
    params = {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce, "openid": openid}
    if not keys.aes_key:
        return Signed(params, xml)
    crypto = WeChatCrypto(keys.token, keys.aes_key, keys.appid)
    envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
    params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
    body = xmltodict.unparse({"xml": {"ToUserName": ACCOUNT_ID, "Encrypt": envelope["Encrypt"]}}, full_document=False)
    return Signed(params, body)


def read_reply(text: str, keys: Keys) -> dict[str, Any] | None:
    """The passive reply's fields, checked and decrypted as WeChat would; None for no reply."""
    text = text.strip()
    if not text or text == "success":
        return None
    data = xmltodict.parse(text)["xml"]
    if "Encrypt" in data:
        crypto = WeChatCrypto(keys.token, keys.aes_key or "", keys.appid)
        plain = crypto.decrypt_message(text, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
        data = xmltodict.parse(plain)["xml"]
    return data
