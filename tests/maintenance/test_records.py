"""Maintenance records are evidence: who may add them, what they do to the asset, what gets flagged."""

import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from models import audit
from models.assets.entities import AssetStatus
from models.errors import Forbidden, Invalid
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord, RepairTask
from models.maintenance.operations import mark_doubtful, record_maintenance
from models.maintenance.queries import overdue_inspections, overdue_repairs
from models.people import Role
from models.photos import Photo, PhotoRejected
from models.storage import LocalStorage
from tests.support.photo_files import encoded, jpeg

TZ = "Asia/Shanghai"


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "media")


@pytest.fixture
def shiqiao(county, build):
    return build.asset(county.villages["石桥村"], code="SQ1", latitude="21.95", longitude="108.62")


@pytest.fixture
def custodian(county, build):
    return build.user(Role.CUSTODIAN, county.villages["石桥村"])


def record(session, storage, actor, asset, clock, kind=MaintenanceKind.INSPECTION, photos=None, **fields):
    return record_maintenance(
        session, storage, actor, asset, kind=kind, photos=photos or [jpeg()], now=clock.now(), timezone=TZ, **fields
    )


def test_custodian_records_an_inspection(session, storage, clock, shiqiao, custodian):
    entry = record(session, storage, custodian, shiqiao, clock, notes="路面完好")
    assert entry.kind is MaintenanceKind.INSPECTION and entry.recorded_by_name == custodian.name
    assert len(entry.photos) == 1 and entry.flags == []
    assert shiqiao.last_inspected_at == clock.now()
    assert audit.history(session, "maintenance_record", entry.id)[0].changes["kind"] == [None, "日常巡查"]


@pytest.mark.parametrize(
    "role, village",
    [
        (Role.CUSTODIAN, "竹林村"),
        (Role.VILLAGE_CLERK, "清水村"),
        (Role.TOWN_OFFICIAL, None),
        (Role.DISTRICT_ADMIN, None),
    ],
)
def test_only_staff_of_the_assets_village_may_add_records(
    session, storage, clock, county, build, shiqiao, role, village
):
    region = (
        county.villages[village]
        if village
        else (county.towns["青山镇"] if role is Role.TOWN_OFFICIAL else county.district)
    )
    stranger = build.user(role, region)
    with pytest.raises(Forbidden, match="只有本村"):
        record(session, storage, stranger, shiqiao, clock)
    assert session.scalar(select(func.count(MaintenanceRecord.id))) == 0


def test_a_bad_photo_keeps_the_whole_record_out(session, storage, clock, shiqiao, custodian):
    with pytest.raises(PhotoRejected), session.begin_nested():  # the door's transaction, as a savepoint
        record(session, storage, custodian, shiqiao, clock, photos=[jpeg(seed=1), b"not a photo"])
    assert session.scalar(select(func.count(MaintenanceRecord.id))) == 0
    assert session.scalar(select(func.count(Photo.id))) == 0
    assert shiqiao.last_inspected_at is None


def test_a_record_needs_a_photo_and_a_damage_report_needs_words(session, storage, clock, shiqiao, custodian):
    with pytest.raises(Invalid) as no_photo:
        record_maintenance(
            session,
            storage,
            custodian,
            shiqiao,
            kind=MaintenanceKind.INSPECTION,
            photos=[],
            now=clock.now(),
            timezone=TZ,
        )
    assert "至少上传一张照片" in no_photo.value.fields["photos"]
    with pytest.raises(Invalid) as no_words:
        record(session, storage, custodian, shiqiao, clock, kind=MaintenanceKind.DAMAGE_REPORT)
    assert "写明损毁情况" in no_words.value.fields["notes"]


