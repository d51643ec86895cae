"""Work the account's own events leave for after the reply: the staff menu follows a binding,
and a welcome follows a first scan."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy.orm import Session

from bot.client import WeChatError, wechat_client
from bot.notifier import send_text
from infra.shared_state import SharedStateUnavailable, shared_state
from models.wechat.binding import BIND_FAILURES_KEY, BIND_LIMIT_WINDOW
from models.wechat.visitors import staff_for_openid

log = logging.getLogger("guanhu.bot")


def count_bind_failure(_session: Session) -> None:
    """One more wrong 绑定 code from anyone this hour, where every worker sees it (after the
    reply: in the database, the message's own transaction held SQLite's write lock)."""
    try:
        shared_state().count(BIND_FAILURES_KEY, BIND_LIMIT_WINDOW)
    except SharedStateUnavailable as error:
        log.error("a wrong 绑定 code not counted: %s", error)


def sync_staff_tag(session: Session, openid: str) -> None:
    """Give `openid` the staff menu when it belongs to active staff now, the villagers' otherwise
    (the staff tag, `bot.menu`). Never inside a reply: a WeChat call may take seconds."""
    if not can_call_wechat():
        return
    client = wechat_client()
    try:
        if staff_for_openid(session, openid) is not None:
            client.tag_staff([openid])
        else:
            client.untag_staff([openid])
    except WeChatError as error:  # the menu is a convenience: the next `menu push` puts it right
        log.warning("staff tag of %s not changed: %s", openid[:8], error.message)


PARKED = "抱歉，您刚才发来的消息没能处理完（系统已多次重试），已转给管理员处理。请稍后再发一次。"


def tell_parked(session: Session, openid: str, job_key: str) -> None:
    """The sender of work that failed every retry (`infra.background`) is told, once."""
    tell(session, openid, PARKED, key=f"parked:{job_key}")


def tell(session: Session, openid: str, text: str, key: str) -> None:
    """A customer-service text after the reply (once per `key`)."""
    if can_call_wechat():
        send_text(session, openid, text, key=key)


def can_call_wechat() -> bool:
    """An account is configured that WeChat would answer (without a secret there is no token).
    Checked before anything else, so that a job with nothing to do touches nothing."""
    return bool(current_app.config.get("WECHAT_APPID") and current_app.config.get("WECHAT_SECRET"))
