"""Claims on inbound messages: each WeChat message (and each of its retries) handled once."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import (
    bindparam,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.base import UTCDateTime
from models.db import DriverStatement
from models.people import User
from models.wechat.entities import InboundMessage
from models.wechat.visitors import _ACTIVE_STAFF_OF_OPENID


def dedupe_key(*parts: object) -> str:
    """A fixed-length key for a message's identifying parts (openid, MsgId or event fields)."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


CLAIMS_KEPT = dt.timedelta(days=2)  # WeChat's three tries of one message span about 15 s


@dataclass(frozen=True)
class Claim:
    first: bool  # False: a retry of a message already claimed
    staff_id: int | None  # the active staff member who sent it; None: a villager


_STAFF_ID = select(User.id).where(*_ACTIVE_STAFF_OF_OPENID)


def _claim_statement(insert):
    table = InboundMessage.__table__
    return (
        insert(table)
        .values(
            dedupe_key=bindparam("key"),
            kind=bindparam("kind"),
            openid=bindparam("openid"),
            received_at=bindparam("now", type_=UTCDateTime),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_STAFF_ID.scalar_subquery())
    )


# Claims a message for handling and tells whether staff sent it, in one statement: INSERT … ON
# CONFLICT DO NOTHING RETURNING (the sender's staff id), no row for a retry. A concurrent claim of
# the same key waits for the first to commit and then inserts nothing, on PostgreSQL and SQLite
# alike, without an exception. Built once and run on the driver: it runs on every message.
CLAIM = DriverStatement({"postgresql": _claim_statement(postgresql.insert), "sqlite": _claim_statement(sqlite.insert)})


# The sender's staff id alone (when the claim itself is made elsewhere: in Redis).
STAFF_ID_OF_OPENID = DriverStatement({"postgresql": _STAFF_ID, "sqlite": _STAFF_ID})


def claim_params(key: str, *, kind: str, openid: str, now: dt.datetime) -> dict[str, object]:
    """CLAIM's parameters for one message."""
    return {"key": key, "kind": kind[:40], "openid": openid[:64], "now": now}


def claim_of(row: tuple | None) -> Claim:
    """What CLAIM's row (or its absence) says."""
    return Claim(first=row is not None, staff_id=row[0] if row else None)


def purge_claims(session: Session, now: dt.datetime) -> str:
    """Forget claims of messages older than any retry of them could be."""
    result = session.execute(delete(InboundMessage).where(InboundMessage.received_at < now - CLAIMS_KEPT))
    return f"删除 {result.rowcount} 条消息去重记录"