def test_damage_report_then_repair(session, storage, clock, shiqiao, custodian):
    report = record(
        session,
        storage,
        custodian,
        shiqiao,
        clock,
        kind=MaintenanceKind.DAMAGE_REPORT,
        notes="暴雨冲毁路基10米",
        photos=[jpeg(seed=11)],
    )
    assert shiqiao.status is AssetStatus.DAMAGED
    task = session.scalar(select(RepairTask).where(RepairTask.opened_by_id == report.id))
    assert task.due_on == dt.date(2026, 6, 16) and task.closed_at is None
    assert shiqiao.last_inspected_at is None  # a damage report is not upkeep
    assert session.scalars(overdue_repairs(dt.date(2026, 6, 17))).all() == [task]
    clock.advance(days=5)
    repair = record(
        session, storage, custodian, shiqiao, clock, kind=MaintenanceKind.REPAIR, cost=3200, photos=[jpeg(seed=12)]
    )
    assert task.closed_by_id == repair.id and shiqiao.status is AssetStatus.NORMAL
    statuses = [
        e.changes["status"]
        for e in audit.history(session, "asset", shiqiao.id)
        if "status" in e.changes and e.action != "create"
    ]
    assert statuses == [["正常", "损毁"], ["损毁", "正常"]]
    assert session.scalars(overdue_repairs(dt.date(2026, 6, 17))).all() == []


def test_the_same_photo_on_another_asset_is_flagged(session, storage, clock, county, build, shiqiao, custodian):
    record(session, storage, custodian, shiqiao, clock, photos=[jpeg(seed=21)])
    other = build.asset(county.villages["石桥村"], code="SQ2", name="石桥村饮水工程", subtype="供水饮水")
    clock.advance(days=1)
    again = record(session, storage, custodian, other, clock, photos=[jpeg(seed=21)])
    assert again.flags == [
        "第1张照片与资产SQ1（测试道路"
        + shiqiao.name.removeprefix("测试道路")
        + "）2026-06-01的管护记录的照片相同或高度相似"
    ]


def test_a_recompressed_resized_copy_of_an_old_photo_is_flagged(
    session, storage, clock, county, build, shiqiao, custodian
):
    record(session, storage, custodian, shiqiao, clock, photos=[jpeg(seed=31, size=(1600, 1200))])
    other = build.asset(county.villages["石桥村"], code="SQ3")
    smaller = Image.open(io.BytesIO(jpeg(seed=31, size=(1600, 1200)))).resize((800, 600))
    copy = record(session, storage, custodian, other, clock, photos=[encoded(smaller, "JPEG", quality=50)])
    assert len(copy.flags) == 1 and "SQ1" in copy.flags[0]


def test_photos_taken_long_ago_or_far_away_are_flagged(session, storage, clock, shiqiao, custodian):
    old = jpeg(seed=41, taken="2026:01:02 08:00:00")
    far = jpeg(seed=42, gps=(23.10, 113.30))  # Guangzhou, not 石桥村
    entry = record(session, storage, custodian, shiqiao, clock, photos=[old, far])
    assert entry.flags[0].startswith("第1张照片的拍摄时间与上传时间相差150天以上")
    assert entry.flags[1].startswith("第2张照片的拍摄地点距资产约") and "公里" in entry.flags[1]


def test_reviewer_marks_a_record_doubtful_and_it_is_audited(session, storage, clock, county, build, shiqiao, custodian):
    entry = record(session, storage, custodian, shiqiao, clock)
    with pytest.raises(Forbidden):
        mark_doubtful(session, custodian, entry, "自己审自己", clock.now())
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    mark_doubtful(session, official, entry, "照片与现场不符", clock.now())
    assert entry.doubtful and entry.doubt_reason == "照片与现场不符"
    last = audit.history(session, "maintenance_record", entry.id)[-1]
    assert last.action == "mark_doubtful" and last.actor_id == official.id


def test_overdue_inspection_follows_each_subtypes_interval(session, storage, clock, county, build, custodian):
    road = build.asset(county.villages["石桥村"], code="R1", subtype="道路交通")  # monthly
    water = build.asset(county.villages["石桥村"], code="W1", subtype="供水饮水")  # weekly
    disposed = build.asset(county.villages["石桥村"], code="D1", status="已处置")
    record(session, storage, custodian, road, clock, photos=[jpeg(seed=51)])
    record(session, storage, custodian, water, clock, photos=[jpeg(seed=52)])
    clock.advance(days=8)
    assert set(session.scalars(overdue_inspections(session, clock.now()))) == {water}
    clock.advance(days=30)
    assert set(session.scalars(overdue_inspections(session, clock.now()))) == {water, road}
    assert disposed not in set(session.scalars(overdue_inspections(session, clock.now())))
