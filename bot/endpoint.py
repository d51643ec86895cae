"""GET/POST /wechat, WeChat's callback: check, decrypt, parse, claim, dispatch, reply.

Every step before the handler refuses bad input with a 4xx and a log line, never a 500; every
step from the claim on answers within WeChat's 5 seconds, leaving slow work to the background (`infra.background`).

The callback is its own small WSGI door in front of the web app. WeChat's servers are its only
caller and it checks their signature itself, so the web app's per-request machinery (cookie
session, sign-in, CSRF, rate limits, page headers, request ids) would be pure cost here: measured
at about half a millisecond a message, more than the callback's own work (bench/README.md). For
the same reason it reads the WSGI environ and answers with plain bytes, without werkzeug's
request and response objects (a fifth of the door's own time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import logging
import time
from dataclasses import dataclass, field, replace
from functools import cache
from http import HTTPStatus
from urllib.parse import parse_qsl
from xml.parsers.expat import ExpatError

from flask import Flask, current_app, g
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from wechatpy import parse_message
from wechatpy.fields import BaseField, DateTimeField
from wechatpy.messages import BaseMessage
from werkzeug.wsgi import get_input_stream

import bot.events  # noqa: F401  (registers the events wechatpy has no class for)
import bot.handlers  # noqa: F401  (registers every handler)
from bot import dedupe
from bot.crypto import (
    Keys,
    Refused,
    check_fresh,
    check_signature,
    open_envelope,
    parse_xml,
    refuse_dtd,
    seal,
)
from bot.replies import NO_REPLY, SYSTEM_BUSY, Reply, render
from bot.router import Context, message_key, router
from infra.background import background
from infra.clock import now as clock_now
from infra.database import UNAVAILABLE, begin_unit_of_work
from infra.metrics import WECHAT_MESSAGES, wechat_callback
from infra.request_ids import new_request_id
from infra.shared_state import SharedStateUnavailable, shared_state
from infra.storage import media_storage
from models.db import waiting_at_most
from models.errors import DomainError

log = logging.getLogger("guanhu.bot")

PATH = "/wechat"
REFUSALS = {400: "消息格式有误。", 403: "签名无效或已过期。", 413: "消息太大。"}


def init_app(app: Flask) -> None:
    config = app.config
    keys = Keys(
        token=str(config["WECHAT_TOKEN"] or ""),
        appid=str(config["WECHAT_APPID"] or ""),
        aes_keys=tuple(str(k) for k in (config["WECHAT_AES_KEY"], config["WECHAT_AES_KEY_PREVIOUS"]) if k),
    )
    keys.validate()
    app.extensions["wechat_keys"] = keys
    dedupe.init_app(app)
    app.wsgi_app = WeChatDoor(app, app.wsgi_app)  # type: ignore[method-assign]


@dataclass
class Incoming:
    """What the door needs of a WSGI request."""

    method: str
    args: dict[str, str]  # the query; a repeated name keeps its first value
    environ: dict = field(repr=False)

    @classmethod
    def of(cls, environ: dict) -> Incoming:
        args: dict[str, str] = {}
        for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            args.setdefault(name, value)
        return cls(environ.get("REQUEST_METHOD", "GET"), args, environ)

    @property
    def remote_addr(self) -> str | None:
        return self.environ.get("REMOTE_ADDR")

    @property
    def content_length(self) -> int | None:
        length = self.environ.get("CONTENT_LENGTH", "")
        return int(length) if length.isascii() and length.isdigit() else None

    def read(self, limit: int) -> bytes:
        """Up to `limit` bytes of the body (none when the server cannot say where it ends)."""
        return get_input_stream(self.environ).read(limit)


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain"
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, environ: dict, start_response):
        body = self.body.encode()
        status = HTTPStatus(self.status)
        start_response(
            f"{status.value} {status.phrase}",
            [
                ("Content-Type", f"{self.content_type}; charset=utf-8"),
                ("Content-Length", str(len(body))),
                *self.headers,
            ],
        )
        return [body]


class WeChatDoor:
    """WSGI middleware: answers /wechat itself (inside an app context, for config and the
    database) and hands every other path to the web app behind it."""

    def __init__(self, app: Flask, web_app) -> None:
        self.app, self.web_app = app, web_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH:
            return self.web_app(environ, start_response)
        started = time.perf_counter()
        with self.app.app_context(), waiting_at_most(self.app.config["WECHAT_DB_WAIT_MS"]):
            g.request_id = new_request_id(environ.get("HTTP_X_REQUEST_ID", ""))  # for the log lines
            answer = _answer(Incoming.of(environ))
            answer = replace(answer, headers=(*answer.headers, ("X-Request-Id", g.request_id)))
        if environ.get("REQUEST_METHOD") == "POST":
            wechat_callback(answer.status, time.perf_counter() - started)
        return answer(environ, start_response)


def _answer(request: Incoming) -> Answer:
    try:
        if request.method == "POST":
            return receive(request)
        if request.method in ("GET", "HEAD"):
            return handshake(request)
        return Answer(405, "不支持的请求方法。", headers=(("Allow", "GET, POST"),))
    except UNAVAILABLE as error:  # outside a handler (which answers in the chat): WeChat tries again
        log.error("WeChat callback: database unavailable: %s", str(error).splitlines()[0])
        return Answer(503, SYSTEM_BUSY)
    except Exception:  # the door's last resort: a calm answer, the stack in the log
        log.exception("WeChat callback failed")
        return Answer(500, SYSTEM_BUSY)


def handshake(request: Incoming) -> Answer:
    """WeChat's server verification: echo `echostr` when the signature is right."""
    try:
        _check_query(request, current_app.extensions["wechat_keys"])
    except Refused as refused:
        return _refuse(request, refused)
    return Answer(200, request.args.get("echostr", ""))


