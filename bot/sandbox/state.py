"""The fake WeChat's memory, kept in the database (models/wechat/entities.py): what it was sent,
the tokens, codes and media it issued, and the faults a test asked it to answer with."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models.wechat.entities import SandboxCall, SandboxMedia, SandboxValue

TOKEN_SECONDS = 7200
CODE_SECONDS = 300
PUSH_PATHS = ("cgi-bin/message/custom/send", "cgi-bin/message/template/send", "cgi-bin/message/subscribe/bizsend")
PHONE_SENT, PHONE_REPLY = "phone/sent", "phone/reply"
AWAITED_REPLY = {"awaited": True, "errcode": 0}  # a reply's place in the chat, before it arrives
REPLY_WAIT = dt.timedelta(seconds=30)  # past this, an awaited reply holds the chat back no longer


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def record(session: Session, path: str, openid: str | None, body: dict[str, Any]) -> SandboxCall:
    call = SandboxCall(path=path, openid=openid, body=body, created_at=utcnow())
    session.add(call)
    session.flush()
    return call


def calls(session: Session, path: str | None = None) -> list[SandboxCall]:
    """Every call the fake answered (to `path`, when given), oldest first."""
    query = select(SandboxCall).order_by(SandboxCall.id)
    if path is not None:
        query = query.where(SandboxCall.path == path)
    return list(session.scalars(query))


def answer(session: Session, reply_id: int, body: dict[str, Any]) -> None:
    """Fill in the awaited reply `reply_id` with what the account answered. One UPDATE, so that its
    transaction writes first: on SQLite, one that read first is refused at once when a push the
    message set off (a welcome after a first scan) wrote meanwhile."""
    session.execute(update(SandboxCall).where(SandboxCall.id == reply_id).values(body=body))


def feed(session: Session, openid: str, after: int = 0) -> list[SandboxCall]:
    """What a person's phone shows, in the order it happened: what they sent, the replies, and
    every push that arrived; it stops before a reply still on its way, so nothing overtakes it."""
    query = (
        select(SandboxCall)
        .where(
            SandboxCall.openid == openid,
            SandboxCall.id > after,
            SandboxCall.path.in_((*PUSH_PATHS, PHONE_SENT, PHONE_REPLY)),
        )
        .order_by(SandboxCall.id)
    )
    shown = []
    for call in session.scalars(query):
        if call.body.get("awaited") and call.created_at > utcnow() - REPLY_WAIT:
            break
        if call.body.get("errcode", 0) == 0:
            shown.append(call)
    return shown


def add_fault(session: Session, path: str, errcode: int | None, times: int = 1, delay: float = 0) -> None:
    """Answer the next `times` calls to `path` after `delay` s with `errcode` (None: normally)."""
    value = json.dumps({"errcode": errcode, "delay": delay})
    session.add(SandboxValue(kind="fault", key=path, value=value, remaining=times))
    session.flush()


def take_fault(session: Session, path: str) -> dict[str, Any] | None:
    fault = session.scalar(
        select(SandboxValue)
        .where(
            SandboxValue.kind == "fault",
            SandboxValue.key == path,
            SandboxValue.remaining > 0,
        )
        .order_by(SandboxValue.id)
        .limit(1)
    )
    if fault is None:
        return None
    fault.remaining = (fault.remaining or 1) - 1
    return json.loads(fault.value)


def issue_token(session: Session, force: bool) -> tuple[str, int]:
    """The current access token and its seconds left; if `force`, a new one (the old one dies)."""
    now = utcnow()
    current = session.scalar(select(SandboxValue).where(SandboxValue.kind == "token", SandboxValue.expires_at > now))
    if current is not None and not force:
        return current.key, int((current.expires_at - now).total_seconds())
    session.execute(delete(SandboxValue).where(SandboxValue.kind == "token"))
    token = "sbx_" + secrets.token_urlsafe(24)
    session.add(SandboxValue(kind="token", key=token, expires_at=now + dt.timedelta(seconds=TOKEN_SECONDS)))
    session.flush()
    return token, TOKEN_SECONDS


def token_valid(session: Session, token: str | None) -> bool:
    return (
        bool(token)
        and session.scalar(
            select(SandboxValue.id).where(
                SandboxValue.kind == "token",
                SandboxValue.key == token,
                SandboxValue.expires_at > utcnow(),
            )
        )
        is not None
    )


def issue_code(session: Session, openid: str) -> str:
    """A single-use web OAuth code standing for `openid`."""
    code = secrets.token_urlsafe(16)
    session.add(
        SandboxValue(
            kind="oauth_code",
            key=code,
            value=openid,
            remaining=1,
            expires_at=utcnow() + dt.timedelta(seconds=CODE_SECONDS),
        )
    )
    session.flush()
    return code


def redeem_code(session: Session, code: str) -> str | None:
    row = session.scalar(
        select(SandboxValue).where(
            SandboxValue.kind == "oauth_code",
            SandboxValue.key == code,
            SandboxValue.remaining > 0,
            SandboxValue.expires_at > utcnow(),
        )
    )
    if row is None:
        return None
    row.remaining = 0
    return row.value


def set_consent(session: Session, openid: str, template_id: str, accepted: bool) -> None:
    """What the person chose for a 订阅通知 template (popup or settings), as WeChat keeps it."""
    key = f"{openid} {template_id}"
    session.execute(delete(SandboxValue).where(SandboxValue.kind == "consent", SandboxValue.key == key))
    session.add(SandboxValue(kind="consent", key=key, value="accept" if accepted else "reject"))
    session.flush()


def accepts(session: Session, openid: str, template_id: str) -> bool:
    """Whether the person accepted the template (never asked counts as not accepted)."""
    key = f"{openid} {template_id}"
    query = select(SandboxValue.value).where(SandboxValue.kind == "consent", SandboxValue.key == key)
    return session.scalar(query) == "accept"


def save_media(session: Session, data: bytes, content_type: str) -> str:
    media_id = "sbx_media_" + secrets.token_urlsafe(16)
    session.add(SandboxMedia(media_id=media_id, content_type=content_type, data=data, created_at=utcnow()))
    session.flush()
    return media_id


def load_media(session: Session, media_id: str) -> SandboxMedia | None:
    return session.get(SandboxMedia, media_id)


def reset(session: Session) -> None:
    """Forget everything (tests start each case from a clean fake)."""
    for table in (SandboxCall, SandboxMedia, SandboxValue):
        session.execute(delete(table))


# -- user tags (the staff menu's match rule) ---------------------------------------------------


def tags(session: Session) -> list[dict[str, Any]]:
    """The account's tags as tags/get lists them, with how many followers carry each."""
    found = []
    for tag in session.scalars(select(SandboxValue).where(SandboxValue.kind == "tag").order_by(SandboxValue.id)):
        found.append({"id": int(tag.value), "name": tag.key, "count": len(tag_members(session, int(tag.value)))})
    return found


