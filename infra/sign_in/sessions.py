"""Where staff sessions are kept: the database (models.sign_in.sessions), or Redis.

In Redis a session is a hash under its id's hash, and each person's sessions are a set, so that
all of them can be ended at once; both expire with the session. Whether a session is still good
is decided by `SessionRecord.valid_for` with the app's clock, alike in both.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import redis
from flask import current_app

from infra.clock import now
from infra.database import db_session
from models.people import User
from models.sign_in import sessions as kept
from models.sign_in.sessions import SessionMethod, SessionRecord, new_session_id, session_hash


class SessionsUnavailable(Exception):
    """The store of sessions did not answer: nobody can be told signed in or out."""


class SessionStore(Protocol):
    lifetime: int  # seconds a session lasts from its start

    def open(self, record: SessionRecord) -> str: ...
    def load(self, session_id: str) -> tuple[SessionRecord, User] | None: ...
    def end(self, session_id: str) -> None: ...
    def end_all(self, user_id: int, keep: str | None = None) -> None: ...


class DatabaseSessions:
    """Rows of the request's own unit of work: a new session, or the end of some, is committed
    with the rest of the request (with the new password, or the stopped account)."""

    def __init__(self, lifetime: int):
        self.lifetime = lifetime

    def open(self, record: SessionRecord) -> str:
        return kept.open_session(db_session(), record, now())

    def load(self, session_id: str) -> tuple[SessionRecord, User] | None:
        return kept.load_session(db_session(), session_id)

    def end(self, session_id: str) -> None:
        kept.end_session(db_session(), session_id)

    def end_all(self, user_id: int, keep: str | None = None) -> None:
        kept.end_sessions_of(db_session(), user_id, keep)


class RedisSessions:
    def __init__(self, client: redis.Redis, lifetime: int, prefix: str = "guanhu:session:"):
        self.redis, self.lifetime, self.prefix = client, lifetime, prefix

    def _key(self, id_hash: str) -> str:
        return f"{self.prefix}{id_hash}"

    def _index(self, user_id: int) -> str:
        return f"{self.prefix}of:{user_id}"

    def open(self, record: SessionRecord) -> str:
        session_id = new_session_id()
        id_hash = session_hash(session_id)
        fields = {
            "user": record.user_id,
            "method": record.method.value,
            "openid": record.openid or "",
            "expires": record.expires_at.timestamp(),
        }
        try:
            with self.redis.pipeline() as pipe:
                pipe.hset(self._key(id_hash), mapping=fields)
                pipe.expire(self._key(id_hash), self.lifetime)
                pipe.sadd(self._index(record.user_id), id_hash)
                pipe.expire(self._index(record.user_id), self.lifetime)
                pipe.execute()
        except redis.RedisError as error:
            raise SessionsUnavailable(str(error)) from error
        return session_id

    def load(self, session_id: str) -> tuple[SessionRecord, User] | None:
        try:
            fields = self.redis.hgetall(self._key(session_hash(session_id)))
        except redis.RedisError as error:
            raise SessionsUnavailable(str(error)) from error
        if not fields:
            return None
        record = SessionRecord(
            user_id=int(fields[b"user"]),
            method=SessionMethod(fields[b"method"].decode()),
            openid=fields[b"openid"].decode() or None,
            expires_at=dt.datetime.fromtimestamp(float(fields[b"expires"]), dt.UTC),
        )
        user = db_session().get(User, record.user_id)
        return (record, user) if user else None

    def end(self, session_id: str) -> None:
        try:
            self.redis.delete(self._key(session_hash(session_id)))
        except redis.RedisError as error:
            raise SessionsUnavailable(str(error)) from error

    def end_all(self, user_id: int, keep: str | None = None) -> None:
        kept_hash = session_hash(keep) if keep else None
        try:
            ending = [h.decode() for h in self.redis.smembers(self._index(user_id)) if h.decode() != kept_hash]
            if ending:
                with self.redis.pipeline() as pipe:
                    pipe.delete(*(self._key(id_hash) for id_hash in ending))
                    pipe.srem(self._index(user_id), *ending)
                    pipe.execute()
        except redis.RedisError as error:
            raise SessionsUnavailable(str(error)) from error


def store() -> SessionStore:
    return current_app.extensions["staff_sessions"]


def open_session(user_id: int, method: SessionMethod, openid: str | None = None) -> tuple[str, SessionRecord]:
    """Keep a new session for the person (whose identity the door has checked): its id and record."""
    sessions = store()
    record = SessionRecord(user_id, method, openid, now() + dt.timedelta(seconds=sessions.lifetime))
    return sessions.open(record), record


def signed_in(session_id: str) -> tuple[SessionRecord, User] | None:
    """The session `session_id` and its account, while the session still signs the account in."""
    found = store().load(session_id)
    if found is None or not found[0].valid_for(found[1], now()):
        return None
    return found


def end_session(session_id: str) -> None:
    store().end(session_id)


def end_sessions_of(user_id: int, keep: str | None = None) -> None:
    """End every session of the person, wherever it was opened, but `keep` (their own) if given."""
    store().end_all(user_id, keep)