def receive(request: Incoming) -> Answer:
    keys: Keys = current_app.extensions["wechat_keys"]
    timestamp, nonce = request.args.get("timestamp", ""), request.args.get("nonce", "")
    encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
    try:
        _check_query(request, keys)
        body = _read_body(request)
        if encrypted and keys.aes_keys:
            xml = open_envelope(parse_xml(body), keys, request.args.get("msg_signature"), timestamp, nonce)
        elif keys.aes_keys:
            raise Refused(403, "plain message while safe mode is on")
        else:  # plain mode, or compatible mode without our AES key: the plain fields are there
            xml = body.decode("utf-8", "replace")
        message = _parse(xml)
        checked = encrypted and bool(keys.aes_keys) or _body_is_the_signed_one(timestamp, nonce, body)
    except Refused as refused:
        return _refuse(request, refused)
    answer = render(_handle(message) if checked else SYSTEM_BUSY, message)
    if answer == NO_REPLY:
        return Answer(200, answer)
    if encrypted and keys.aes_keys:
        answer = seal(answer, keys, nonce, timestamp)
    return Answer(200, answer, "application/xml")


def _check_query(request: Incoming, keys: Keys) -> None:
    if not keys.token:
        raise Refused(403, "GUANHU_WECHAT_TOKEN is not set")
    timestamp, nonce = request.args.get("timestamp"), request.args.get("nonce", "")
    if not (0 < len(nonce) <= 64 and nonce.isascii() and nonce.isalnum()):
        raise Refused(403, "bad nonce")
    check_fresh(timestamp, clock_now().timestamp(), current_app.config["WECHAT_MAX_CLOCK_SKEW"])
    check_signature(request.args.get("signature"), keys.token, timestamp, nonce)


def _body_is_the_signed_one(timestamp: str, nonce: str, body: bytes) -> bool:
    """In plain mode the signature covers the query, not the body: a captured query could carry
    any body while its timestamp is fresh. Each (timestamp, nonce) is remembered with the digest of
    the body it first came with, for as long as the timestamp is accepted; the same body again (a
    retry from WeChat) passes, another body is refused. False when the store cannot say (the
    sender is then asked to try again). In safe mode msg_signature covers the body."""
    window = dt.timedelta(seconds=2 * current_app.config["WECHAT_MAX_CLOCK_SKEW"])
    digest = hashlib.sha256(body).hexdigest()
    try:
        kept = shared_state().remember(f"wechat-nonce:{timestamp}:{nonce}", digest, window)
    except SharedStateUnavailable as error:
        log.error("WeChat message not checked for a replay, %s", error)
        return False
    if kept != digest:
        raise Refused(403, "a signature seen before, with another body")
    return True


def _read_body(request: Incoming) -> bytes:
    cap = current_app.config["WECHAT_MAX_BODY"]
    if request.content_length is not None and request.content_length > cap:
        raise Refused(413, f"body of {request.content_length} bytes")
    body = request.read(cap + 1)
    if len(body) > cap:
        raise Refused(413, "body over the cap")
    if not body:
        raise Refused(400, "empty body")
    return body


def _parse(xml: str) -> BaseMessage:
    refuse_dtd(xml)
    try:
        message = parse_message(xml)
        if not _within_bounds(message._data):  # the elements as parsed, before wechatpy adds defaults
            raise Refused(400, "elements nested too deep or too many")
        values = {name: getattr(message, attribute) for name, attribute, _text in _fields(type(message))}
    except (KeyError, ExpatError, ValueError, TypeError, AttributeError) as error:
        raise Refused(400, f"not a WeChat message: {error.__class__.__name__}") from error
    source, created = values.get("FromUserName"), values.get("CreateTime")
    if not isinstance(source, str) or not 0 < len(source) <= 64 or not isinstance(created, int) or created < 0:
        raise Refused(400, "FromUserName or CreateTime missing")
    for name, _attribute, text in _fields(type(message)):  # repeated or nested elements where text belongs
        if text and isinstance(values[name], STRUCTURED):
            raise Refused(400, f"unexpected shape of <{name}>")
    return message


