"""The register pages: list, filters, paging, create, edit, and the audit trail they leave."""

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from models import audit
from models.assets.entities import Asset, AssetStatus
from models.people import Role
from tests.support.pages import csrf_token


@pytest.fixture
def clerk(county, build, login_as):
    user = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    login_as(user)
    return user


def _post_form(client, build, path, village, **overrides):
    form = build.raw_asset(village_id=str(village.id), **overrides)
    form["csrf_token"] = csrf_token(client, "/assets/new")
    return client.post(path, data=form)


def test_clerk_registers_an_asset_and_it_is_audited(client, session, county, build, clerk):
    response = _post_form(
        client,
        build,
        "/assets/new",
        county.villages["石桥村"],
        code="sq-001",
        name="石桥村新屯硬化道路",
        original_value="18.3",
        fundings="财政专项扶贫资金 10、对口帮扶 8.3",
    )
    assert response.status_code == 302
    asset = session.scalar(select(Asset).where(Asset.code == "SQ-001"))
    assert asset.original_value == Decimal("183000.00")
    assert [(f.source.label, f.amount) for f in asset.fundings] == [
        ("财政专项扶贫资金", Decimal("100000.00")),
        ("对口帮扶", Decimal("83000.00")),
    ]
    assert asset.town_id == county.towns["青山镇"].id and asset.district_id == county.district.id
    assert len(asset.public_token) >= 22 and asset.public_token != str(asset.id)  # 128 random bits
    entries = audit.history(session, "asset", asset.id)
    assert [e.action for e in entries] == ["create"]
    assert entries[0].actor_id == clerk.id and entries[0].changes["name"] == [None, "石桥村新屯硬化道路"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "石桥村新屯硬化道路" in page and "已登记资产 SQ-001" in page


def test_invalid_form_names_every_problem_and_writes_nothing(client, session, county, build, clerk):
    response = _post_form(
        client,
        build,
        "/assets/new",
        county.villages["石桥村"],
        code="bad code!",
        original_value="-3",
        project_year="19",
        custodian_phone="12345",
        asset_class="经营性",
        fundings="天上掉的钱",
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for reason in (
        "只能由字母、数字",
        "不能为负数",
        "应为2000到2100之间的年份",
        "应为11位手机号",
        "不是已知的资金来源",
    ):
        assert reason in body
    assert session.scalar(select(Asset.id)) is None


def test_cross_field_rules_are_checked(client, session, county, build, clerk):
    response = _post_form(
        client, build, "/assets/new", county.villages["石桥村"], code="OP1", asset_class="经营性", subtype="道路交通"
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "属于公益性资产，与资产类别不符" in body
    assert "经营性资产须填写经营主体及方式" in body
    assert session.scalar(select(Asset.id)) is None


def test_duplicate_code_in_the_district_is_refused(client, session, county, build, clerk):
    build.asset(county.villages["石桥村"], code="DUP1")
    response = _post_form(client, build, "/assets/new", county.villages["石桥村"], code="dup1")
    assert response.status_code == 422
    assert "资产编号DUP1已被本区另一项资产使用" in response.get_data(as_text=True)
    assert session.scalars(select(Asset.code)).all() == ["DUP1"]


def test_edit_records_before_and_after(client, session, county, build, clerk):
    asset = build.asset(county.villages["石桥村"], code="E1", status="正常")
    response = _post_form(
        client,
        build,
        f"/assets/{asset.id}/edit",
        county.villages["石桥村"],
        code="E1",
        name=asset.name,
        status="损毁",
        custodian_name="覃德明",
        version=str(asset.version),
    )
    assert response.status_code == 302
    session.refresh(asset)
    assert asset.status is AssetStatus.DAMAGED and asset.version == 2
    last = audit.history(session, "asset", asset.id)[-1]
    assert last.action == "update" and last.actor_name == clerk.name
    assert last.changes["status"] == ["正常", "损毁"]
    assert last.changes["custodian_name"] == ["莫文华", "覃德明"]
    assert set(last.changes) == {"status", "custodian_name"}
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "损毁" in page and "覃德明" in page and "校验未通过" not in page


def test_saving_an_unchanged_form_writes_no_audit_entry(client, session, county, build, clerk):
    asset = build.asset(county.villages["石桥村"], code="E2")
    response = _post_form(
        client,
        build,
        f"/assets/{asset.id}/edit",
        county.villages["石桥村"],
        code="E2",
        version=str(asset.version),
        name=asset.name,
    )
    assert response.status_code == 302
    assert len(audit.history(session, "asset", asset.id)) == 1


def test_edit_of_a_stale_form_is_a_conflict_not_a_silent_overwrite(client, session, county, build, clerk):
    asset = build.asset(county.villages["石桥村"], code="E3")
    stale_version = str(asset.version)
    assert (
        _post_form(
            client,
            build,
            f"/assets/{asset.id}/edit",
            county.villages["石桥村"],
            code="E3",
            name="第一次修改",
            version=stale_version,
        ).status_code
        == 302
    )
    response = _post_form(
        client,
        build,
        f"/assets/{asset.id}/edit",
        county.villages["石桥村"],
        code="E3",
        name="第二次修改",
        version=stale_version,
    )
    assert response.status_code == 409
    assert "已被他人修改" in response.get_data(as_text=True)
    session.refresh(asset)
    assert asset.name == "第一次修改"


def test_edit_form_shows_what_people_typed(client, county, build, clerk):
    asset = build.asset(
        county.villages["石桥村"], code="E4", original_value="27.67", fundings="地方政府债券 20、社会捐赠"
    )
    page = client.get(f"/assets/{asset.id}/edit").get_data(as_text=True)
    assert 'value="27.67"' in page
    assert 'value="地方政府债券 20、社会捐赠"' in page


def test_list_filters_and_pages(client, county, build, clerk):
    for number in range(25):
        build.asset(
            county.villages["石桥村"],
            code=f"L{number:03d}",
            project_year="2019" if number % 2 else "2023",
            status="闲置" if number == 7 else "正常",
            custodian_name="蒙永福" if number < 3 else "莫文华",
        )
    first = client.get("/assets").get_data(as_text=True)
    assert "共 25 项" in first and "第 1 / 2 页" in first and ">L000</a>" in first and ">L024</a>" not in first
    assert "L024" in client.get("/assets?page=2").get_data(as_text=True)
    assert "共 12 项" in client.get("/assets?year=2019").get_data(as_text=True)
    idle = client.get("/assets?status=idle").get_data(as_text=True)
    assert "共 1 项" in idle and "L007" in idle
    assert "共 3 项" in client.get("/assets?custodian=蒙永福").get_data(as_text=True)
    assert "共 1 项" in client.get("/assets?q=L01 5".replace(" ", "")).get_data(as_text=True)
    assert "共 0 项" in client.get("/assets?q=%25").get_data(as_text=True)


def test_bad_filter_values_get_a_clear_message(client, county, build, clerk):
    response = client.get("/assets?village=abc")
    assert response.status_code == 400
    assert "请求有误" in response.get_data(as_text=True)


def test_tampering_with_the_audit_log_is_detected(client, session, county, build, clerk):
    asset = build.asset(county.villages["石桥村"], code="T1")
    _post_form(
        client,
        build,
        f"/assets/{asset.id}/edit",
        county.villages["石桥村"],
        code="T1",
        name=asset.name,
        status="闲置",
        version=str(asset.version),
    )
    entries = audit.history(session, "asset", asset.id)
    assert audit.verify_chain(entries)
    session.execute(
        update(audit.AuditEntry)
        .where(audit.AuditEntry.id == entries[-1].id)
        .values(changes={"status": ["正常", "正常"]})
    )
    session.expire_all()
    assert not audit.verify_chain(audit.history(session, "asset", asset.id))
    assert "校验未通过" in client.get(f"/assets/{asset.id}").get_data(as_text=True)


def test_pages_send_security_headers(client, county, build, clerk):
    response = client.get("/assets")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Request-Id"]


def test_assets_overdue_for_inspection_are_marked_and_can_be_listed_alone(
    client, login_as, session, clock, county, build, clerk
):
    water = build.asset(county.villages["石桥村"], code="W1", subtype="供水饮水")  # weekly
    road = build.asset(county.villages["石桥村"], code="R1", subtype="道路交通")  # monthly
    clock.advance(days=10)
    login_as(clerk)  # a session lasts a working day, not ten
    overdue = client.get("/assets?overdue=1").get_data(as_text=True)
    assert "共 1 项" in overdue and ">W1</a>" in overdue and ">R1</a>" not in overdue
    listing = client.get("/assets").get_data(as_text=True)
    row = listing[listing.index("W1") : listing.index("</tr>", listing.index("W1"))]
    assert "巡查逾期" in row
    assert road.code in listing and water.code in listing
