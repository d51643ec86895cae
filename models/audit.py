"""The append-only, tamper-evident audit log: who changed what, when, from what to what.

Each entity's entries form a hash chain (each row carries the hash of the previous row of the
same entity), so a row edited or deleted behind the application's back breaks `verify_chain`.
There is deliberately no update or delete operation here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, instant, intpk


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity", "entity_type", "entity_id", "id"),)

    id: Mapped[intpk]
    at: Mapped[instant]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def compute_hash(self) -> str:
        return _hash({name: getattr(self, name) for name in _HASHED})


_HASHED = ("prev_hash", "at", "actor_id", "actor_name", "entity_type", "entity_id", "action", "changes")


def _hash(row: dict[str, Any]) -> str:
    """The hash over an entry's fields (given as a mapping, so bulk rows need no ORM object)."""
    body = json.dumps(
        [
            row["prev_hash"],
            row["at"].astimezone(dt.UTC).isoformat(),
            row["actor_id"],
            row["actor_name"],
            row["entity_type"],
            row["entity_id"],
            row["action"],
            row["changes"],
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


SYSTEM_ACTOR = "系统"


def _row(
    actor: Any,
    entity_type: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any],
    now: dt.datetime,
    prev_hash: str | None,
) -> dict[str, Any]:
    row = {
        "at": now.replace(microsecond=0),
        "actor_id": getattr(actor, "id", None),
        "actor_name": getattr(actor, "name", None) or SYSTEM_ACTOR,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "action": action,
        "changes": changes,
        "prev_hash": prev_hash,
    }
    row["hash"] = _hash(row)
    return row


def record(
    session: Session,
    *,
    actor: Any,
    entity_type: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any],
    now: dt.datetime,
    prev_hash: str | None = None,
    first: bool = False,
) -> AuditEntry:
    """Append an entry; `first=True` says the entity is new, so there is no chain to look up."""
    if not first and prev_hash is None:
        prev_hash = session.scalar(
            select(AuditEntry.hash)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    entry = AuditEntry(**_row(actor, entity_type, entity_id, action, changes, now, prev_hash))
    session.add(entry)
    session.flush()
    return entry


def record_first_many(
    session: Session,
    *,
    actor: Any,
    entity_type: str,
    action: str,
    changes_by_entity: list[tuple[int, dict[str, Any]]],
    now: dt.datetime,
) -> None:
    """The first entry of many new entities in one INSERT (a bulk import); same rows as `record`."""
    rows = [_row(actor, entity_type, entity_id, action, changes, now, None) for entity_id, changes in changes_by_entity]
    if rows:
        session.execute(insert(AuditEntry.__table__), rows)


def history(session: Session, entity_type: str, entity_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
    )


def verify_chain(entries: list[AuditEntry]) -> bool:
    """True when every entry hashes to its stored hash and links to the one before it."""
    previous = None
    for entry in entries:
        if entry.prev_hash != previous or entry.compute_hash() != entry.hash:
            return False
        previous = entry.hash
    return True
