"""Bench of the evaluation's reports (run: `.venv/bin/python -m bench.evaluation_reports`).

A district of 20 towns × 20 villages × 50 assets (35 public-benefit, 15 operating) with a year
of records (an inspection a month for every asset: 240,000 rows) and every village's year-end
evaluation reviewed (16 items each, some adjusted, evidence on every item), half the towns rated.
Measures, each the median of several runs in a fresh session:

- the town report: one town's 本镇项目资产绩效自评材料 as .xlsx and as PDF, built from the
  database (target: both under 5 s); floor: writing the same rows with openpyxl alone and the same
  number of blank A4 pages with Pillow alone;
- the district table: the rating page (评定各乡镇) served to the district office through the
  whole app, server time (target: under 1 s), and `district_table` alone; floor: fetching the
  district's evaluation rows with one bare SELECT.

GUANHU_BENCH_DATABASE_URL picks PostgreSQL; SQLite otherwise.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import secrets
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from PIL import Image
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

import models
from bench.database import ensure_database
from models.assets.entities import Asset, AssetClass, AssetStatus, FundingKind
from models.catalog import ensure_departments, ensure_subtypes
from models.db import make_engine
from models.evaluations.entities import ItemScore, Stage, Status, TownResult, VillageEvaluation
from models.evaluations.rating import district_table
from models.evaluations.report_pdf import print_report
from models.evaluations.report_xlsx import write_report
from models.evaluations.reports import ITEM_HEADERS, town_report
from models.evaluations.sheets import ensure_sheets, grade_for
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord
from models.people import Role, create_user
from models.printing import A4_SIZE, pdf
from models.regions import Region, RegionLevel, add_region

TOWNS, VILLAGES, ASSETS, OPERATING = 20, 20, 50, 15
YEAR = 2026
NOW = dt.datetime(2026, 12, 21, 2, tzinfo=dt.UTC)
RUNS = 5
PAGE_RUNS = 20
BATCH = 5_000
PHONE, PASSWORD = "13900000098", "bench-password"


def fill(engine) -> dict[str, int]:
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        models.Base.metadata.create_all(connection)
    with Session(engine) as session:
        district = add_region(session, "示范区", RegionLevel.DISTRICT, None)
        ensure_departments(session, district)
        subtypes = ensure_subtypes(session)
        roads, farms = subtypes["道路交通"], subtypes["农林牧渔业产业基地"]
        towns = []
        for t in range(1, TOWNS + 1):
            town = add_region(session, f"第{t}镇", RegionLevel.TOWN, district)
            towns.append((town, [add_region(session, f"{t}镇{v}村", RegionLevel.VILLAGE, town) for v in range(1, 21)]))
        create_user(
            session,
            phone=PHONE,
            name="区乡村振兴局",
            password=PASSWORD,
            role=Role.DISTRICT_ADMIN,
            region=district,
            now=NOW,
        )
        sheets = ensure_sheets(session, district, YEAR, NOW)
        session.commit()
        ids = {"district": district.id, "town": towns[0][0].id}
        plan = [(town.id, [village.id for village in villages]) for town, villages in towns]
        classes = {AssetClass.PUBLIC_BENEFIT: roads.id, AssetClass.OPERATING: farms.id}
        items = {asset_class: [(item.id, item.points) for item in sheet.items] for asset_class, sheet in sheets.items()}
    _assets_and_records(engine, ids["district"], plan, classes)
    _evaluations(engine, ids["district"], plan, items)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return ids


def _assets_and_records(engine, district_id: int, plan, classes) -> None:
    number = 0
    with engine.begin() as connection:
        rows = []
        for town_id, village_ids in plan:
            for village_id in village_ids:
                for n in range(ASSETS):
                    number += 1
                    asset_class = AssetClass.OPERATING if n < OPERATING else AssetClass.PUBLIC_BENEFIT
                    rows.append(_asset(number, district_id, town_id, village_id, asset_class, classes[asset_class]))
                if len(rows) >= BATCH:
                    connection.execute(insert(Asset.__table__), rows)
                    rows = []
        if rows:
            connection.execute(insert(Asset.__table__), rows)
        asset_ids = list(connection.scalars(select(Asset.id)))
        records = []
        for asset_id in asset_ids:
            for month in range(1, 13):
                records.append(
                    {
                        "asset_id": asset_id,
                        "kind": MaintenanceKind.INSPECTION,
                        "recorded_at": dt.datetime(YEAR, month, 5, 2, tzinfo=dt.UTC),
                        "recorded_by_name": "管护员",
                        "doubtful": False,
                        "flags": [],
                        "flagged": False,
                    }
                )
                if len(records) >= BATCH:
                    connection.execute(insert(MaintenanceRecord.__table__), records)
                    records = []
        if records:
            connection.execute(insert(MaintenanceRecord.__table__), records)


def _asset(n: int, district_id: int, town_id: int, village_id: int, asset_class: AssetClass, subtype_id: int) -> dict:
    return {
        "code": f"EV{n:07d}",
        "name": f"资产{n}",
        "asset_class": asset_class,
        "subtype_id": subtype_id,
        "project_name": "2022年项目",
        "project_year": 2022,
        "funding_kind": FundingKind.LINKAGE,
        "original_value": Decimal(100_000),
        "district_id": district_id,
        "town_id": town_id,
        "village_id": village_id,
        "owner": "村民委员会",
        "custodian_body": "村民委员会",
        "custodian_name": "韦建国",
        "custodian_phone": f"138{n:08d}",
        "status": AssetStatus.NORMAL,
        "public_token": secrets.token_urlsafe(16),
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }


def _evaluations(engine, district_id: int, plan, items) -> None:
    counts = {"public_benefit": ASSETS - OPERATING, "operating": OPERATING}
    with Session(engine) as session:
        for t, (town_id, village_ids) in enumerate(plan):
            for v, village_id in enumerate(village_ids):
                lost = Decimal((t + v) % 4) / 2
                evaluation = VillageEvaluation(
                    district_id=district_id,
                    town_id=town_id,
                    village_id=village_id,
                    year=YEAR,
                    stage=Stage.SELF_EVALUATION,
                    status=Status.RATED if t % 2 == 0 else Status.REVIEWED,
                    self_score=Decimal(100) - 8 * lost,
                    score=Decimal(100) - 8 * lost - 1,
                    grade=grade_for(Decimal(100) - 8 * lost - 1),
                    class_assets=counts,
                    created_at=NOW,
                    updated_at=NOW,
                )
                evaluation.scores = [
                    ItemScore(
                        item_id=item_id,
                        proposed=points - lost,
                        rule="巡查完成 11/12 次，按比例得分",
                        evidence={
                            "assets": counts[asset_class.value],
                            "items": [
                                {"label": "应巡查次数", "count": 540, "of": 600, "kind": "asset", "ids": []},
                                {"label": "纳入评价的资产", "count": counts[asset_class.value], "kind": "asset"},
                            ],
                        },
                        confirmed=points - lost,
                        town_score=points - lost - (1 if position == 0 else 0),
                        town_reason="巡查记录与现场不符，扣1分" if position == 0 else None,
                    )
                    for asset_class, class_items in items.items()
                    for position, (item_id, points) in enumerate(class_items)
                ]
                session.add(evaluation)
            if t % 2 == 0:
                session.add(
                    TownResult(
                        district_id=district_id,
                        town_id=town_id,
                        year=YEAR,
                        score=Decimal(92),
                        grade=grade_for(Decimal(92)),
                        rated_at=NOW,
                    )
                )
        session.commit()


def median_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    from web import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-evaluation-"))
    database_url = os.environ.get("GUANHU_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(ensure_database(database_url))
    began = time.perf_counter()
    ids = fill(engine)
    print(
        f"{engine.dialect.name}: {TOWNS} towns × {VILLAGES} villages × {ASSETS} assets, "
        f"filled in {time.perf_counter() - began:.0f} s"
    )

    pages: list[int] = []

    def report() -> None:
        with Session(engine) as session:
            built = town_report(session, session.get_one(Region, ids["town"]), YEAR)
            out = io.BytesIO()
            write_report(built, out)
            printed = print_report(built)
            pages.append(len(re.findall(rb"/Type /Page[^s]", printed)))

    rows = VILLAGES * 16

    def report_floor() -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("考评明细")
        for number in range(rows):
            sheet.append(
                [
                    f"村{number}",
                    "公益性",
                    1,
                    "明确村级组织管护主体责任",
                    12.5,
                    11.5,
                    11.5,
                    "",
                    10.5,
                    "扣1分",
                    None,
                    "",
                    "应巡查次数 540/600",
                ][: len(ITEM_HEADERS)]
            )
        workbook.save(io.BytesIO())
        pdf((Image.new("L", A4_SIZE, 255) for _ in range(pages[-1] if pages else 1)), "floor")

    report()  # warm: fonts, imports
    report_time, floor_time = median_of(RUNS, report), median_of(RUNS, report_floor)
    print(
        f"town report (.xlsx + PDF, {VILLAGES} villages, {pages[-1]} pages): median {report_time:.2f} s "
        f"(target < 5 s); floor (openpyxl + blank pages alone) {floor_time:.2f} s; "
        f"{report_time / floor_time:.1f} × floor"
    )

    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "MEDIA_ROOT": str(folder)}
    )
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"phone": PHONE, "password": PASSWORD, "csrf_token": token}).status_code == 302

    def page() -> None:
        answer = client.get(f"/evaluations/rating?year={YEAR}")
        assert answer.status_code == 200 and "第20镇" in answer.get_data(as_text=True)

    def table() -> None:
        with Session(engine) as session:
            lines = district_table(session, session.get_one(Region, ids["district"]), YEAR)
            assert len(lines) == TOWNS

    def table_floor() -> None:
        with Session(engine) as session:
            rows = session.execute(
                select(VillageEvaluation.town_id, VillageEvaluation.score, VillageEvaluation.class_assets).where(
                    VillageEvaluation.district_id == ids["district"], VillageEvaluation.year == YEAR
                )
            ).all()
            assert len(rows) == TOWNS * VILLAGES

    page()
    page_time, table_time, floor = (
        median_of(PAGE_RUNS, page),
        median_of(PAGE_RUNS, table),
        median_of(PAGE_RUNS, table_floor),
    )
    print(
        f"district table: the rating page {page_time * 1000:.0f} ms (target < 1 s), district_table alone "
        f"{table_time * 1000:.0f} ms; floor (one bare SELECT of the {TOWNS * VILLAGES} rows) {floor * 1000:.1f} ms; "
        f"page {page_time / floor:.1f} × floor, table {table_time / floor:.1f} × floor"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
