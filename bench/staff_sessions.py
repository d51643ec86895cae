"""Bench of the session check every staff request makes (run: `.venv/bin/python -m bench.staff_sessions`).

Before sessions were kept on the server, the check was one primary-key lookup of the account (a
fingerprint of its password rode in the signed cookie). Now the session is read first (a Redis
HGETALL, or a primary-key lookup in the database) and then the account. Each is measured ROUNDS
times in-process, each round in a fresh app context (a fresh unit of work, as a request has),
through the same function Flask-Login calls (`web.auth._load_user`), against the floor: the
account's lookup alone, in the same run. SQLite in a temporary folder; PostgreSQL when
GUANHU_BENCH_DATABASE_URL is set; with Redis as well when GUANHU_BENCH_REDIS_URL is set.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import models
from bench.database import ensure_database
from infra.database import db_session, unit_of_work
from infra.sign_in.sessions import open_session
from models.clock import SystemClock
from models.db import make_engine
from models.people import Role, User, create_user
from models.regions import RegionLevel, add_region
from models.sign_in.sessions import SessionMethod
from web import create_app
from web.auth import _load_user

ROUNDS = int(os.environ.get("GUANHU_BENCH_ROUNDS", "3000"))
WARMUP = 200


def _timed(app, steps: list[Callable[[], object]]) -> list[list[float]]:
    """Each step's times, the steps taken in turn round after round, so that a machine busy with
    something else slows them alike."""
    times: list[list[float]] = [[] for _ in steps]
    for round_number in range(WARMUP + ROUNDS):
        for step, kept in zip(steps, times, strict=True):
            with app.app_context():
                started = time.perf_counter()
                step()
                elapsed = time.perf_counter() - started
            if round_number >= WARMUP:
                kept.append(elapsed)
    return times


def measure(database_url: str, redis_url: str | None) -> tuple[float, float]:
    """(median µs of the account's lookup alone, of the whole session check)."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        models.Base.metadata.create_all(connection)
    engine.dispose()
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "bench", "TESTING": True})
    if redis_url:
        prefix = f"bench-{uuid.uuid4().hex}:"
        app.extensions["staff_sessions"].prefix = prefix
    with app.test_request_context():
        session = db_session()
        district = add_region(session, "基准区", RegionLevel.DISTRICT, None)
        user = create_user(
            session,
            phone="13900000098",
            name="基准",
            password=None,
            role=Role.DISTRICT_ADMIN,
            region=district,
            now=SystemClock().now(),
        )
        session.flush()
        user_id = user.id
        session_id, _ = open_session(user_id, SessionMethod.PASSWORD)
        unit_of_work().commit()
    floor, check = _timed(app, [lambda: db_session().get(User, user_id), lambda: _load_user(session_id)])
    with app.app_context():
        assert _load_user(session_id) is not None
    if redis_url:
        store = app.extensions["staff_sessions"].redis
        for key in store.scan_iter(prefix + "*"):
            store.delete(key)
    app.extensions["db"].engine.dispose()
    return statistics.median(floor) * 1e6, statistics.median(check) * 1e6


def main() -> None:
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, {ROUNDS} rounds")
    print(f"{'store':<22}{'account alone µs':>18}{'session check µs':>18}{'× floor':>9}")
    with tempfile.TemporaryDirectory() as folder:
        runs = [("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}", None)]
        postgresql = os.environ.get("GUANHU_BENCH_DATABASE_URL")
        redis_url = os.environ.get("GUANHU_BENCH_REDIS_URL")
        if postgresql:
            runs.append(("PostgreSQL", ensure_database(postgresql), None))
            if redis_url:
                runs.append(("PostgreSQL + Redis", postgresql, redis_url))
        for name, database_url, redis in runs:
            floor, check = measure(database_url, redis)
            print(f"{name:<22}{floor:>18.0f}{check:>18.0f}{check / floor:>9.2f}")


if __name__ == "__main__":
    main()
