"""Bench of the register list (run: `.venv/bin/python -m bench.register_list`).

Fills a database with one district whose town 大镇 holds ASSETS assets (100,000 by default) and
four smaller towns, then measures the server time (time inside the WSGI app, body included) of
GET /assets and filtered or paged variants, signed in as the town's official, REQUESTS times each.
The floor beside each is the bare SQL SELECT of the same page (same WHERE, ORDER BY, LIMIT and
OFFSET) on the same database, and that SELECT plus the COUNT the page shows, measured alike.
SQLite in a temporary folder by default; PostgreSQL when GUANHU_BENCH_DATABASE_URL is set (that
database's tables are dropped and created again).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, insert, literal, null, or_, select, text
from sqlalchemy.orm import Session

import models
from bench.database import ensure_database
from models.assets.entities import Asset, AssetClass, AssetFunding, AssetStatus, FundingKind
from models.catalog import ensure_departments, ensure_subtypes
from models.db import make_engine
from models.people import Role, create_user
from models.regions import RegionLevel, add_region

ASSETS = int(os.environ.get("GUANHU_BENCH_ASSETS", "100000"))
SMALL_TOWN_ASSETS = 2_000
REQUESTS = int(os.environ.get("GUANHU_BENCH_REQUESTS", "200"))
WARMUP = 10
PER_PAGE = 20
BATCH = 5_000
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PHONE, PASSWORD = "13900000099", "bench-password"
STATUSES = (
    [AssetStatus.NORMAL] * 75
    + [AssetStatus.IDLE] * 8
    + [AssetStatus.DAMAGED] * 7
    + [AssetStatus.SUSPENDED] * 6
    + [AssetStatus.DISPOSED] * 4
)
SURNAMES, GIVEN = "韦覃黄莫蒙梁陆农李陈", ["建国", "秀英", "德明", "海燕", "志强"]


def fill(engine: Engine) -> dict[str, int]:
    """Create the schema and the regions, then bulk-insert the assets; returns ids the bench needs."""
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        models.Base.metadata.create_all(connection)
    with Session(engine) as session:
        district = add_region(session, "示范区", RegionLevel.DISTRICT, None)
        ensure_departments(session, district)
        subtypes = list(ensure_subtypes(session).values())
        big = add_region(session, "大镇", RegionLevel.TOWN, district)
        towns = [(big, [add_region(session, f"大镇{n}村", RegionLevel.VILLAGE, big) for n in range(1, 21)], ASSETS)]
        for name in ("青山镇", "河湾镇", "云岭乡", "白石镇"):
            town = add_region(session, name, RegionLevel.TOWN, district)
            villages = [add_region(session, f"{name[:2]}{n}村", RegionLevel.VILLAGE, town) for n in range(1, 4)]
            towns.append((town, villages, SMALL_TOWN_ASSETS))
        create_user(
            session, phone=PHONE, name="大镇专班", password=PASSWORD, role=Role.TOWN_OFFICIAL, region=big, now=NOW
        )
        session.commit()
        ids = {"district": district.id, "town": big.id, "village": towns[0][1][7].id}
        plan = [(town.id, [v.id for v in villages], count) for town, villages, count in towns]
        subtype_rows = [(s.id, s.name, s.asset_class) for s in subtypes]
    number = 0
    with engine.begin() as connection:
        for town_id, village_ids, count in plan:
            rows = []
            for _ in range(count):
                number += 1
                rows.append(_row(number, ids["district"], town_id, village_ids, subtype_rows))
                if len(rows) == BATCH:
                    connection.execute(insert(Asset.__table__), rows)
                    rows = []
            if rows:
                connection.execute(insert(Asset.__table__), rows)
        fundings = AssetFunding.__table__
        connection.execute(
            insert(fundings).from_select(
                ["asset_id", "position", "source", "amount"],
                select(Asset.id, literal(0), literal("linkage"), null()),
            )
        )
        if engine.dialect.name == "sqlite":
            connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":  # what autovacuum gives a database in service
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return ids


def _row(n: int, district_id: int, town_id: int, village_ids: list[int], subtypes: list) -> dict:
    subtype_id, subtype_name, asset_class = subtypes[n % len(subtypes)]
    year = 2014 + n % 12
    status = STATUSES[n * 37 % len(STATUSES)]
    person = SURNAMES[n % len(SURNAMES)] + GIVEN[n // 10 % len(GIVEN)]
    return {
        "code": f"BK{n * 7919 % 1_000_003:07d}{n % 10}",  # unique, not in insertion order
        "name": f"资产{n}{subtype_name}",
        "asset_class": asset_class,
        "subtype_id": subtype_id,
        "project_name": f"{year}年{subtype_name}项目",
        "project_year": year,
        "funding_kind": FundingKind.LINKAGE if year >= 2021 else FundingKind.POVERTY_ALLEVIATION,
        "original_value": Decimal(10_000 + n * 7 % 2_000_000),
        "district_id": district_id,
        "town_id": town_id,
        "village_id": village_ids[n % len(village_ids)],
        "hamlet": f"{n % 9 + 1}组",
        "owner": "村民委员会",
        "ownership_confirmed": n % 5 != 0,
        "custodian_body": "村民委员会",
        "custodian_name": person,
        "custodian_phone": f"138{n:08d}",
        "operator": "委托经营：某某公司" if asset_class is AssetClass.OPERATING else None,
        "status": status,
        "beneficiary_households": n % 300,
        "card_on_wall": n % 4 != 0,
        "disposed_on": dt.date(2025, 1 + n % 12, 1) if status is AssetStatus.DISPOSED else None,
        "public_token": secrets.token_urlsafe(16),
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }


def variants(ids: dict[str, int]) -> list[tuple[str, dict, list, object, int]]:
    """(label, query arguments, extra conditions, order column, offset) for each measured page."""
    t = Asset.__table__.c
    last = (ASSETS - 1) // PER_PAGE + 1
    pattern = "%水利%"
    return [
        ("第1页，按编号", {}, [], t.code, 0),
        ("第50页", {"page": 50}, [], t.code, 49 * PER_PAGE),
        (f"末页（第{last}页）", {"page": last}, [], t.code, (last - 1) * PER_PAGE),
        ("状态=损毁", {"status": "damaged"}, [t.status == AssetStatus.DAMAGED], t.code, 0),
        ("某一村", {"village": ids["village"]}, [t.village_id == ids["village"]], t.code, 0),
        ("按原值倒序", {"sort": "-value"}, [], t.original_value.desc(), 0),
        (
            "搜索“水利”",
            {"q": "水利"},
            [or_(*(column.like(pattern, escape="\\") for column in (t.name, t.code, t.project_name)))],
            t.code,
            0,
        ),
    ]


class ServerTimer:
    """WSGI middleware recording the time inside the app, until the body is fully produced."""

    def __init__(self, app: Callable):
        self.app = app
        self.times: list[float] = []

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        start = time.perf_counter()
        iterable = self.app(environ, start_response)
        try:
            body = b"".join(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        self.times.append(time.perf_counter() - start)
        return [body]


def timed(action: Callable[[], object]) -> list[float]:
    for _ in range(WARMUP):
        action()
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def percentiles(times: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles([t * 1000 for t in times], n=100, method="inclusive")
    return q[49], q[94], q[98]


def measure(url: str, ids: dict[str, int]) -> list[tuple[str, tuple, tuple, tuple]]:
    from web import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer  # type: ignore[method-assign]
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    signed_in = client.post("/login", data={"phone": PHONE, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302, "bench user could not sign in"
    engine = app.extensions["db"].engine
    t = Asset.__table__
    results = []
    for label, query, extra, order, offset in variants(ids):
        where = [t.c.town_id == ids["town"], *extra]
        page = select(t).where(*where).order_by(order, t.c.id).limit(PER_PAGE).offset(offset)
        count = select(func.count()).select_from(t).where(*where)

        def get(query: dict = query) -> None:
            response = client.get("/assets", query_string=query)
            assert response.status_code == 200 and "资产台账" in response.get_data(as_text=True)

        timer.times = []
        timed(get)
        server = timer.times[WARMUP:]
        with engine.connect() as connection:
            floor = timed(lambda page=page: connection.execute(page).fetchall())
            floor_count = timed(
                lambda page=page, count=count: (connection.execute(page).fetchall(), connection.execute(count).scalar())
            )
        results.append((label, percentiles(server), percentiles(floor), percentiles(floor_count)))
    engine.dispose()
    return results


def machine(engine: Engine) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            database = connection.execute(text("SHOW server_version")).scalar()
            database = f"PostgreSQL {database}"
        else:
            database = f"SQLite {sqlite3.sqlite_version}"
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {database}"


def main() -> None:
    url = os.environ.get("GUANHU_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(ensure_database(url))
        started = time.perf_counter()
        ids = fill(engine)
        filled = time.perf_counter() - started
        print(f"Register list — {machine(engine)}")
        print(
            f"filled {ASSETS:,} assets in one town (+{4 * SMALL_TOWN_ASSETS:,} elsewhere) in {filled:.0f} s; "
            f"{REQUESTS} requests each, times in ms\n"
        )
        engine.dispose()
        print(
            "| GET /assets | server p50 | p95 | p99 | floor: same-page SELECT p50 / p95 "
            "| floor: SELECT + COUNT p50 / p95 |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for label, server, floor, floor_count in measure(url, ids):
            print(
                f"| {label} | {server[0]:.1f} | {server[1]:.1f} | {server[2]:.1f} "
                f"| {floor[0]:.1f} / {floor[1]:.1f} | {floor_count[0]:.1f} / {floor_count[1]:.1f} |"
            )


if __name__ == "__main__":
    main()
