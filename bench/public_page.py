"""Bench of the public asset page and the cards (run: `.venv/bin/python -m bench.public_page`).

1. Fills GUANHU_BENCH_DATABASE_URL (default: PostgreSQL `bench_public`, its tables dropped and
   created again) with GUANHU_BENCH_ASSETS assets (default 1,000,000) by INSERT … SELECT over
   generate_series, then measures /a/<token> in-process (server time, no network; rate limiting
   on) against a bare Flask route rendering a static page of the same size, in the same run: the
   same 200 cards scanned again and again (hot: the anonymous page from the cache, through
   web.public_door) and every request another asset (cold: the cache off).
2. Renders 1,000 cards into A4 sheets.
"""

from __future__ import annotations

import os
import random
import statistics
import time

from flask import Flask
from sqlalchemy import select, text

from bench.database import ensure_database

ASSETS = int(os.environ.get("GUANHU_BENCH_ASSETS", "1000000"))
REQUESTS = int(os.environ.get("GUANHU_BENCH_REQUESTS", "2000"))
REDIS_URL = os.environ.get("GUANHU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
URL = ensure_database(
    os.environ.get("GUANHU_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_public")
)


def fill(url: str) -> None:
    import models
    from models.catalog import ensure_subtypes
    from models.db import make_engine, make_sessionmaker
    from models.regions import RegionLevel, add_region

    engine = make_engine(url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    with make_sessionmaker(engine).begin() as session:
        district = add_region(session, "示范区", RegionLevel.DISTRICT, None)
        town = add_region(session, "青山镇", RegionLevel.TOWN, district)
        town.supervision_phone = "0771-1234567"
        villages = [add_region(session, f"村{i}", RegionLevel.VILLAGE, town) for i in range(100)]
        subtype = ensure_subtypes(session)["道路交通"]
        first_village = villages[0].id
        ids = (district.id, town.id, subtype.id)
    started = time.perf_counter()
    with engine.begin() as connection:  # Core, in the database: no million Python objects
        connection.execute(
            text("""
            INSERT INTO assets (code, name, asset_class, subtype_id, project_name, project_year, funding_kind,
              original_value, district_id, town_id, village_id, owner, ownership_confirmed, custodian_body,
              custodian_name, custodian_phone, status, beneficiary_households, card_on_wall, public_token,
              created_at, updated_at, version)
            SELECT 'B' || lpad(n::text, 7, '0'), '道路' || n, 'public_benefit', :subtype, '道路硬化项目', 2022,
              'linkage', 183000, :district, :town, :first + (n % 100), '村民委员会', true, '村民委员会', '莫文华',
              '13800131318', 'normal', 120, true, md5(n::text || 'salt'), now(), now(), 1
            FROM generate_series(1, :count) AS n
        """),
            {"subtype": ids[2], "district": ids[0], "town": ids[1], "first": first_village, "count": ASSETS},
        )
        connection.execute(text("ANALYZE"))
    print(f"filled {ASSETS:,} assets in {time.perf_counter() - started:.1f} s")
    engine.dispose()


def measure(client, paths: list[str]) -> tuple[float, list[float]]:
    timings = []
    started = time.perf_counter()
    for path in paths:
        begin = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return len(paths) / (time.perf_counter() - started), timings


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[-1]


def bench_page() -> None:
    """Two cases against the same floor: a card scanned again within the cache's life (hot), and
    every request a different asset, straight from the database (cold, the cache turned off)."""
    from models.assets.entities import Asset
    from web import create_app

    fill(URL)
    # Rate limiting on, as served (in-memory counters; a limit no run reaches), so its cost counts.
    config = {
        "DATABASE_URL": URL,
        "SECRET_KEY": "bench",
        "RATELIMIT_ENABLED": True,
        "PUBLIC_PAGE_RATE_LIMIT": "100000000 per minute",
    }
    cases = (
        ("hot (same 200 cards, cached)", config, "hot"),
        ("hot, page cache in Redis (as in production)", {**config, "REDIS_URL": REDIS_URL}, "hot"),
        ("cold (each request another asset, no cache)", {**config, "PUBLIC_PAGE_CACHE_SECONDS": 0}, "cold"),
    )
    probe = create_app(cases[-1][1])
    with probe.extensions["db"].sessionmaker() as session:
        offsets = random.sample(range(ASSETS), min(REQUESTS, ASSETS))
        tokens = list(session.scalars(select(Asset.public_token).where(Asset.id.in_([o + 1 for o in offsets]))))
    static_html = probe.test_client().get(f"/a/{tokens[0]}").get_data(as_text=True)
    probe.extensions["db"].engine.dispose()
    bare = Flask("bare")
    bare.add_url_rule("/static-page", "static_page", lambda: static_html)
    bare_client = bare.test_client()
    paths = {
        "hot": [f"/a/{random.choice(tokens[:200])}" for _ in range(REQUESTS)],
        "cold": [f"/a/{token}" for token in tokens],
    }
    measure(bare_client, ["/static-page"] * 200)  # warm up
    bare_rate, bare_times = measure(bare_client, ["/static-page"] * REQUESTS)
    print(
        f"floor, bare Flask static page of the same size ({len(static_html.encode()):,} bytes): "
        f"{bare_rate:.0f} req/s, p95 {p95(bare_times):.2f} ms"
    )
    for name, case_config, kind in cases:
        app = create_app(case_config)  # each just before its run: the rate limiter is one per process
        client = app.test_client()
        measure(client, [f"/a/{token}" for token in tokens[:200]])  # warm up; for the hot case, cache all 200
        rate, times = measure(client, paths[kind])
        print(
            f"/a/<token> {name}: {rate:.0f} req/s ({rate / bare_rate:.2f} × floor), "
            f"p50 {statistics.median(times):.2f} ms, p95 {p95(times):.2f} ms"
        )
        app.extensions["db"].engine.dispose()
    print("goals: ≥ 0.5 × floor; p95 < 30 ms")


def bench_cards() -> None:
    from decimal import Decimal
    from types import SimpleNamespace

    from models.assets.card_render import sheets_pdf
    from models.assets.entities import AssetClass

    asset = SimpleNamespace(
        name="石桥村道路硬化工程",
        code="T000001",
        asset_class=AssetClass.PUBLIC_BENEFIT,
        subtype=SimpleNamespace(name="道路交通"),
        project_year=2022,
        funding_text="衔接推进乡村振兴补助资金 18.3",
        original_value=Decimal("183000"),
        owner="石桥村村民委员会",
        custodian_body="石桥村村民委员会",
        custodian_name="莫文华",
        custodian_phone="13800131318",
        village=SimpleNamespace(full_name="青山镇石桥村", parent=SimpleNamespace(supervision_phone=None, parent=None)),
        hamlet=None,
    )
    started = time.perf_counter()
    sheets = sheets_pdf(((asset, f"https://guanhu.example.cn/a/{i:022d}") for i in range(1000)), "12317")
    seconds = time.perf_counter() - started
    size = f"{len(sheets.pdf) / 1e6:.1f} MB PDF of {sheets.pages} A4 pages"
    print(f"1,000 cards → {size} in {seconds:.1f} s (goal < 60 s)")


if __name__ == "__main__":
    bench_cards()
    bench_page()
