"""Where flask-limiter counts when there is no Redis but several workers may run (PostgreSQL):
the database's shared marks (`models.shared_state`), under the storage URI `guanhu+database://`.
Embedded mode (SQLite, one process) counts in memory; with GUANHU_REDIS_URL, in Redis.

Each count is a statement committed on its own, before the request's own work begins.
"""

from __future__ import annotations

import datetime as dt

from limits.storage import Storage
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from infra.clock import now
from infra.database import database
from infra.shared_state import DatabaseSharedState, SharedStateUnavailable
from models import shared_state as rows

SCHEME = "guanhu+database"
KEY_PREFIX = "limit:"


class DatabaseLimitStorage(Storage):
    STORAGE_SCHEME = [SCHEME]
    _shared = DatabaseSharedState()

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return SQLAlchemyError, SharedStateUnavailable

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._shared.count(KEY_PREFIX + key, dt.timedelta(seconds=expiry), amount)

    def get(self, key: str) -> int:
        with database().sessionmaker.begin() as session:
            mark = rows.current(session, KEY_PREFIX + key, now())
            return mark.count if mark else 0

    def get_expiry(self, key: str) -> float:
        with database().sessionmaker.begin() as session:
            mark = rows.current(session, KEY_PREFIX + key, now())
            return (mark.expires_at if mark else now()).timestamp()

    def check(self) -> bool:
        try:
            with database().sessionmaker.begin() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with database().sessionmaker.begin() as session:
            return rows.forget(session, KEY_PREFIX, prefix=True)

    def clear(self, key: str) -> None:
        with database().sessionmaker.begin() as session:
            rows.forget(session, KEY_PREFIX + key)
