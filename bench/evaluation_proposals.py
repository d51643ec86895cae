"""Bench of the evaluation's proposed scores (run: `.venv/bin/python -m bench.evaluation_proposals`).

Builds a district of 20 towns × 20 villages × 50 assets with a year of records, by Core bulk
inserts: every asset looked after about monthly, a damage report with its repair task for one asset
in ten, a rated complaint for one in twenty, three villagers' care ratings for one in five. Then:
- proposes every one of the 400 villages' scores (target: under 30 s), against a floor measured in
  the same run: reading once every record the rules count (the district's assets, care records,
  repair tasks, complaints, ratings) in five plain queries;
- renders one village's form for its clerk (GET /evaluations/form/<id>, server time, median of
  30; target: under 200 ms), against the floor of GET /tasks for the same clerk.

SQLite in a temporary file unless GUANHU_BENCH_DATABASE_URL names another database (its tables are
dropped and made again), e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench_evaluations.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import tempfile
import time
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

import models
from bench.database import ensure_database
from models.assets.entities import Asset, AssetClass, AssetStatus, AssetSubtype, FundingKind
from models.catalog import ensure_subtypes
from models.clock import FixedClock
from models.complaints.entities import Complaint, ComplaintCategory, ComplaintStatus, Rating
from models.db import make_engine
from models.evaluations.entities import CareRating, Stage
from models.evaluations.form import open_evaluation
from models.evaluations.proposals import propose
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord, RepairTask
from models.people import Role, User
from models.regions import Region, RegionLevel, add_region
from tests.support.pages import login
from web import create_app

TOWNS, VILLAGES, ASSETS = 20, 20, 50
NOW = dt.datetime(2026, 12, 5, 2, tzinfo=dt.UTC)
JAN_1 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TZ = "Asia/Shanghai"
CHUNK = 20_000
FORM_ROUNDS = 30
PASSWORD = "bench-password"  # noqa: S105  (a throwaway database)


def database_url() -> str:
    url = os.environ.get("GUANHU_BENCH_DATABASE_URL")
    if url:
        return ensure_database(url)
    return f"sqlite:///{tempfile.mkdtemp()}/bench_evaluations.sqlite3"


def _insert(connection, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(table), rows[start : start + CHUNK])


def build(url: str) -> tuple[int, int]:
    """The district and its records; returns (district id, the first village's clerk id)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        models.Base.metadata.create_all(connection)
    with Session(engine) as session:
        ensure_subtypes(session)
        subtypes = [
            (s.id, s.name, s.asset_class)
            for s in session.scalars(select(AssetSubtype).where(AssetSubtype.asset_class != AssetClass.HOUSEHOLD))
        ]
        district = add_region(session, "测评区", RegionLevel.DISTRICT, None)
        villages = []
        for t in range(TOWNS):
            town = add_region(session, f"镇{t}", RegionLevel.TOWN, district)
            villages += [add_region(session, f"镇{t}村{v}", RegionLevel.VILLAGE, town) for v in range(VILLAGES)]
        clerk = User(
            phone="13900000000", name="村干部", role=Role.VILLAGE_CLERK, region=villages[0], created_at=NOW, active=True
        )
        clerk.set_password(PASSWORD)
        session.add(clerk)
        session.commit()
        ids = (district.id, clerk.id)
        village_rows = [(v.id, v.parent_id) for v in villages]
    rows, n = [], 0
    for village_id, town_id in village_rows:
        for _ in range(ASSETS):
            subtype = subtypes[n % len(subtypes)]
            rows.append(_asset(n, ids[0], town_id, village_id, subtype))
            n += 1
    with engine.begin() as connection:
        _insert(connection, Asset.__table__, rows)
        asset_ids = list(connection.scalars(select(Asset.id).order_by(Asset.id)))
        _insert(connection, MaintenanceRecord.__table__, [_care(a, m) for a in asset_ids for m in range(11)])
        damaged = asset_ids[::10]
        _insert(connection, MaintenanceRecord.__table__, [_care(a, 20, MaintenanceKind.DAMAGE_REPORT) for a in damaged])
        reports = connection.execute(
            select(MaintenanceRecord.id, MaintenanceRecord.asset_id, MaintenanceRecord.recorded_at).where(
                MaintenanceRecord.kind == MaintenanceKind.DAMAGE_REPORT
            )
        ).all()
        _insert(connection, RepairTask.__table__, [_repair(*report) for report in reports])
        _insert(connection, Complaint.__table__, [_complaint(a, i) for i, a in enumerate(asset_ids[::20])])
        _insert(connection, CareRating.__table__, [_rating(a, k) for a in asset_ids[::5] for k in range(3)])
    engine.dispose()
    return ids


def _asset(n: int, district_id: int, town_id: int, village_id: int, subtype: tuple) -> dict:
    subtype_id, name, asset_class = subtype
    return {
        "code": f"EV{n:07d}",
        "name": f"资产{n}{name}",
        "asset_class": asset_class,
        "subtype_id": subtype_id,
        "project_name": f"2022年{name}项目",
        "project_year": 2022,
        "funding_kind": FundingKind.LINKAGE,
        "original_value": Decimal(100_000),
        "district_id": district_id,
        "town_id": town_id,
        "village_id": village_id,
        "owner": "村民委员会",
        "ownership_confirmed": True,
        "custodian_body": "村民委员会",
        "custodian_name": "" if n % 25 == 0 else "韦文华",
        "custodian_phone": f"138{n:08d}",
        "operator": "村集体经济合作社" if asset_class is AssetClass.OPERATING else None,
        "status": AssetStatus.IDLE if n % 30 == 0 else AssetStatus.NORMAL,
        "beneficiary_households": 50,
        "card_on_wall": True,
        "public_token": secrets.token_urlsafe(16),
        "created_at": JAN_1 - dt.timedelta(days=400),
        "updated_at": JAN_1,
        "version": 1,
    }


def _care(asset_id: int, month: int, kind: MaintenanceKind = MaintenanceKind.INSPECTION) -> dict:
    at = JAN_1 + dt.timedelta(days=30 * month + asset_id % 20, hours=2)
    return {
        "asset_id": asset_id,
        "kind": kind,
        "recorded_at": min(at, NOW - dt.timedelta(days=1)),
        "recorded_by_name": "韦文华",
        "doubtful": False,
        "flags": [],
        "flagged": False,
    }


def _repair(record_id: int, asset_id: int, at: dt.datetime) -> dict:
    closed = at + dt.timedelta(days=10 if asset_id % 3 else 30)
    return {
        "asset_id": asset_id,
        "opened_by_id": record_id,
        "opened_at": at,
        "due_on": (at + dt.timedelta(days=15)).date(),
        "closed_at": closed if closed < NOW else None,
    }


def _complaint(asset_id: int, number: int) -> dict:
    created = JAN_1 + dt.timedelta(days=number % 300)
    return {
        "tracking_number": f"TS-2026-{number:06d}",
        "public_token": secrets.token_urlsafe(16),
        "asset_id": asset_id,
        "category": ComplaintCategory.DAMAGE if number % 2 else ComplaintCategory.OTHER,
        "description": "路面有坑",
        "status": ComplaintStatus.CLOSED,
        "created_at": created,
        "accept_due_on": created.date(),
        "answer_due_on": created.date(),
        "rating": Rating.SATISFIED if number % 4 else Rating.UNSATISFIED,
        "reopened_count": 0,
    }


def _rating(asset_id: int, k: int) -> dict:
    return {
        "asset_id": asset_id,
        "year": 2026,
        "rating": (Rating.SATISFIED, Rating.MOSTLY_SATISFIED, Rating.UNSATISFIED)[(asset_id + k) % 3],
        "openid": f"o{asset_id}-{k}",
        "created_at": NOW - dt.timedelta(days=k + 1),
    }


def floor_read(session: Session, district_id: int) -> float:
    """Every record the rules count, read once in plain queries."""
    started = time.perf_counter()
    assets = select(Asset.id).where(Asset.district_id == district_id)
    session.execute(select(Asset).where(Asset.district_id == district_id)).all()
    session.execute(select(MaintenanceRecord.asset_id).where(MaintenanceRecord.asset_id.in_(assets))).all()
    session.execute(select(RepairTask).where(RepairTask.asset_id.in_(assets))).all()
    session.execute(select(Complaint).where(Complaint.asset_id.in_(assets))).all()
    session.execute(select(CareRating).where(CareRating.asset_id.in_(assets))).all()
    return time.perf_counter() - started


def propose_all(session: Session, district_id: int) -> tuple[float, int]:
    villages = session.scalars(
        select(Region).where(Region.district_id == district_id, Region.level == RegionLevel.VILLAGE)
    )
    started, items = time.perf_counter(), 0
    for village in villages:
        for sheet in propose(session, village, 2026, Stage.SELF_EVALUATION, NOW, TZ):
            items += len(sheet.items)
    return time.perf_counter() - started, items


def form_times(url: str, clerk_id: int) -> tuple[float, float]:
    """Median server time of the clerk's form and of the clerk's /tasks, taken in turn."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CLOCK": FixedClock(NOW), "RATELIMIT_ENABLED": False})
    with app.app_context():
        engine = make_engine(url)
        with Session(engine) as session:
            clerk = session.get_one(User, clerk_id)
            evaluation = open_evaluation(
                session, clerk, clerk.region, 2026, Stage.SELF_EVALUATION, now=NOW, timezone=TZ
            )
            session.commit()
            form_path = f"/evaluations/form/{evaluation.id}"
            phone = clerk.phone
        engine.dispose()
    client = app.test_client()
    login(client, SimpleNamespace(phone=phone), PASSWORD)
    form, tasks = [], []
    for _ in range(FORM_ROUNDS):
        for path, timings in ((form_path, form), ("/tasks", tasks)):
            started = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
    return statistics.median(form), statistics.median(tasks)


def main() -> None:
    url = database_url()
    started = time.perf_counter()
    district_id, clerk_id = build(url)
    print(
        f"built {TOWNS * VILLAGES} villages, {TOWNS * VILLAGES * ASSETS} assets",
        f"in {time.perf_counter() - started:.1f} s",
    )
    engine = make_engine(url)
    with Session(engine) as session:
        floor = floor_read(session, district_id)
        session.rollback()
        took, items = propose_all(session, district_id)
        session.rollback()
    engine.dispose()
    print(f"floor (read every counted record once): {floor:.2f} s")
    print(f"proposing all 400 villages ({items} items): {took:.2f} s = {took / floor:.1f} × floor (target < 30 s)")
    form, tasks = form_times(url, clerk_id)
    print(
        f"one village's form: {form * 1000:.1f} ms median = {form / tasks:.1f} × /tasks",
        f"({tasks * 1000:.1f} ms) (target < 200 ms)",
    )


if __name__ == "__main__":
    main()
