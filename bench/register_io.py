"""Bench of the register import and export (run: `.venv/bin/python -m bench.register_io`).

Generates a register of ROWS rows in our export format, then measures, each step in a fresh
subprocess (so the peak resident memory is the step's own): openpyxl writing and reading the same
file bare (the floors), importing it into an empty database, importing it again (no changes), and
exporting it. SQLite always; PostgreSQL too when GUANHU_BENCH_DATABASE_URL is set (that database's
tables are dropped and created again).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.database import ensure_database

ROWS = int(os.environ.get("GUANHU_BENCH_ROWS", "100000"))
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TOWNS = {
    "青山镇": ["石桥村", "竹林村", "上坪村", "下湾村"],
    "河湾镇": ["清水村", "新塘村", "榕树村", "大岭村"],
    "云岭乡": ["云岭村", "白沙村", "高峰村", "平安社区"],
}
PLACES = [(town, village) for town, villages in TOWNS.items() for village in villages]
KINDS = [
    ("公益性", "道路交通", "", "衔接推进乡村振兴补助资金"),
    ("公益性", "供水饮水", "", "财政专项扶贫资金 12.5、对口帮扶"),
    ("经营性", "光伏电站", "委托经营：某某农业有限公司", "地方政府债券"),
    ("经营性", "权益性资产", "合作经营：种养专业合作社", "东西部协作资金、社会捐赠"),
]


def generated_rows():
    """ROWS register rows as our export writes them (same columns, same value types)."""
    from models.assets.xlsx_export import COLUMNS

    for n in range(ROWS):
        town, village = PLACES[n % len(PLACES)]
        asset_class, subtype, operator, funding = KINDS[n % len(KINDS)]
        year = 2014 + n % 11
        values = {
            "code": f"B{n:07d}",
            "town": town,
            "village": village,
            "name": f"{village}资产{n}",
            "asset_class": asset_class,
            "subtype": subtype,
            "project_name": f"{year}年{village}{subtype}项目",
            "project_year": year,
            "funding_kind": "衔接资产" if year >= 2021 else "扶贫项目资产",
            "original_value": 20 + (n % 9000) / 100,
            "fundings": funding,
            "hamlet": f"{n % 9 + 1}组",
            "latitude": 23.1 + (n % 1000) / 1e5,
            "longitude": 108.3,
            "owner": f"{village}村民委员会",
            "ownership_confirmed": "是",
            "custodian_body": f"{village}村民委员会",
            "custodian_name": "莫文华",
            "custodian_phone": f"138{n:08d}",
            "operator": operator or None,
            "status": "正常",
            "beneficiary_households": 100 + n % 200,
            "beneficiary_poor_households": n % 100,
            "card_on_wall": "是",
            "disposed_on": None,
            "disposal_method": None,
            "notes": None,
        }
        yield [values[name] for name in COLUMNS]


def step_write_floor(path: str, _url: str) -> None:
    from openpyxl import Workbook

    from models.assets.xlsx_export import COLUMN_LABELS, COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("资产台账")
    sheet.append([COLUMN_LABELS[name] for name in COLUMNS])
    for row in generated_rows():
        sheet.append(row)
    workbook.save(path)


def step_read_floor(path: str, _url: str) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=False)
    for row in workbook.worksheets[0].iter_rows():
        for cell in row:
            cell.value, cell.data_type  # noqa: B018
    workbook.close()


def _session(url: str):
    from sqlalchemy.orm import Session

    from models.db import make_engine

    return Session(make_engine(url), expire_on_commit=False)


def _district(session):
    from sqlalchemy import select

    from models.regions import Region

    return session.scalar(select(Region).where(Region.parent_id.is_(None)))


def step_import(path: str, url: str) -> dict:
    from models.assets.xlsx_import import import_register

    with _session(url) as session:
        report = import_register(session, None, path, _district(session), NOW)
        session.commit()
    assert not report.errors, report.errors[:5]
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}


def step_export(path: str, url: str) -> dict:
    from models.assets.xlsx_export import export_query, export_register

    with _session(url) as session:
        district = _district(session)
        count = export_register(session, export_query(None, district), district, path + ".out.xlsx")
    return {"rows": count}


STEPS = {
    "write_floor": step_write_floor,
    "read_floor": step_read_floor,
    "import": step_import,
    "reimport": step_import,
    "export": step_export,
}


def run_step(name: str, path: str, url: str) -> None:
    """Child process: run one step, print its wall time and this process's peak RSS as JSON."""
    started = time.perf_counter()
    extra = STEPS[name](path, url) or {}
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, **extra}))


def measure(name: str, path: str, url: str = "") -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.register_io", "--step", name, path, url],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def fresh_database(url: str) -> None:
    import models
    from models.catalog import ensure_departments
    from models.regions import RegionLevel, add_region

    with _session(ensure_database(url)) as session:
        models.Base.metadata.drop_all(session.connection())
        models.Base.metadata.create_all(session.connection())
        district = add_region(session, "示范区", RegionLevel.DISTRICT, None)
        for town_name, villages in TOWNS.items():
            town = add_region(session, town_name, RegionLevel.TOWN, district)
            for village in villages:
                add_region(session, village, RegionLevel.VILLAGE, town)
        ensure_departments(session, district)
        session.commit()


def report(label: str, result: dict) -> None:
    rest = {k: v for k, v in result.items() if k not in ("seconds", "peak_mb")}
    print(f"{label:<20}{result['seconds']:>8.1f}{result['peak_mb']:>14.0f}  {rest or ''}", flush=True)


def main() -> None:
    print(
        f"{ROWS} 行；nproc={os.cpu_count()}，Python {sys.version.split()[0]}，负载 {os.getloadavg()[0]:.1f}", flush=True
    )
    print(f"{'步骤':<20}{'秒':>8}{'峰值内存 MB':>14}  结果", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "register.xlsx")
        report("openpyxl 写出（下限）", measure("write_floor", path))
        report("openpyxl 读取（下限）", measure("read_floor", path))
        urls = [("SQLite", f"sqlite:///{folder}/bench.sqlite3")]
        if os.environ.get("GUANHU_BENCH_DATABASE_URL"):
            urls.append(("PostgreSQL", os.environ["GUANHU_BENCH_DATABASE_URL"]))
        for label, url in urls:
            fresh_database(url)
            report(f"导入 {label}", measure("import", path, url))
            report(f"再次导入 {label}", measure("reimport", path, url))
            report(f"导出 {label}", measure("export", path, url))
        print(f"文件 {os.path.getsize(path) / 1024 / 1024:.1f} MB；结束时负载 {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        run_step(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
