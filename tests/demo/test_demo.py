"""The demo county, loaded once for the module (tests only read it; each runs in a savepoint of the
transaction that holds it): every class, status, sub-type and role, logins, scopes, paging."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from sqlalchemy import Connection, func, select

from demo import county as demo
from demo.activity import COMPLAINTS
from models.assets.entities import Asset, AssetClass, AssetStatus, AssetSubtype
from models.catalog import SUBTYPES
from models.clock import FixedClock
from models.complaints.entities import Complaint, ComplaintStatus, ComplaintStep
from models.deadlines.calendar import ensure_deadlines
from models.deadlines.entities import Deadline
from models.deadlines.sources import sync_deadlines
from models.deadlines.tasks import EVALUATION_STEPS
from models.evaluations.entities import TownResult, VillageEvaluation
from models.maintenance.entities import MaintenanceRecord
from models.notices.entities import PublicNotice
from models.people import Role, User
from models.regions import Region, RegionLevel
from tests.support.apps import bound_app, close_test_app
from tests.support.clock import TEST_NOW
from tests.support.pages import csrf_token
from web.cli import cli


@dataclass(frozen=True)
class Loaded:
    connection: Connection
    result: Result  # what `guanhu demo load` printed


@pytest.fixture(scope="module")
def demo_loaded(engine, database_url, tmp_path_factory):
    with engine.connect() as connection:
        transaction = connection.begin()
        app = bound_app(database_url, connection, FixedClock(TEST_NOW), tmp_path_factory.mktemp("demo-media"))
        result = app.test_cli_runner().invoke(cli, ["demo", "load"])
        assert result.exit_code == 0, result.output
        close_test_app(app)
        yield Loaded(connection, result)
        transaction.rollback()


@pytest.fixture
def connection(demo_loaded):
    """Each test in a savepoint of the transaction that holds the demo county."""
    savepoint = demo_loaded.connection.begin_nested()
    yield demo_loaded.connection
    if savepoint.is_active:
        savepoint.rollback()


def load(runner, *args: str):
    return runner.invoke(cli, ["demo", "load", *args])


def count(session, model, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_demo_load_creates_a_county_of_every_class_status_subtype_and_role(demo_loaded, session, app):
    result = demo_loaded.result
    assert result.exit_code == 0, result.output
    assert f"打开 {app.config['PUBLIC_BASE_URL']} 登录" in result.output
    for account in demo.ACCOUNTS:
        assert account.phone in result.output
    assert demo.PASSWORD in result.output

    regions = {
        level: sorted(session.scalars(select(Region.name).where(Region.level == level))) for level in RegionLevel
    }
    assert regions[RegionLevel.DISTRICT] == ["示范区"]
    assert regions[RegionLevel.TOWN] == sorted(demo.TOWNS)
    assert regions[RegionLevel.VILLAGE] == sorted(v for vs in demo.TOWNS.values() for v in vs)

    assets = list(session.scalars(select(Asset)))
    assert len(assets) == 300
    assert all(count == 25 for count in Counter(a.village_id for a in assets).values())
    classes, statuses = Counter(a.asset_class for a in assets), Counter(a.status for a in assets)
    assert set(classes) == set(AssetClass) and set(statuses) == set(AssetStatus)
    assert statuses[AssetStatus.NORMAL] > len(assets) / 2
    assert {a.subtype.name for a in assets} == {name for name, *_ in SUBTYPES}
    disposed = [a for a in assets if a.status is AssetStatus.DISPOSED]
    assert all(a.disposed_on and a.disposal_method for a in disposed)
    assert all(a.operator for a in assets if a.asset_class is AssetClass.OPERATING)
    assert all(a.fundings for a in assets)
    # The sample county register (codes SF<year><4 digits>) must import beside the demo.
    assert not any(re.fullmatch(r"SF\d{8}", a.code) for a in assets)

    roles = Counter(session.scalars(select(User.role)))
    assert set(roles) == set(Role)
    assert roles[Role.TOWN_OFFICIAL] == len(demo.TOWNS)
    assert roles[Role.CUSTODIAN] == len(regions[RegionLevel.VILLAGE])  # one per village keeps records

    # A year of maintenance records, by each village's custodian, and complaints in every state.
    records = list(session.scalars(select(MaintenanceRecord)))
    assert len(records) > 300
    assert all(r.photos and r.recorded_by_id for r in records)
    assert [r.asset.code for r in records if r.flagged]  # the one recycled photo, as reviewers meet it
    statuses = {c.status for c in session.scalars(select(Complaint))}
    assert statuses == set(ComplaintStatus)
    # Last year's grade of every town and village, so the villagers' pages show one.
    towns = session.scalars(select(TownResult.town_id).where(TownResult.year == TEST_NOW.year - 1)).all()
    villages = session.scalars(
        select(VillageEvaluation.village_id).where(
            VillageEvaluation.year == TEST_NOW.year - 1, VillageEvaluation.grade.is_not(None)
        )
    ).all()
    assert (len(towns), len(villages)) == (len(regions[RegionLevel.TOWN]), len(regions[RegionLevel.VILLAGE]))


def test_the_demo_has_a_running_notice_with_an_objection_waiting_for_the_town(session):
    [notice] = session.scalars(select(PublicNotice))
    assert notice.village.name == "石桥村" and notice.running_on(TEST_NOW.date())
    [objection] = session.scalars(select(Complaint).where(Complaint.notice_id == notice.id))
    assert objection.status is ComplaintStatus.NEW and objection.town_handles and objection.openid


def test_demo_load_if_empty_does_not_load_twice(runner, session):
    result = load(runner, "--if-empty")
    assert result.exit_code == 0, result.output
    assert "未加载示范数据" in result.output
    assert "13900000001" in result.output  # the logins are shown again
    assert count(session, Asset) == 300
    assert count(session, Region, Region.level == RegionLevel.DISTRICT) == 1
    # Beside the printed logins: a clerk, a custodian and the two supervisors who sign in each of
    # the other 11 villages, and a liaison in each of the other 10 departments.
    assert count(session, User) == len(demo.ACCOUNTS) + 11 * 4 + 10


def test_demo_load_twice_without_if_empty_is_refused_in_chinese(runner, session):
    result = load(runner)
    assert result.exit_code != 0
    assert "已有名为示范区的区县" in result.output
    assert count(session, Asset) == 300


def test_every_demo_login_signs_in_and_sees_its_own_scope(session, client):
    roads = session.scalar(select(AssetSubtype.id).where(AssetSubtype.name == "道路交通"))
    expected = {
        RegionLevel.DISTRICT: 300,
        RegionLevel.TOWN: 100,
        RegionLevel.VILLAGE: 25,
    }
    for account in demo.ACCOUNTS:
        response = client.post(
            "/login",
            data={
                "phone": account.phone,
                "password": demo.PASSWORD,
                "csrf_token": csrf_token(client),
            },
        )
        assert response.status_code == 302, (account, response.get_data(as_text=True))
        page = client.get("/assets").get_data(as_text=True)
        assert account.name in page
        seen = expected[account.role.region_level]
        if account.role is Role.DEPARTMENT:
            seen = count(session, Asset, Asset.subtype_id == roads)
        assert f"共 {seen} 项" in page, account
        client.post("/logout", data={"csrf_token": csrf_token(client, "/assets")})


def test_paging_the_demo_register_by_value_lists_every_asset_once_in_order(session, client):
    admin = demo.ACCOUNTS[0]
    client.post("/login", data={"phone": admin.phone, "password": demo.PASSWORD, "csrf_token": csrf_token(client)})
    links = []
    for page in range(1, 16):
        html = client.get(f"/assets?sort=-value&page={page}").get_data(as_text=True)
        links += [int(n) for n in re.findall(r'href="/assets/(\d+)"', html)]
    assert len(links) == len(set(links)) == 300
    values = {a.id: (a.original_value, a.id) for a in session.scalars(select(Asset))}
    assert links == sorted(links, key=lambda n: (-values[n][0], n))


CHINA = ZoneInfo("Asia/Shanghai")


def local(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(CHINA)


def test_the_demo_happened_at_the_hours_people_work_and_over_the_year(session):
    records = session.scalars(select(MaintenanceRecord.recorded_at)).all()
    hours = Counter(local(at).hour for at in records)
    assert min(hours) >= 8 and max(hours) <= 21 and len(hours) >= 10
    assert sum(n for hour, n in hours.items() if hour >= 19) > len(records) / 20  # some after supper
    assert len({local(at).strftime("%Y-%m") for at in records}) >= 11

    filed = session.execute(select(Complaint.created_at, Complaint.tracking_number)).all()
    complaints = [at for at, _ in filed]
    assert len({local(at).date() for at in complaints}) >= 10
    assert [number for _, number in sorted(filed)] == sorted(number for _, number in filed)  # numbered as filed
    assert len({local(at).strftime("%Y-%m") for at in complaints}) >= 4
    office = [local(at) for at in session.scalars(select(ComplaintStep.at).where(ComplaintStep.actor_id.is_not(None)))]
    assert office and all(8 <= at.hour <= 17 and at.weekday() < 5 for at in office)

    joined = session.scalars(select(User.created_at)).all()
    registered = session.scalars(select(Asset.created_at)).all()
    assert len(set(joined)) == len(joined) and len({local(at).date() for at in registered}) > 100
    assert max(joined) < min(registered) < min(records)
    assert max([*joined, *registered, *records, *complaints, *office]) < TEST_NOW
    rated = [*session.scalars(select(TownResult.rated_at)), *session.scalars(select(VillageEvaluation.rated_at))]
    assert all(local(at).date() >= dt.date(TEST_NOW.year - 1, 12, 12) for at in rated)
    assert all(local(at).year == TEST_NOW.year - 1 for at in rated)


def test_every_demo_account_has_a_name_that_looks_real(session):
    names = session.scalars(select(User.name)).all()
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", name) for name in names), names
    assert not any("测试" in name or "管护员" in name for name in names)
    assert len(set(names)) == len(names)


def test_demo_complaints_fit_the_assets_they_are_about(session):
    complaints = session.scalars(select(Complaint).where(Complaint.notice_id.is_(None))).all()
    for complaint in complaints:
        asset = complaint.asset
        own_name = asset.name.removeprefix(asset.village.name)
        fitting = [(category, text) for word, category, text in COMPLAINTS[asset.subtype.name] if word in own_name]
        assert (complaint.category, complaint.description) in fitting, (asset.name, complaint.description)
    assert len({c.description for c in complaints}) == len(complaints)


def test_demo_tasks_are_done_as_they_fell_due_and_none_is_long_overdue(session):
    today = local(TEST_NOW).date()
    district = session.scalar(select(Region).where(Region.name == "示范区"))
    assert ensure_deadlines(session, district, today.year, TEST_NOW) == 0  # the scheduler finds the year made
    calendar = session.scalars(select(Deadline).where(Deadline.year == today.year)).all()
    past = [d for d in calendar if d.due_on < today]
    # By June 1 only January's steps fell due: the departments' lists and the targets, done by doing them.
    assert past and all(d.kind_code in EVALUATION_STEPS and d.evidence.get("record") for d in past)
    assert all(local(d.done_at).date() <= d.due_on + dt.timedelta(days=6) for d in past)

    sync_deadlines(session, TEST_NOW, "Asia/Shanghai")  # what the scheduler's first tick opens
    open_deadlines = session.scalars(select(Deadline).where(Deadline.done_at.is_(None))).all()
    overdue = [(today - d.due_on).days for d in open_deadlines if d.due_on < today]
    assert overdue and max(overdue) <= 14
    inspections = [d for d in open_deadlines if d.kind_code == "inspection_overdue"]
    assert 0 < len(inspections) < count(session, Asset) / 10
