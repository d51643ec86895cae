"""Bench of the morning digests (run: `.venv/bin/python -m bench.reminders`).

Builds a province-sized load with Core bulk inserts: 100 districts × 10 towns × 10 villages,
100,000 staff (per village a clerk, a supervisor and 6 custodians; 15 officials per town; 50
district staff, half of them in departments), and 1,000,000 open deadlines: every district's
calendar tasks for the year plus event deadlines (complaints, repairs, inspections, notices) due
within ±30 days of the bench day, so a large share of them hits a reminder step that morning.
Then, in a fresh process, times `compute_digests` for that morning and reports its peak memory,
and sends digests through the notifier to the sandbox's fake WeChat API on loopback.

PostgreSQL: GUANHU_BENCH_DATABASE_URL (default: the local `bench_reminders` database; its tables
are dropped and created again). GUANHU_BENCH_SENDS sets how many digests to send (default 1,000).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, text

import models
from bench.database import ensure_database
from infra.settings import SANDBOX_TEMPLATE_IDS
from models.db import make_engine
from models.deadlines.calendar import ensure_deadlines, ensure_kinds
from models.deadlines.entities import Deadline
from models.people import Department, Role, User
from models.regions import Region, RegionLevel

URL = ensure_database(
    os.environ.get("GUANHU_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_reminders")
)
SENDS = int(os.environ.get("GUANHU_BENCH_SENDS", "1000"))
DISTRICTS, TOWNS, VILLAGES = 100, 10, 10
DEADLINES = 1_000_000
TODAY = dt.date(2026, 6, 23)
NOW = dt.datetime(2026, 6, 23, 0, 30, tzinfo=dt.UTC)
CHUNK = 20_000
EVENT_KINDS = ["complaint_limit", "repair_limit", "inspection_overdue", "notice_end"]


def _insert(connection, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(table), rows[start : start + CHUNK])


def build() -> None:
    engine = make_engine(URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        models.Base.metadata.create_all(connection)
    started = time.perf_counter()
    with engine.begin() as connection:
        next_id = iter(range(1, 10**9))
        regions, villages, departments = [], [], []
        department_ids: dict[int, list[int]] = {}
        for d in range(DISTRICTS):
            district = next(next_id)
            regions.append(
                {
                    "id": district,
                    "name": f"区{d}",
                    "level": RegionLevel.DISTRICT,
                    "parent_id": None,
                    "district_id": None,
                }
            )
            for t in range(TOWNS):
                town = next(next_id)
                regions.append(
                    {
                        "id": town,
                        "name": f"镇{t}",
                        "level": RegionLevel.TOWN,
                        "parent_id": district,
                        "district_id": district,
                    }
                )
                for v in range(VILLAGES):
                    village = next(next_id)
                    villages.append((village, town, district))
                    regions.append(
                        {
                            "id": village,
                            "name": f"村{v}",
                            "level": RegionLevel.VILLAGE,
                            "parent_id": town,
                            "district_id": district,
                        }
                    )
            department_ids[district] = [d * 10 + k + 1 for k in range(10)]
            departments += [{"id": i, "district_id": district, "name": f"部门{i}"} for i in department_ids[district]]
        _insert(connection, Region.__table__, regions)
        _insert(connection, Department.__table__, departments)
        users: list[dict] = []

        def staff(role: Role, region: int, department: int | None = None) -> None:
            number = len(users) + 1
            users.append(
                {
                    "phone": f"1{number:010d}",
                    "name": f"人员{number}",
                    "password_hash": "-",
                    "role": role,
                    "region_id": region,
                    "department_id": department,
                    "active": True,
                    "wechat_openid": f"o_{number}" if number % 10 else None,
                    "created_at": NOW,
                }
            )

        for row in regions:
            if row["level"] is RegionLevel.DISTRICT:
                for k in range(25):
                    staff(Role.DISTRICT_ADMIN, row["id"])
                    staff(Role.DEPARTMENT, row["id"], department_ids[row["id"]][k % 10])
            elif row["level"] is RegionLevel.TOWN:
                for _ in range(15):
                    staff(Role.TOWN_OFFICIAL, row["id"])
            else:
                staff(Role.VILLAGE_CLERK, row["id"])
                staff(Role.VILLAGE_SUPERVISOR, row["id"])
                for _ in range(6):
                    staff(Role.CUSTODIAN, row["id"])
        _insert(connection, User.__table__, users)
    print(f"regions {len(regions):,}, staff {len(users):,} in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        ensure_kinds(session)
        calendar_tasks = sum(
            ensure_deadlines(session, district, TODAY.year, NOW)
            for district in session.scalars(select(Region).where(Region.parent_id.is_(None)))
        )
        session.commit()
    rng = random.Random(6)  # noqa: S311  (bench data, not secrets)
    with engine.begin() as connection:
        rows = []
        for n in range(DEADLINES - calendar_tasks):
            village, town, district = villages[rng.randrange(len(villages))]
            kind = EVENT_KINDS[n % len(EVENT_KINDS)]
            rows.append(
                {
                    "key": f"{kind}:bench:{n}",
                    "kind": kind,
                    "title": f"事项{n}",
                    "district_id": district,
                    "region_id": village,
                    "upper_region_id": town,
                    "source": f"bench:{n}",
                    "due_on": TODAY + dt.timedelta(rng.randint(-30, 30)),
                    "urgent": False,
                    "created_at": NOW,
                }
            )
            if len(rows) == CHUNK:
                connection.execute(insert(Deadline.__table__), rows)
                rows = []
        if rows:
            connection.execute(insert(Deadline.__table__), rows)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    print(f"deadlines {DEADLINES:,} ({calendar_tasks:,} calendar tasks) in {time.perf_counter() - started:.1f} s")
    engine.dispose()


def measure() -> None:
    from sqlalchemy import func
    from sqlalchemy.orm import Session

    from models.deadlines.entities import Digest
    from models.deadlines.reminders import compute_digests

    engine = make_engine(URL)
    with engine.begin() as connection:  # measure again from scratch on every run
        connection.execute(text("DELETE FROM deliveries"))
        connection.execute(text("DELETE FROM reminder_digests"))
        connection.execute(text("DELETE FROM reminder_runs"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Session(engine) as session:
        started = time.perf_counter()
        run = compute_digests(session, TODAY, NOW)
        digests = run.digests
        session.commit()
        elapsed = time.perf_counter() - started
        items = session.scalar(select(func.sum(Digest.item_count)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"compute_digests: {digests:,} digests, {items:,} items in {elapsed:.1f} s; "
        f"peak RSS {peak / 1024:.0f} MB (before {before / 1024:.0f} MB)"
    )
    engine.dispose()


def send() -> None:
    from tests.support.fake_wechat import serve_fake_wechat
    from web import create_app

    with tempfile.TemporaryDirectory() as folder, serve_fake_wechat(Path(folder)) as fake:
        app = create_app(
            {
                **fake.client_config(WECHAT_REMINDER_TEMPLATE_ID=SANDBOX_TEMPLATE_IDS["reminder"]),
                "DATABASE_URL": URL,
                "SECRET_KEY": "bench",
                "TESTING": True,
                "PUBLIC_BASE_URL": "http://guanhu.bench",
            }
        )
        from jobs.reminders import push
        from models.deadlines.reminders import digest_message, digests_to_send

        with app.app_context():
            session = app.extensions["db"].sessionmaker()
            digests = digests_to_send(session, TODAY, limit=SENDS)
            started = time.perf_counter()
            for digest in digests:
                push(session, digest.openid, digest_message(session, digest, TODAY), key=digest.key)
            elapsed = time.perf_counter() - started
            session.close()
        calls = len(fake.calls("cgi-bin/message/template/send"))
        print(
            f"send: {len(digests):,} digests in {elapsed:.1f} s = {len(digests) / elapsed:.0f}/s "
            f"({calls:,} calls reached the fake)"
        )
        app.extensions["db"].engine.dispose()


def main() -> None:
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, {URL.split('@')[-1]}")
    for step in ("build", "measure", "send"):
        subprocess.run([sys.executable, "-m", "bench.reminders", step], check=True)  # noqa: S603


if __name__ == "__main__":
    if len(sys.argv) > 1:
        {"build": build, "measure": measure, "send": send}[sys.argv[1]]()
    else:
        main()