def create_tag(session: Session, name: str) -> int | None:
    """A new tag's id (ids from 100, as WeChat's own start); None when the name is taken."""
    if any(tag["name"] == name for tag in tags(session)):
        return None
    tag_id = 100 + len(tags(session))
    session.add(SandboxValue(kind="tag", key=name, value=str(tag_id)))
    session.flush()
    return tag_id


def tag_exists(session: Session, tag_id: int) -> bool:
    return any(tag["id"] == tag_id for tag in tags(session))


def set_tagged(session: Session, tag_id: int, openids: list[str], tagged: bool) -> None:
    """Put the tag on these followers (or take it off)."""
    for openid in openids:
        key = f"{tag_id}:{openid}"
        row = session.scalar(select(SandboxValue).where(SandboxValue.kind == "tag_member", SandboxValue.key == key))
        if tagged and row is None:
            session.add(SandboxValue(kind="tag_member", key=key, value=openid))
        elif not tagged and row is not None:
            session.delete(row)
    session.flush()


def tag_members(session: Session, tag_id: int) -> list[str]:
    rows = session.scalars(
        select(SandboxValue.value)
        .where(SandboxValue.kind == "tag_member", SandboxValue.key.startswith(f"{tag_id}:"))
        .order_by(SandboxValue.id)
    )
    return list(rows)
