"""Checks around wechatpy's crypto: constant-time signatures, a replay window, AES key rotation.

wechatpy computes signatures and does the AES work; it compares with `!=`, sets no timestamp
window and parses the envelope before checking it, so the checks themselves live here.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import struct
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import WeChatException
from wechatpy.utils import WeChatSigner


class Refused(Exception):
    """The request is not from WeChat, or not readable: `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Keys:
    token: str
    appid: str
    aes_keys: tuple[str, ...]  # current first, then the previous one during a rotation

    def validate(self) -> None:
        """Fail at start-up, not on the first message, when an EncodingAESKey is malformed."""
        for aes_key in self.aes_keys:
            _key_bytes(aes_key)


def signature(*parts: str) -> str:
    """WeChat's signature: sha1 of the parts sorted and joined."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def check_signature(given: str | None, *parts: str) -> None:
    expected = signature(*parts)
    if not given or not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise Refused(403, "bad signature")


def check_fresh(timestamp: str | None, now: float, window: int) -> None:
    """Refuse a timestamp further than `window` seconds from now (a replayed request)."""
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        raise Refused(403, "bad timestamp")
    if abs(int(timestamp) - now) > window:
        raise Refused(403, "stale timestamp")


def refuse_dtd(text: str | bytes) -> None:
    """WeChat never sends a DTD: refuse any before a parser sees it (xmltodict refuses too)."""
    upper = text.upper()
    if ("<!DOCTYPE" if isinstance(text, str) else b"<!DOCTYPE") in upper or (
        "<!ENTITY" if isinstance(text, str) else b"<!ENTITY"
    ) in upper:
        raise Refused(400, "DTD in body")


def parse_xml(raw: bytes) -> dict:
    """The children of the <xml> root, parsed without DTDs or entities."""
    refuse_dtd(raw)
    try:
        document = xmltodict.parse(raw, disable_entities=True)
    except (ExpatError, ValueError) as error:
        raise Refused(400, f"malformed XML: {error}") from error
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise Refused(400, "no <xml> root")
    return root


def open_envelope(envelope: dict, keys: Keys, msg_signature: str | None, timestamp: str, nonce: str) -> str:
    """The inner message XML of a safe-mode (or compatible-mode) body."""
    encrypted = envelope.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise Refused(400, "no Encrypt element")
    check_signature(msg_signature, keys.token, timestamp, nonce, encrypted)
    for aes_key in keys.aes_keys:
        try:
            return PrpCrypto(_key_bytes(aes_key)).decrypt(encrypted, keys.appid)
        except (WeChatException, ValueError, TypeError, IndexError, struct.error):
            continue  # a wrong key (or appid) gives garbage; try the previous key
    raise Refused(400, "cannot decrypt for this appid with the current or previous key")


def seal(reply_xml: str, keys: Keys, nonce: str, timestamp: str) -> str:
    """Encrypt a reply with the current key, in WeChat's envelope."""
    encrypted = PrpCrypto(_key_bytes(keys.aes_keys[0])).encrypt(reply_xml, keys.appid).decode()
    return (
        f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{signature(keys.token, timestamp, nonce, encrypted)}]]>"
        "</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
    )


def _key_bytes(aes_key: str) -> bytes:
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except binascii.Error as error:
        raise ValueError("GUANHU_WECHAT_AES_KEY is not a 43-character EncodingAESKey") from error
    if len(key) != 32:
        raise ValueError("GUANHU_WECHAT_AES_KEY is not a 43-character EncodingAESKey")
    return key
