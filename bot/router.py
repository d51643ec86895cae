"""The registry that maps message types, events, menu keys and text commands to handlers.

A handler is a small function `(message, ctx) -> Reply`, registered by decorator; it needs no
Flask, so a test calls it with `wechatpy.parse_message(literal_xml)` and a Context over a session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from wechatpy.messages import BaseMessage, UnknownMessage

from bot.replies import Reply
from infra.unit_of_work import Job, UnitOfWork
from models.clock import local_date
from models.people import User
from models.storage import MediaStorage
from models.wechat.claims import dedupe_key


@dataclass
class Context:
    """What a handler may use: the message's unit of work and clock, where files go, who sent it.

    Work for after the reply (fetching a photo, saving a record) goes on the unit of work
    (`after_commit`): it runs in the background once the handler's changes have committed.
    """

    work: UnitOfWork
    now: dt.datetime
    timezone: str  # where dates are local (GUANHU_TIMEZONE)
    storage: MediaStorage
    public_base_url: str
    openid: str  # the sender
    staff_id: int | None = None  # the staff member who sent the message (as the claim said); None: a villager
    argument: str = ""  # a text command's argument, e.g. the code after 绑定

    @property
    def session(self) -> Session:
        return self.work.session

    @property
    def today(self) -> dt.date:
        return local_date(self.now, self.timezone)

    def staff(self) -> User | None:
        """The sender as a full User (one lookup by primary key), or None for a villager. Checked
        again here: the claim's answer may come from a cache (`bot.dedupe`)."""
        user = self.session.get(User, self.staff_id) if self.staff_id else None
        return user if user is not None and user.active and user.wechat_openid == self.openid else None

    def after_commit(self, job: Job, *args: Any) -> None:
        """Run `job(session, *args)` after the reply has gone out (and this message committed)."""
        self.work.after_commit(job, *args)


Handler = Callable[[BaseMessage, Context], Reply]


@dataclass(frozen=True)
class Route:
    handler: Handler
    kind: str  # what the claim records, e.g. "text:帮助", "event:scan"
    argument: str = ""

    def run(self, message: BaseMessage, ctx: Context) -> Reply:
        ctx.argument = self.argument
        return self.handler(message, ctx)


class Router:
    def __init__(self) -> None:
        self._types: dict[str, Handler] = {}
        self._events: dict[str, Handler] = {}
        self._event_filters: dict[str, Callable[[BaseMessage], bool]] = {}
        self._clicks: dict[str, Handler] = {}
        self._commands: dict[str, Handler] = {}

    def message(self, *types: str) -> Callable[[Handler], Handler]:
        """Handle messages of these MsgTypes (text is tried against the commands first)."""
        return self._register(self._types, types)

    def event(self, *events: str, when: Callable[[BaseMessage], bool] | None = None) -> Callable[[Handler], Handler]:
        """Handle these events, named as wechatpy names them (`subscribe_scan`, `scan` …); with
        `when`, only those it picks (the rest are answered at once, unclaimed, like any event
        nobody handles: for floods such as every template message's result)."""
        if when is not None:
            self._event_filters.update(dict.fromkeys(events, when))
        return self._register(self._events, events)

    def click(self, *keys: str) -> Callable[[Handler], Handler]:
        """Handle CLICK menu events with these keys; `*` catches every other key."""
        return self._register(self._clicks, keys)

    def command(self, *words: str) -> Callable[[Handler], Handler]:
        """Handle text messages starting with one of these words; the rest is the argument."""
        return self._register(self._commands, words)

    @staticmethod
    def _register(table: dict[str, Handler], names: tuple[str, ...]) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            for name in names:
                if name in table:
                    raise ValueError(f"{name!r} already has a handler: {table[name].__name__}")
                table[name] = handler
            return handler

        return decorate

    def resolve(self, message: BaseMessage) -> Route | None:
        """The route for `message`; None for events nobody handles (answered at once, unclaimed),
        among them every event wechatpy has no class for."""
        if _unknown_event(message):
            return None
        if message.type == "event":
            event = event_name(message)
            if event == "click":
                key = message.key or ""
                handler = self._clicks.get(key) or self._clicks.get("*")
                return Route(handler, f"click:{key[:30]}") if handler else None
            handler = self._events.get(event)
            wanted = self._event_filters.get(event, lambda _message: True)
            return Route(handler, f"event:{event}") if handler and wanted(message) else None
        if message.type == "text":
            words = " ".join((message.content or "").split())
            for word in sorted(self._commands, key=len, reverse=True):
                if words.startswith(word):
                    return Route(self._commands[word], f"text:{word}", words[len(word) :].strip())
        handler = self._types.get(message.type) or self._types.get("*")
        return Route(handler, message.type) if handler else None


def _unknown_event(message: BaseMessage) -> bool:
    """An event wechatpy cannot name (it parses it as an unknown message whose MsgType is event)."""
    return isinstance(message, UnknownMessage) and str(message._data.get("MsgType", "")).lower() == "event"


def event_name(message: BaseMessage) -> str:
    """The event as wechatpy names it (every event class carries its name)."""
    return message.event.lower()


def event_key(message: BaseMessage) -> str | None:
    """An event's EventKey: wechatpy's field for it is `key` (menus) or `scene_id` (QR scans)."""
    return getattr(message, "key", None) or getattr(message, "scene_id", None)


def message_key(message: BaseMessage) -> str:
    """The deduplication key: FromUserName + MsgId for messages (MsgId alone has collided across
    users), FromUserName + CreateTime + Event + EventKey for events."""
    if message.type == "event":
        return dedupe_key("event", message.source, message.time, event_name(message), event_key(message))
    if message.id:
        return dedupe_key("message", message.source, message.id)
    return dedupe_key("message", message.source, message.time, message.type)


router = Router()
