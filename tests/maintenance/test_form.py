"""提交管护记录 on the asset page: only staff of the asset's village, every bad upload refused with
nothing kept, recycled photos flagged, photos from WeChat's JS-SDK fetched by media id."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image
from sqlalchemy import func, select

from models.assets.entities import AssetStatus
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord, RepairTask
from models.people import Role
from models.photos import Photo
from tests.support import photo_files
from tests.support.fake_wechat import serve_fake_wechat
from tests.support.live_server import serving
from tests.support.pages import csrf_token, login
from web.wechat.visitors import VISITOR_KEY


@pytest.fixture
def village(county):
    return county.villages["石桥村"]


@pytest.fixture
def asset(build, village):
    return build.asset(village, name="石桥村便民桥")


def form_path(asset) -> str:
    return f"/a/{asset.public_token}/maintenance"


def submit(client, asset, photos=None, **fields):
    data = {"kind": "inspection", "notes": "桥面完好", "csrf_token": csrf_token(client, form_path(asset)), **fields}
    if photos is not None:
        data["photos"] = photos
    return client.post(form_path(asset), data=data)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_clerk_signed_in_records_an_inspection_with_photos_cost_and_place(
    client, session, build, village, asset, login_as
):
    login_as(build.user(Role.VILLAGE_CLERK, village, name="李文书"))
    page = client.get(f"/a/{asset.public_token}")
    assert "提交管护记录" in page.get_data(as_text=True)

    photos = [(io.BytesIO(photo_files.jpeg(1)), "a.jpg"), (io.BytesIO(photo_files.jpeg(2)), "b.jpg")]
    response = submit(client, asset, photos, cost="120.50", latitude="21.950000", longitude="108.620000")

    assert response.status_code == 303 and response.location.endswith(f"/a/{asset.public_token}?recorded=1")
    record = session.scalar(select(MaintenanceRecord))
    assert record.kind is MaintenanceKind.INSPECTION and record.recorded_by_name == "李文书"
    assert len(record.photos) == 2 and str(record.cost) == "120.50" and str(record.latitude) == "21.950000"
    assert record.photos[0].taken_at is not None and record.flags == []
    assert "管护记录已提交" in client.get(response.location).get_data(as_text=True)


def test_bound_custodian_known_by_wechat_openid_may_record(client, session, build, village, asset):
    custodian = build.user(Role.CUSTODIAN, village)
    custodian.wechat_openid = "o_custodian_1"
    session.flush()
    with client.session_transaction() as cookie:
        cookie[VISITOR_KEY] = "o_custodian_1"
    assert client.get(form_path(asset)).status_code == 200
    response = submit(client, asset, [(io.BytesIO(photo_files.jpeg(3)), "c.jpg")])
    assert response.status_code == 303
    assert session.scalar(select(MaintenanceRecord.recorded_by_id)) == custodian.id


@pytest.mark.parametrize("who", ["villager", "other_village_clerk", "town_official"])
def test_someone_not_staff_of_the_village_cannot_add_a_record(
    client, session, build, county, asset, login_as, who, tmp_path
):
    if who == "other_village_clerk":
        login_as(build.user(Role.VILLAGE_CLERK, county.villages["竹林村"]))
    elif who == "town_official":
        login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    assert "提交管护记录</a>" not in client.get(f"/a/{asset.public_token}").get_data(as_text=True).replace(
        "本村管护员、村干部：提交管护记录</a>", ""
    )
    assert client.get(form_path(asset)).status_code == 403
    token = csrf_token(client, f"/a/{asset.public_token}/report")
    response = client.post(
        form_path(asset),
        content_type="multipart/form-data",
        data={"kind": "inspection", "csrf_token": token, "photos": (io.BytesIO(photo_files.jpeg(4)), "x.jpg")},
    )
    assert response.status_code == 403 and "只有本村的管护员和村干部" in response.get_data(as_text=True)
    assert count(session, MaintenanceRecord) == 0 and count(session, Photo) == 0
    assert not (tmp_path / "media").exists() or not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


def polyglot() -> bytes:
    """A real JPEG that is also an HTML page and a PHP script."""
    return photo_files.jpeg(8) + b"<html><script>alert(1)</script><?php system($_GET['c']); ?>"


@pytest.mark.parametrize(
    ("photos", "status", "reason"),
    [
        ((io.BytesIO(b"%PDF-1.4 not a photo at all"), "a.jpg"), 415, "这不是可以识别的照片"),
        ((io.BytesIO(photo_files.bomb_png()), "bomb.png"), 415, "像素太大"),
        (
            [(io.BytesIO(photo_files.jpeg(1)), "ok.jpg"), (io.BytesIO(b"GIF89a broken"), "b.gif")],
            415,
            "这不是可以识别的照片",
        ),
        ([(io.BytesIO(photo_files.jpeg(i, size=(160, 120))), f"{i}.jpg") for i in range(10)], 422, "最多上传9张"),
        (None, 422, "请至少上传一张照片"),
    ],
    ids=["not-an-image", "bomb", "one-bad-among-good", "ten-photos", "no-photo"],
)
def test_every_bad_upload_is_refused_and_nothing_is_kept(
    client, session, build, village, asset, login_as, photos, status, reason, tmp_path
):
    login_as(build.user(Role.VILLAGE_CLERK, village))
    response = submit(client, asset, photos)
    assert response.status_code == status
    assert reason in response.get_data(as_text=True)
    assert count(session, MaintenanceRecord) == 0 and count(session, Photo) == 0


def test_a_50_mb_upload_is_cut_off_before_it_is_read(app, session, asset):
    with serving(app) as base_url:  # real HTTP: the body is refused from its Content-Length
        response = requests.post(
            f"{base_url}{form_path(asset)}",
            timeout=30,
            files={"photos": ("big.jpg", b"\xff\xd8" + b"0" * (50 * 1024 * 1024))},
        )
    assert response.status_code == 413 and response.json()["error"] == "上传的内容过大。"
    assert count(session, MaintenanceRecord) == 0 and count(session, Photo) == 0


def test_a_damage_report_needs_words_and_marks_the_asset_damaged(client, session, build, village, asset, login_as):
    login_as(build.user(Role.CUSTODIAN, village))
    photo = (io.BytesIO(photo_files.jpeg(9)), "d.jpg")
    response = submit(client, asset, photo, kind="damage_report", notes="")
    assert response.status_code == 422 and "损毁报告请写明损毁情况" in response.get_data(as_text=True)
    response = submit(
        client, asset, (io.BytesIO(photo_files.jpeg(9)), "d.jpg"), kind="damage_report", notes="桥栏杆断了一截"
    )
    assert response.status_code == 303
    session.refresh(asset)
    assert asset.status is AssetStatus.DAMAGED and count(session, RepairTask) == 1


def test_a_path_in_the_filename_never_reaches_the_file_system(
    client, session, build, village, asset, login_as, tmp_path
):
    login_as(build.user(Role.VILLAGE_CLERK, village))
    response = submit(client, asset, (io.BytesIO(photo_files.jpeg(5)), "../../../../tmp/evil.php"))
    assert response.status_code == 303
    photo = session.scalar(select(Photo))
    assert ".." not in photo.original_key and "evil" not in photo.original_key
    assert photo.original_key.endswith(f"{photo.sha256}.jpg")
    files = [p.name for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert not any("evil" in name for name in files) and len(files) == 3


def test_a_polyglot_is_kept_as_evidence_but_only_a_clean_copy_is_public(
    client, session, build, village, asset, login_as
):
    login_as(build.user(Role.VILLAGE_CLERK, village))
    assert submit(client, asset, (io.BytesIO(polyglot()), "p.jpg")).status_code == 303
    photo = session.scalar(select(Photo))
    for size in ("thumb", "full"):
        with client.get(f"/p/{photo.public_token}/{size}.jpg") as served:
            assert served.mimetype == "image/jpeg" and b"<script>" not in served.data and b"<?php" not in served.data


def test_the_same_photo_twice_is_stored_once_and_the_second_record_flagged(
    client, session, build, village, asset, login_as, tmp_path
):
    login_as(build.user(Role.VILLAGE_CLERK, village))
    data = photo_files.jpeg(11)
    assert submit(client, asset, (io.BytesIO(data), "a.jpg")).status_code == 303
    assert submit(client, asset, (io.BytesIO(data), "a.jpg")).status_code == 303
    first, second = session.scalars(select(MaintenanceRecord).order_by(MaintenanceRecord.id))
    assert first.flags == [] and "相同或高度相似" in second.flags[0] and second.flagged
    assert first.photos[0].original_key == second.photos[0].original_key
    assert len([p for p in (tmp_path / "media").rglob("*") if p.is_file()]) == 3


def test_a_recompressed_resized_copy_on_another_asset_is_flagged(client, session, build, village, asset, login_as):
    other = build.asset(village, name="石桥村饮水池")
    login_as(build.user(Role.VILLAGE_CLERK, village))
    original = photo_files.jpeg(12, size=(1600, 1200))
    assert submit(client, asset, (io.BytesIO(original), "old.jpg")).status_code == 303
    copy = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((640, 480)).save(copy, "JPEG", quality=55)
    assert submit(client, other, (io.BytesIO(copy.getvalue()), "new.jpg")).status_code == 303
    recycled = session.scalar(select(MaintenanceRecord).where(MaintenanceRecord.asset_id == other.id))
    assert recycled.flagged and f"资产{asset.code}（石桥村便民桥）" in recycled.flags[0]


def test_photos_chosen_with_the_jssdk_are_fetched_by_media_id(app_factory, session, build, village, asset, tmp_path):

    (tmp_path / "fake").mkdir()
    with serve_fake_wechat(tmp_path / "fake") as fake:
        app = app_factory(**fake.client_config(WECHAT_MEDIA_RETRY_DELAYS=[0]))
        client = app.test_client()
        login(client, build.user(Role.VILLAGE_CLERK, village))
        media_ids = [fake.add_media(photo_files.jpeg(20)), fake.add_media(photo_files.jpeg(21))]
        response = submit(client, asset, None, media_ids=media_ids)
        assert response.status_code == 303
        assert len(session.scalar(select(MaintenanceRecord)).photos) == 2
        assert len(fake.calls("cgi-bin/media/get")) == 2
        response = submit(client, asset, None, media_ids=["no-such-media"])
        assert response.status_code == 502 and "照片没能从微信取回" in response.get_data(as_text=True)
        assert count(session, MaintenanceRecord) == 1
