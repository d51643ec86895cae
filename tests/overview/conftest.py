"""A region for the home page's tests: two towns' assets, complaints and a damage report, and
staff of every level over 石桥村."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from models.complaints.operations import accept, answer
from models.deadlines.sources import sync_deadlines
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.people import Role
from models.storage import LocalStorage
from tests.support.complaints import complaint_about
from tests.support.photo_files import jpeg

TZ = "Asia/Shanghai"
KEEPER_PHONE = "13800138000"  # not the builders' default custodian phone


@pytest.fixture
def region(session, build, county, clock, app):
    """Two towns' assets, complaints and a damage report; staff of every level over 石桥村."""
    storage = LocalStorage(app.config["MEDIA_ROOT"])
    shiqiao, zhulin, qingshui = (county.villages[name] for name in ("石桥村", "竹林村", "清水村"))
    people = SimpleNamespace(
        admin=build.user(Role.DISTRICT_ADMIN, county.district),
        official=build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]),
        clerk=build.user(Role.VILLAGE_CLERK, shiqiao),
        custodian=build.user(Role.CUSTODIAN, shiqiao, phone=KEEPER_PHONE),
        far_official=build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"]),
    )
    bridge = build.asset(shiqiao, name="石桥村便民桥", code="SQ-QIAO", custodian_phone=KEEPER_PHONE)
    build.asset(
        shiqiao,
        name="石桥村光伏电站",
        code="SQ-GF",
        asset_class="经营性",
        subtype="光伏电站",
        status="闲置",
        operator="村集体经济合作社出租经营",
    )
    road = build.asset(zhulin, name="竹林村机耕路", code="ZL-LU", card_on_wall="否")
    pool = build.asset(qingshui, name="清水村水池", code="QS-CHI")
    build.asset(qingshui, name="清水村文化室", code="QS-WH", status="损毁")
    near = complaint_about(session, storage, bridge, clock, description="桥面栏杆松了，孩子经过很危险。")
    answered = complaint_about(session, storage, road, clock, description="机耕路被雨水冲出一道沟。")
    accept(session, people.official, answered, clock.now())
    answer(session, storage, people.official, answered, "已安排村里填平，谢谢反映。", [], clock.now())
    far = complaint_about(session, storage, pool, clock, description="水池漏水，池底裂了一条缝。")
    report = record_maintenance(
        session, storage, people.custodian, bridge, kind=MaintenanceKind.DAMAGE_REPORT,
        photos=[jpeg(seed=3)], now=clock.now(), timezone=TZ, notes="桥墩裂了",
    )  # fmt: skip
    sync_deadlines(session, clock.now(), TZ)
    session.flush()
    return SimpleNamespace(people=people, near=near, answered=answered, far=far, report=report, bridge=bridge)
