"""Scope rules: everyone sees and changes only what lies under their region (and department)."""

import pytest
from sqlalchemy import select

from models import audit
from models.access import visible_assets
from models.assets.entities import Asset
from models.assets.operations import ENTITY
from models.people import Role
from tests.support.pages import csrf_token


@pytest.fixture
def two_villages(county, build):
    own = build.asset(county.villages["石桥村"], name="石桥村道路")
    neighbour = build.asset(county.villages["竹林村"], name="竹林村道路")  # same town
    elsewhere = build.asset(county.villages["清水村"], name="清水村道路")  # other town
    water = build.asset(county.villages["石桥村"], name="石桥村饮水工程", subtype="供水饮水")
    return own, neighbour, elsewhere, water


def _history(session, asset) -> list[str]:
    return [entry.action for entry in audit.history(session, ENTITY, asset.id)]


def _names(session, user):
    return {a.name for a in session.scalars(visible_assets(user))}


def test_each_role_sees_only_its_region(session, county, build, two_villages):
    district = build.user(Role.DISTRICT_ADMIN, county.district)
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    supervisor = build.user(Role.VILLAGE_SUPERVISOR, county.villages["石桥村"])
    custodian = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    assert _names(session, district) == {"石桥村道路", "竹林村道路", "清水村道路", "石桥村饮水工程"}
    assert _names(session, town) == {"石桥村道路", "竹林村道路", "石桥村饮水工程"}
    for village_person in (clerk, supervisor, custodian):
        assert _names(session, village_person) == {"石桥村道路", "石桥村饮水工程"}


def test_department_sees_only_its_own_asset_types_across_the_district(session, county, build, two_villages):
    transport = build.user(Role.DEPARTMENT, county.district, department="交通运输局")
    water = build.user(Role.DEPARTMENT, county.district, department="水利局")
    assert _names(session, transport) == {"石桥村道路", "竹林村道路", "清水村道路"}
    assert _names(session, water) == {"石桥村饮水工程"}


def test_deactivated_account_sees_nothing(session, county, build, two_villages):
    district = build.user(Role.DISTRICT_ADMIN, county.district)
    district.active = False
    assert _names(session, district) == set()


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/assets/{id}"),
        ("GET", "/assets/{id}/edit"),
        ("POST", "/assets/{id}/edit"),
    ],
)
def test_another_regions_asset_is_not_found_on_every_route(
    client, session, county, build, login_as, two_villages, method, path
):
    _own, _neighbour, elsewhere, _water = two_villages
    login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    url = path.format(id=elsewhere.id)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/assets/new"), "name": "改名"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "清水村道路" not in body and elsewhere.code not in body
    assert "页面不存在" in body or "没有找到" in body
    session.expire_all()
    assert session.get(Asset, elsewhere.id).name == "清水村道路" and _history(session, elsewhere) == ["create"]


def test_list_does_not_show_another_regions_assets_even_when_filtered_for_them(
    client, county, build, login_as, two_villages
):
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    body = client.get(f"/assets?village={county.villages['清水村'].id}&q=道路").get_data(as_text=True)
    assert "清水村道路" not in body
    assert "没有符合条件的资产" in body


def test_clerk_cannot_register_an_asset_in_another_village(client, session, county, build, login_as):
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    form = build.raw_asset(code="X1", village_id=str(county.villages["清水村"].id))
    form["csrf_token"] = csrf_token(client, "/assets/new")
    response = client.post("/assets/new", data=form)
    assert response.status_code == 422
    assert "请选择资产所在的村" in response.get_data(as_text=True)
    assert _names(session, build.user(Role.DISTRICT_ADMIN, county.district)) == set()


@pytest.mark.parametrize("role", [Role.VILLAGE_SUPERVISOR, Role.CUSTODIAN])
def test_read_only_roles_cannot_change_the_register(client, session, county, build, login_as, two_villages, role):
    own = two_villages[0]
    login_as(build.user(role, county.villages["石桥村"]))
    assert client.get(f"/assets/{own.id}").status_code == 200
    assert client.get(f"/assets/{own.id}/edit").status_code == 403
    assert client.get("/assets/new").status_code == 403
    token = csrf_token(client, f"/assets/{own.id}")
    response = client.post(f"/assets/{own.id}/edit", data={**build.raw_asset(), "csrf_token": token})
    assert response.status_code == 403
    assert "只能查看台账" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Asset, own.id).version == own.version and _history(session, own) == ["create"]


def test_department_cannot_register_another_departments_type(client, session, county, build, login_as):
    login_as(build.user(Role.DEPARTMENT, county.district, department="交通运输局"))
    form = build.raw_asset(code="W1", subtype="供水饮水", village_id=str(county.villages["石桥村"].id))
    form["csrf_token"] = csrf_token(client, "/assets/new")
    response = client.post("/assets/new", data=form)
    assert response.status_code == 403
    assert "本部门主管类型" in response.get_data(as_text=True)
    assert session.scalar(select(Asset.id).where(Asset.code == "W1")) is None


def test_signed_out_visitor_is_sent_to_login_from_every_staff_page(client, county, build, two_villages):
    own = two_villages[0]
    for path in ("/assets", f"/assets/{own.id}", f"/assets/{own.id}/edit", "/assets/new", "/evaluations", "/account"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
