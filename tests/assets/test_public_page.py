"""The villager's asset page and complaint form: what they show, what they never show, every limit."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from werkzeug.test import EnvironBuilder

from models.assets.cards import reissue_card
from models.assets.entities import AssetStatus, DisposalMethod
from models.complaints.entities import Complaint
from models.complaints.operations import ComplaintLimits, file_complaint
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord
from models.notices.operations import publish_notice
from models.operating.operations import record_income
from models.people import Role
from models.photos import store_photo
from tests.support import photo_files
from tests.support.pages import login

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def asset(build, county):
    county.towns["青山镇"].supervision_phone = "0771-1234567"
    return build.asset(
        county.villages["石桥村"], name="石桥村道路", custodian_phone="13800131318", notes="内部备注：不要公开"
    )


def token_of(client, path: str) -> str:
    return CSRF_FIELD.search(client.get(path).get_data(as_text=True)).group(1)


def report(client, asset, **fields):
    path = f"/a/{asset.public_token}/report"
    data = {"csrf_token": token_of(client, path), "category": "damage", "description": "路面有一个大坑，很危险。"}
    data.update(fields)
    # Build the request ourselves so its body (spooled to a temporary file when large) gets closed.
    environ = EnvironBuilder(path=path, method="POST", data=data, content_type="multipart/form-data").get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def test_the_page_shows_public_facts_and_never_private_ones(client, asset, session, clock, county, build):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    storage = client.application.extensions["storage"]
    photo = store_photo(session, storage, photo_files.jpeg(3), now=clock.now())
    session.add(
        MaintenanceRecord(
            asset_id=asset.id,
            kind=MaintenanceKind.INSPECTION,
            notes="巡查备注",
            recorded_at=clock.now(),
            recorded_by_name="莫文华",
            photos=[photo],
        )
    )
    publish_notice(
        session,
        clerk,
        village=county.villages["石桥村"],
        asset=None,
        title="2026年收益分配方案公示",
        body="公示内容",
        starts_on=dt.date(2026, 5, 28),
        ends_on=dt.date(2026, 6, 7),
        now=clock.now(),
    )
    publish_notice(
        session,
        clerk,
        village=county.villages["石桥村"],
        asset=None,
        title="已结束的公示",
        body="旧",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 10),
        now=clock.now(),
    )
    file_complaint(
        session,
        storage,
        asset,
        category="other",
        description="这是别人反映的具体内容。",
        contact_name="韦大伯",
        contact_phone="13912345678",
        photos=[],
        openid=None,
        now=clock.now(),
        limits=ComplaintLimits(),
    )
    response = client.get(f"/a/{asset.public_token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in (
        "石桥村道路",
        "公益性",
        "正常",
        'href="tel:13800131318"',
        "日常巡查",
        "2026年收益分配方案公示",
        'href="tel:0771-1234567"',
        'href="tel:12317"',
        "共收到 1 件，已答复 0 件",
        "/thumb.jpg",
    ):
        assert shown in page, shown
    for hidden in (
        "内部备注",
        "巡查备注",
        "韦大伯",
        "13912345678",
        "别人反映的具体内容",
        "已结束的公示",
        f"/assets/{asset.id}",
    ):
        assert hidden not in page, hidden
    assert "<script" not in page
    thumb = re.search(r'src="(/p/[^"]+)"', page).group(1)
    with client.get(thumb) as served:
        assert served.mimetype == "image/jpeg" and served.get_data()[:2] == b"\xff\xd8"


def test_page_html_and_css_together_stay_under_30_kb(client, asset):
    html = client.get(f"/a/{asset.public_token}").get_data()
    with client.get("/static/public.css") as served:
        css = served.get_data()
    assert len(html) + len(css) < 30 * 1024
    assert b"http://" not in css and b"https://" not in html.replace(b'href="tel:', b"")


def test_operating_asset_shows_its_last_income_and_distribution(client, build, county, session, clock):
    farm = build.asset(
        county.villages["石桥村"],
        asset_class="经营性",
        subtype="光伏电站",
        name="光伏电站",
        operator="石桥村种养合作社",
    )
    record_income(
        session,
        None,
        farm,
        period="2025年",
        amount=Decimal("52000"),
        received_on=dt.date(2026, 1, 15),
        distribution="按户分配给86户脱贫户，每户约500元；其余用于公益岗位。",
        now=clock.now(),
    )
    page = client.get(f"/a/{farm.public_token}").get_data(as_text=True)
    assert "2025年收益 5.2万元" in page and "86户脱贫户" in page


def test_a_disposed_asset_says_so_with_date_and_method(client, asset, session):
    asset.status = AssetStatus.DISPOSED
    asset.disposed_on = dt.date(2025, 12, 1)
    asset.disposal_method = DisposalMethod.SCRAPPED
    session.flush()
    page = client.get(f"/a/{asset.public_token}").get_data(as_text=True)
    assert "本资产已于2025-12-01处置（报废）" in page


def test_unknown_token_gets_a_friendly_404(client, asset):
    response = client.get("/a/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 404 and "没有找到这个资产" in response.get_data(as_text=True)
    assert client.get("/a/" + "x" * 200).status_code == 404


def test_a_replaced_card_shows_the_replaced_page_not_the_asset(client, asset, session, clock):
    old = asset.public_token
    new = reissue_card(session, None, asset, "卡片被撕毁", clock.now())
    response = client.get(f"/a/{old}")
    page = response.get_data(as_text=True)
    assert response.status_code == 410 and "这张资产卡已更换" in page and "石桥村道路" not in page
    assert client.get(f"/a/{new}").status_code == 200
    assert client.get(f"/a/{old}/report").status_code == 410


def test_a_complaint_with_a_photo_is_filed_and_tracked_by_its_secret_link(client, asset, session):
    photo = (io.BytesIO(photo_files.jpeg(5)), "坑.jpg")
    response = report(client, asset, photos=photo, contact_phone="13912345678")
    assert response.status_code == 303
    complaint = session.query(Complaint).one()
    assert response.headers["Location"].startswith(f"/t/{complaint.public_token}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert complaint.tracking_number in page and "待受理" in page and "/thumb.jpg" in page
    assert len(complaint.photos) == 1 and complaint.openid is None
    mine = client.get("/mine").get_data(as_text=True)
    assert complaint.tracking_number in mine
    other = client.application.test_client()
    found = other.post(
        "/mine", data={"csrf_token": token_of(other, "/mine"), "number": complaint.tracking_number, "last4": "5678"}
    )
    assert found.status_code == 303 and found.headers["Location"] == f"/t/{complaint.public_token}"
    wrong = other.post(
        "/mine", data={"csrf_token": token_of(other, "/mine"), "number": complaint.tracking_number, "last4": "0000"}
    )
    assert wrong.status_code == 404


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"description": "长" * 1001}, 422, "问题描述不能超过1000个字"),
        ({"description": ""}, 422, "请填写问题描述"),
        ({"category": ""}, 422, "请选择问题类别"),
        ({"photos": (io.BytesIO(b"%PDF-1.4 not a photo"), "a.jpg")}, 415, "这不是可以识别的照片"),
        ({"photos": (io.BytesIO(b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10)), "big.jpg")}, 415, "照片太大了"),
        (
            {"photos": [(io.BytesIO(photo_files.jpeg(i, size=(160, 120))), f"{i}.jpg") for i in range(4)]},
            422,
            "最多上传3张照片",
        ),
    ],
)
def test_bad_complaints_are_refused_with_a_chinese_reason_and_nothing_is_kept(
    client, asset, session, fields, status, message
):
    response = report(client, asset, **fields)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert session.query(Complaint).count() == 0


def test_a_complaint_without_csrf_token_is_refused(client, asset, session):
    response = client.post(
        f"/a/{asset.public_token}/report", data={"category": "damage", "description": "没有令牌的提交。"}
    )
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert session.query(Complaint).count() == 0


def test_public_pages_and_complaints_are_rate_limited(app_factory, build, county, session):
    app = app_factory(
        RATELIMIT_ENABLED=True,
        PUBLIC_PAGE_RATE_LIMIT="3 per minute",
        COMPLAINT_RATE_LIMIT="2 per hour",
        COMPLAINT_ASSET_RATE_LIMIT="3 per day",
    )
    asset = build.asset(county.villages["石桥村"])
    client = app.test_client()
    statuses = [client.get(f"/a/{asset.public_token}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    visitor = app.test_client()
    data = {"csrf_token": token_of(visitor, "/mine"), "category": "damage"}
    path = f"/a/{asset.public_token}/report"
    codes = []
    for number, address in enumerate(("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3")):
        words = {"description": f"路面有一个大坑，很危险（第{number}处）。"}  # not a repeat of the one before
        codes.append(visitor.post(path, data=data | words, environ_base={"REMOTE_ADDR": address}).status_code)
    # per visitor: the third from 10.0.0.1 is refused; per asset: only three in a day, whoever files
    assert codes[:3] == [303, 303, 429] and codes[-1] == 429
    assert session.query(Complaint).count() == 3


def test_anonymous_visitors_share_a_short_lived_page_while_staff_see_it_fresh(
    app_factory, session, county, build, login_as
):
    app = app_factory(PUBLIC_PAGE_CACHE_SECONDS=30)
    asset = build.asset(county.villages["石桥村"], name="石桥村老路")
    villager = app.test_client()
    assert "石桥村老路" in villager.get(f"/a/{asset.public_token}").get_data(as_text=True)
    asset.name = "石桥村新路"
    session.flush()
    assert "石桥村老路" in villager.get(f"/a/{asset.public_token}").get_data(as_text=True)  # within 30 s
    staff = app.test_client()
    login(staff, build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    assert "石桥村新路" in staff.get(f"/a/{asset.public_token}").get_data(as_text=True)
    assert app_factory(PUBLIC_PAGE_CACHE_SECONDS=0).extensions["public_page_cache"] is None
