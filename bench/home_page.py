"""Bench of the home page (run: `.venv/bin/python -m bench.home_page`).

Fills a database with one district of realistic size — TOWNS towns of VILLAGES villages holding
ASSETS assets (20,000 by default), COMPLAINTS complaints filed this year (answered, rated, open or
late), DAMAGE_REPORTS damage reports with their repair tasks (repaired in time, late, open) and
flagged inspection records — then measures the server time (inside the WSGI app, body included)
of GET / as the district's admin, REQUESTS times, against the floor measured alike in the same run:
GET /assets, the register list of the same district (one page with its count), as the same person,
the two requests taken in turn round after round.
SQLite in a temporary folder by default; PostgreSQL when GUANHU_BENCH_DATABASE_URL is set (that
database's tables are dropped and created again).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

import models
from bench.database import ensure_database
from bench.register_list import ServerTimer, _row, machine, percentiles, timed
from models.assets.entities import Asset
from models.catalog import ensure_departments, ensure_subtypes
from models.clock import FixedClock
from models.complaints.entities import Complaint, ComplaintCategory, ComplaintStatus, Rating
from models.db import make_engine
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord, RepairTask
from models.people import Role, create_user
from models.regions import RegionLevel, add_region

ASSETS = int(os.environ.get("GUANHU_BENCH_ASSETS", "20000"))
TOWNS, VILLAGES = 12, 15
COMPLAINTS = ASSETS // 8
DAMAGE_REPORTS = ASSETS // 10
REQUESTS = int(os.environ.get("GUANHU_BENCH_REQUESTS", "50"))
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
PHONE, PASSWORD = "13900000098", "bench-password"
BATCH = 5_000
STATUSES = (
    [ComplaintStatus.CLOSED] * 5 + [ComplaintStatus.ANSWERED] * 2 + [ComplaintStatus.NEW, ComplaintStatus.ACCEPTED]
)


def fill(engine: Engine) -> None:
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        models.Base.metadata.create_all(connection)
    with Session(engine) as session:
        district = add_region(session, "示范区", RegionLevel.DISTRICT, None)
        ensure_departments(session, district)
        subtypes = [(s.id, s.name, s.asset_class) for s in ensure_subtypes(session).values()]
        plan = []
        for t in range(1, TOWNS + 1):
            town = add_region(session, f"第{t}镇", RegionLevel.TOWN, district)
            villages = [add_region(session, f"第{t}镇{v}村", RegionLevel.VILLAGE, town) for v in range(1, VILLAGES + 1)]
            plan.append((town.id, [village.id for village in villages]))
        create_user(
            session,
            phone=PHONE,
            name="区乡村振兴局",
            password=PASSWORD,
            role=Role.DISTRICT_ADMIN,
            region=district,
            now=NOW,
        )
        session.commit()
        district_id = district.id
    with engine.begin() as connection:
        rows = [_row(n, district_id, *plan[n % TOWNS], subtypes) for n in range(1, ASSETS + 1)]
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(Asset.__table__), rows[start : start + BATCH])
        asset_ids = list(connection.scalars(select(Asset.id).order_by(Asset.id)))
        connection.execute(insert(Complaint.__table__), [_complaint(n, asset_ids) for n in range(1, COMPLAINTS + 1)])
        connection.execute(
            insert(MaintenanceRecord.__table__), [_record(n, asset_ids) for n in range(1, 2 * DAMAGE_REPORTS + 1)]
        )
        reports = connection.execute(
            select(MaintenanceRecord.id, MaintenanceRecord.asset_id, MaintenanceRecord.recorded_at).where(
                MaintenanceRecord.kind == MaintenanceKind.DAMAGE_REPORT
            )
        ).all()
        connection.execute(insert(RepairTask.__table__), [_repair(n, *report) for n, report in enumerate(reports)])
        if engine.dialect.name == "sqlite":
            connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def _complaint(n: int, asset_ids: list[int]) -> dict:
    filed = NOW - dt.timedelta(days=n * 7 % 300, hours=n % 9)
    status = STATUSES[n % len(STATUSES)]
    answered = status in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED)
    return {
        "tracking_number": f"TS-2026-{n:06d}",
        "public_token": secrets.token_urlsafe(16),
        "asset_id": asset_ids[n * 13 % len(asset_ids)],
        "category": list(ComplaintCategory)[n % 5],
        "description": "路面塌了一个大坑，晚上很危险。",
        "status": status,
        "created_at": filed,
        "accept_due_on": filed.date() + dt.timedelta(days=3),
        "answer_due_on": filed.date() + dt.timedelta(days=15),
        "answered_at": filed + dt.timedelta(days=n % 20) if answered else None,
        "rating": list(Rating)[n % 3] if status is ComplaintStatus.CLOSED else None,
        "reopened_count": 0,
    }


def _record(n: int, asset_ids: list[int]) -> dict:
    """Every other record a damage report; one in ten flagged."""
    return {
        "asset_id": asset_ids[n * 17 % len(asset_ids)],
        "kind": MaintenanceKind.DAMAGE_REPORT if n % 2 else MaintenanceKind.INSPECTION,
        "recorded_at": NOW - dt.timedelta(days=n * 3 % 320, hours=n % 11),
        "recorded_by_name": "韦管护",
        "doubtful": False,
        "flags": ["far"] if n % 10 == 0 else [],
        "flagged": n % 10 == 0,
    }


def _repair(n: int, report_id: int, asset_id: int, recorded_at: dt.datetime) -> dict:
    """Two in three repaired (most in time), the rest open."""
    due = recorded_at.date() + dt.timedelta(days=15)
    closed = recorded_at + dt.timedelta(days=n % 25) if n % 3 else None
    return {
        "asset_id": asset_id,
        "opened_by_id": report_id,
        "opened_at": recorded_at,
        "due_on": due,
        "closed_at": closed,
    }


def measure(url: str) -> dict[str, list[float]]:
    from web import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "CLOCK": FixedClock(NOW)})
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer  # type: ignore[method-assign]
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    signed_in = client.post("/login", data={"phone": PHONE, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302, "bench user could not sign in"
    pages = {"GET /assets (floor)": ("/assets", "资产台账"), "GET /": ("/", "辖区一览")}

    def both() -> None:  # taken in turn, so that the machine's load weighs on both alike
        for path, words in pages.values():
            response = client.get(path)
            assert response.status_code == 200 and words in response.get_data(as_text=True)

    timer.times = []
    timed(both)
    measured = timer.times[-2 * REQUESTS :]
    times = {label: measured[index :: len(pages)] for index, label in enumerate(pages)}
    app.extensions["db"].engine.dispose()
    return times


def main() -> None:
    url = os.environ.get("GUANHU_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(ensure_database(url))
        started = time.perf_counter()
        fill(engine)
        print(f"Home page — {machine(engine)}")
        print(
            f"filled one district: {TOWNS} towns × {VILLAGES} villages, {ASSETS:,} assets, {COMPLAINTS:,} complaints, "
            f"{DAMAGE_REPORTS:,} damage reports with repairs, {DAMAGE_REPORTS:,} inspections "
            f"in {time.perf_counter() - started:.0f} s; {REQUESTS} requests each as the district admin, times in ms\n"
        )
        engine.dispose()
        times = measure(url)
        floor = percentiles(times["GET /assets (floor)"])
        print("| | server p50 | p95 | p99 | p50 × floor |")
        print("|---|---:|---:|---:|---:|")
        for label, measured in times.items():
            p50, p95, p99 = percentiles(measured)
            print(f"| {label} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {p50 / floor[0]:.2f} |")


if __name__ == "__main__":
    main()