STRUCTURED = (dict, list, tuple)  # what xmltodict makes of nested or repeated elements
# WeChat's nested events (订阅通知 results, a mass send's copyright check, beacons, menu pickers)
# nest at most 4 elements deep inside <xml> and hold a few dozen elements.
MAX_DEPTH = 6
MAX_ELEMENTS = 500


def _within_bounds(document: dict) -> bool:
    """Whether the message's elements nest at most MAX_DEPTH deep inside <xml>, number at most
    MAX_ELEMENTS, and end in text: every shape WeChat documents, no crafted tree."""
    pending = [(value, 1) for value in document.values()]
    elements = 0
    while pending:
        value, depth = pending.pop()
        for element in value if isinstance(value, list) else (value,):  # a list: a repeated element
            elements += 1
            if elements > MAX_ELEMENTS or depth > MAX_DEPTH:
                return False
            if isinstance(element, dict):
                pending.extend((child, depth + 1) for child in element.values())
            elif not (element is None or isinstance(element, str)):
                return False
    return True


@cache
def _fields(message_class: type[BaseMessage]) -> tuple[tuple[str, str, bool], ...]:
    """(element, attribute, holds text) of each element wechatpy reads for a message class: what
    a handler can see. One attribute per element (CreateTime is read as `time` and as
    `create_time`). An element holds text when wechatpy converts it (a string, a number, a time);
    one it hands over as it is (ScanCodeInfo, SendPicsInfo, ChosenBeacon, a 订阅通知 list) may nest."""
    fields: dict[str, tuple[str, bool]] = {}
    for attribute, declared in inspect.getmembers(message_class, lambda member: isinstance(member, BaseField)):
        if declared.name not in fields or not isinstance(declared, DateTimeField):
            fields[declared.name] = (attribute, declared.converter is not None)
    return tuple((name, attribute, text) for name, (attribute, text) in fields.items())


def _handle(message: BaseMessage) -> Reply:
    """Claim the message, run its handler once, commit, then queue any slow work."""
    route = router.resolve(message)
    if route is None:
        return None  # an event nobody needs (template results, location reports …): cheap
    now = clock_now()
    try:
        key = message_key(message)
        claim = dedupe.claim(key, kind=route.kind, openid=message.source, now=now)
    except dedupe.ClaimUnavailable as error:
        log.error("WeChat message not claimed, %s", error)
        return SYSTEM_BUSY
    if not claim.first:
        return None  # a retry: the first delivery is (being) handled
    WECHAT_MESSAGES.labels(route.kind).inc()
    app = current_app._get_current_object()  # type: ignore[attr-defined]  (once: each proxy lookup costs)
    ctx = Context(
        work=begin_unit_of_work(run=background(app).sender(key, message.source)),
        now=now,
        timezone=app.config["TIMEZONE"],
        storage=media_storage(app),
        public_base_url=app.config["PUBLIC_BASE_URL"],
        openid=message.source,
        staff_id=claim.staff_id,
    )
    try:
        return _run_once_committed(route, message, ctx)
    except DomainError as error:
        ctx.work.rollback()
        return error.message
    except SQLAlchemyError as error:
        ctx.work.rollback()
        log.error("WeChat handler %s: database error: %s", route.kind, error)
        return SYSTEM_BUSY
    except Exception:  # the door's last resort: a calm answer, the stack in the log
        ctx.work.rollback()
        log.exception("WeChat handler %s failed", route.kind)
        return SYSTEM_BUSY


SQLITE_RETRIES = 3


def _run_once_committed(route, message: BaseMessage, ctx: Context) -> Reply:
    """Run the handler and commit (the queued work then goes to the background). SQLite refuses
    a write at once (no waiting) when another writer committed after this transaction first read;
    the message is already claimed, so running the handler again from the start is safe."""
    attempt = 1
    while True:
        try:
            reply = route.run(message, ctx)
            ctx.work.commit()  # many replies (帮助 …) opened no session: nothing to commit
            return reply
        except OperationalError as error:
            if "database is locked" not in str(error) or attempt == SQLITE_RETRIES:
                raise
            ctx.work.rollback()
            time.sleep(0.05 * attempt)
            attempt += 1


def _refuse(request: Incoming, refused: Refused) -> Answer:
    log.warning(
        "WeChat callback refused (%s) from %s: %s",
        refused.status,
        request.remote_addr,
        refused.reason,
    )
    return Answer(refused.status, REFUSALS[refused.status])
