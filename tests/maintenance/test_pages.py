"""The back office for maintenance records: scoped lists, review, originals only for those in scope."""

import pytest

from models import audit
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.people import Role
from models.storage import LocalStorage
from tests.support.pages import csrf_token
from tests.support.photo_files import jpeg


@pytest.fixture
def records(app, session, clock, county, build):
    storage = LocalStorage(app.config["MEDIA_ROOT"])
    custodian = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    asset = build.asset(county.villages["石桥村"], code="SQ1")
    other = build.asset(county.villages["石桥村"], code="SQ2")
    clean = record_maintenance(
        session,
        storage,
        custodian,
        asset,
        kind=MaintenanceKind.INSPECTION,
        photos=[jpeg(seed=1)],
        now=clock.now(),
        timezone="Asia/Shanghai",
    )
    recycled = record_maintenance(
        session,
        storage,
        custodian,
        other,
        kind=MaintenanceKind.INSPECTION,
        photos=[jpeg(seed=1)],
        now=clock.now(),
        timezone="Asia/Shanghai",
    )
    far_custodian = build.user(Role.CUSTODIAN, county.villages["清水村"])
    far_asset = build.asset(county.villages["清水村"], code="QS1")
    elsewhere = record_maintenance(
        session,
        storage,
        far_custodian,
        far_asset,
        kind=MaintenanceKind.INSPECTION,
        photos=[jpeg(seed=2)],
        now=clock.now(),
        timezone="Asia/Shanghai",
    )
    return clean, recycled, elsewhere


def test_town_official_reviews_flagged_records_and_marks_one_doubtful(
    client, session, county, build, login_as, records
):
    clean, recycled, elsewhere = records
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    login_as(official)
    flagged = client.get("/maintenance?show=flagged").get_data(as_text=True)
    assert "共 1 条" in flagged and '<td data-label="资产">SQ2 ' in flagged and "QS1 " not in flagged
    page = client.get(f"/maintenance/{recycled.id}").get_data(as_text=True)
    assert "与资产SQ1" in page and "相同或高度相似" in page
    token = csrf_token(client, f"/maintenance/{recycled.id}")
    response = client.post(f"/maintenance/{recycled.id}/doubt", data={"reason": "照片与SQ1重复", "csrf_token": token})
    assert response.status_code == 302
    session.refresh(recycled)
    assert recycled.doubtful and recycled.doubt_reason == "照片与SQ1重复"
    assert audit.history(session, "maintenance_record", recycled.id)[-1].actor_id == official.id
    assert "已标记存疑" in client.get(f"/maintenance/{recycled.id}").get_data(as_text=True)


def test_another_towns_record_and_its_original_photo_are_not_found(client, county, build, login_as, records):
    _clean, _recycled, elsewhere = records
    login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    assert client.get(f"/maintenance/{elsewhere.id}").status_code == 404
    token = csrf_token(client, "/maintenance")
    response = client.post(f"/maintenance/{elsewhere.id}/doubt", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 404
    assert client.get(f"/maintenance/photos/{elsewhere.photos[0].public_token}/original").status_code == 404


def test_custodian_sees_records_but_cannot_review(client, county, build, login_as, records):
    clean = records[0]
    login_as(build.user(Role.CUSTODIAN, county.villages["石桥村"]))
    page = client.get(f"/maintenance/{clean.id}").get_data(as_text=True)
    assert "标记存疑" not in page
    response = client.post(
        f"/maintenance/{clean.id}/doubt", data={"reason": "x", "csrf_token": csrf_token(client, "/maintenance")}
    )
    assert response.status_code == 403 and "只有乡镇和区级工作人员" in response.get_data(as_text=True)


def test_staff_in_scope_download_the_untouched_original(client, county, build, login_as, records):
    clean = records[0]
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    with client.get(f"/maintenance/photos/{clean.photos[0].public_token}/original") as response:
        assert response.status_code == 200
        assert response.data == jpeg(seed=1)
        assert response.headers["Content-Disposition"].startswith("attachment")


def test_asset_page_lists_its_recent_records(client, county, build, login_as, records):
    clean = records[0]
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    page = client.get(f"/assets/{clean.asset_id}").get_data(as_text=True)
    assert "最近的管护记录" in page and "日常巡查" in page and f"/maintenance/{clean.id}" in page
