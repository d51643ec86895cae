"""Complaints, repairs, overdue inspections and notices feed the deadlines: opened for the right
people, escalated once overdue, closed when their source is resolved, and safe to sync again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from infra.settings import SANDBOX_TEMPLATE_IDS
from jobs.scheduler import Runner
from models.audit import AuditEntry
from models.complaints.operations import ComplaintLimits, accept, answer, file_complaint, rate
from models.deadlines.entities import Deadline
from models.deadlines.reminders import urgent_to_send
from models.deadlines.sources import SyncResult, sync_deadlines
from models.deadlines.tasks import open_tasks_for
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.notices.operations import decide_ended_notices, publish_notice
from models.people import Role
from models.storage import LocalStorage
from models.wechat.entities import Delivery, DeliveryStatus
from tests.support.clock import morning
from tests.support.photo_files import jpeg

TZ = "Asia/Shanghai"
LIMITS = ComplaintLimits()
TEMPLATE = "cgi-bin/message/template/send"


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "media")


@pytest.fixture
def people(build, county):
    shiqiao, zhulin = county.villages["石桥村"], county.villages["竹林村"]
    found = {
        "clerk": build.user(Role.VILLAGE_CLERK, shiqiao),
        "custodian": build.user(Role.CUSTODIAN, shiqiao),
        "supervisor": build.user(Role.VILLAGE_SUPERVISOR, shiqiao),
        "other_clerk": build.user(Role.VILLAGE_CLERK, zhulin),
        "town": build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]),
        "other_town": build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"]),
        "admin": build.user(Role.DISTRICT_ADMIN, county.district),
    }
    for name, user in found.items():
        user.wechat_openid = f"o_{name}"
    build.session.flush()
    return found


@pytest.fixture
def asset(build, county):
    return build.asset(county.villages["石桥村"], name="石桥村水渠")


def sync(session, clock):
    return sync_deadlines(session, clock.now(), TZ)


def titles(session, user, clock) -> list[str]:
    today = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    return [
        f"{t.deadline.title}|{t.state}" + ("|督办" if t.escalated else "") for t in open_tasks_for(session, user, today)
    ]


def complain(session, storage, asset, clock):
    return file_complaint(
        session,
        storage,
        asset,
        category="损坏需维修",
        description="水渠堵了，水漫到路上。",
        contact_name=None,
        contact_phone=None,
        photos=[],
        openid=None,
        now=clock.now(),
        limits=LIMITS,
    )


def maintain(session, storage, actor, asset, clock, kind, notes=None):
    return record_maintenance(
        session, storage, actor, asset, kind=kind, photos=[jpeg()], now=clock.now(), timezone=TZ, notes=notes
    )


def test_a_filed_complaint_is_its_village_clerks_task_until_answered(session, storage, asset, people, clock) -> None:
    complaint = complain(session, storage, asset, clock)
    assert sync(session, clock) == SyncResult(opened=2, closed=0)

    assert titles(session, people["clerk"], clock) == [
        "受理群众反映：石桥村水渠|还剩3天",
        "答复群众反映：石桥村水渠|还剩15天",
    ]
    for name in ("custodian", "supervisor", "other_clerk", "town"):
        assert titles(session, people[name], clock) == [], name

    accept(session, people["clerk"], complaint, clock.now())
    assert sync(session, clock) == SyncResult(opened=0, closed=1)
    assert titles(session, people["clerk"], clock) == ["答复群众反映：石桥村水渠|还剩15天"]

    answer(session, storage, people["clerk"], complaint, "已清淤，水渠通了。", [], clock.now())
    assert sync(session, clock) == SyncResult(opened=0, closed=1)
    assert titles(session, people["clerk"], clock) == []
    done = session.scalars(
        select(Deadline).where(Deadline.source.like(f"complaint:{complaint.id}:%")).order_by(Deadline.id)
    ).all()
    assert [d.evidence for d in done] == [{"record": "反映已受理或已答复"}] * 2


def test_an_overdue_complaint_escalates_to_its_town_only(session, storage, asset, people, clock) -> None:
    complain(session, storage, asset, clock)
    sync(session, clock)
    assert titles(session, people["town"], clock) == []

    clock.advance(days=4)  # the three days to accept have passed
    sync(session, clock)

    assert titles(session, people["town"], clock) == ["受理群众反映：石桥村水渠|逾期1天|督办"]
    assert titles(session, people["other_town"], clock) == []
    assert titles(session, people["admin"], clock) == []


def test_a_complaint_reopened_after_unsatisfied_is_the_towns_urgent_task(
    session, storage, asset, people, clock
) -> None:
    complaint = complain(session, storage, asset, clock)
    accept(session, people["clerk"], complaint, clock.now())
    answer(session, storage, people["clerk"], complaint, "已清淤，水渠通了。", [], clock.now())
    sync(session, clock)
    clock.advance(days=1)

    rate(session, complaint, "不满意", clock.now(), LIMITS)
    sync(session, clock)

    assert titles(session, people["clerk"], clock) == []
    assert titles(session, people["town"], clock) == ["重新答复群众反映：石桥村水渠|还剩15天"]
    pushed = urgent_to_send(session, clock.now() - dt.timedelta(hours=1))
    assert {p.user_id for p in pushed} == {people["town"].id}


def test_a_damage_reports_repair_task_is_a_deadline_closed_by_the_repair(
    session, storage, asset, people, clock
) -> None:
    maintain(session, storage, people["custodian"], asset, clock, MaintenanceKind.DAMAGE_REPORT, notes="渠壁塌了两米")
    sync(session, clock)

    for name in ("clerk", "custodian"):
        assert titles(session, people[name], clock) == ["维修损毁资产：石桥村水渠|还剩15天"], name
    pushed = urgent_to_send(session, clock.now() - dt.timedelta(hours=1))
    assert {p.user_id for p in pushed} == {people["clerk"].id, people["custodian"].id}

    clock.advance(days=16)
    sync(session, clock)
    assert titles(session, people["town"], clock) == ["维修损毁资产：石桥村水渠|逾期1天|督办"]

    maintain(session, storage, people["custodian"], asset, clock, MaintenanceKind.REPAIR)
    assert sync(session, clock) == SyncResult(opened=0, closed=1)
    for name in ("clerk", "custodian", "town"):
        assert titles(session, people[name], clock) == [], name
    [deadline] = session.scalars(select(Deadline).where(Deadline.kind_code == "repair_limit")).all()
    assert deadline.done_at == clock.now() and deadline.evidence == {"record": "已录入维修记录"}


def test_a_running_notice_reminds_the_clerk_of_its_end_and_closes_after_it(session, county, people, clock) -> None:
    today = dt.date(2026, 6, 1)
    publish_notice(
        session,
        people["clerk"],
        village=county.villages["石桥村"],
        asset=None,
        title="2026年收益分配方案",
        body="公示10天。",
        starts_on=today,
        ends_on=today + dt.timedelta(days=9),
        now=clock.now(),
    )
    sync(session, clock)
    assert titles(session, people["clerk"], clock) == ["公示期满：2026年收益分配方案|还剩9天"]
    assert titles(session, people["custodian"], clock) == []

    clock.advance(days=10)
    assert sync(session, clock) == SyncResult(opened=0, closed=0)  # open until the outcome is decided
    decide_ended_notices(session, dt.date(2026, 6, 11), clock.now())
    assert sync(session, clock) == SyncResult(opened=0, closed=1)
    assert titles(session, people["clerk"], clock) == []


def test_syncing_twice_changes_nothing(session, storage, county, build, asset, people, clock) -> None:
    late = build.asset(county.villages["石桥村"], name="石桥村便道")
    complain(session, storage, asset, clock)
    maintain(session, storage, people["custodian"], asset, clock, MaintenanceKind.DAMAGE_REPORT, notes="渠壁塌了两米")
    publish_notice(
        session,
        people["clerk"],
        village=county.villages["石桥村"],
        asset=None,
        title="收益分配公示",
        body="公示10天。",
        starts_on=dt.date(2026, 6, 1),
        ends_on=dt.date(2026, 7, 20),
        now=clock.now(),
    )
    clock.advance(days=31)  # 便道 (and 水渠) are now past their 30-day inspection interval
    assert late.last_inspected_at is None

    first = sync(session, clock)
    rows = session.execute(select(Deadline.key, Deadline.due_on, Deadline.done_at).order_by(Deadline.key)).all()
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    again = sync(session, clock)

    assert first.opened == 6  # two complaint limits, a repair, a notice, two inspections
    assert again == SyncResult(opened=0, closed=0)
    assert session.execute(select(Deadline.key, Deadline.due_on, Deadline.done_at).order_by(Deadline.key)).all() == rows
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits


# -- the jobs, end to end against the fake WeChat -------------------------------------------------


@pytest.fixture
def app(app_factory, fake):
    return app_factory(**fake.client_config(WECHAT_REMINDER_TEMPLATE_ID=SANDBOX_TEMPLATE_IDS["reminder"]))


def test_an_overdue_inspection_reminds_the_custodian_once_per_plan_step(
    app, fake, session, asset, people, clock
) -> None:
    session.commit()
    runner = Runner(app)
    days = [dt.date(2026, 6, 25) + dt.timedelta(days=n) for n in range(20)]
    for day in days:  # each morning, twice (a tick repeated changes nothing)
        for _ in range(2):
            morning(clock, day)
            runner.tick("sources")
            runner.tick("digests")

    [deadline] = session.scalars(select(Deadline).where(Deadline.kind_code == "inspection_overdue")).all()
    # created 2026-06-01 10:00 Beijing with a 30-day interval: overdue from 2026-07-01 10:00,
    # after that morning's digest; then daily for the week after, to the custodian and the clerk
    assert deadline.due_on == dt.date(2026, 7, 1) and deadline.region_id == asset.village_id
    expected = [dt.date(2026, 7, 2) + dt.timedelta(days=n) for n in range(7)]
    told = [call.body["request"]["touser"] for call in fake.calls(TEMPLATE)]
    assert sorted(told) == ["o_clerk"] * 7 + ["o_custodian"] * 7
    keys = session.scalars(
        select(Delivery.key).where(
            Delivery.status == DeliveryStatus.SENT, Delivery.key.like(f"digest:{people['custodian'].id}:%")
        )
    )
    assert sorted(keys) == [f"digest:{people['custodian'].id}:{day.isoformat()}" for day in expected]
    assert titles(session, people["supervisor"], clock) == []

    maintain(
        session, LocalStorage(app.config["MEDIA_ROOT"]), people["custodian"], asset, clock, MaintenanceKind.INSPECTION
    )
    session.commit()
    runner.tick("sources")
    session.refresh(deadline)
    assert deadline.done_at == clock.now() and deadline.evidence == {"record": "已录入管护记录"}
