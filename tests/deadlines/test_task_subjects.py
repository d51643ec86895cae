"""Tasks follow their subjects: a task another feature opened closes only with its subject (never
by 标记完成), every task links to what it is about, and the words fit whose task it is."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from bot.handlers.deadlines import task_lines
from models.complaints.entities import Complaint
from models.deadlines.calendar import ensure_deadlines
from models.deadlines.entities import Deadline
from models.deadlines.operations import mark_done
from models.deadlines.sources import sync_deadlines
from models.deadlines.tasks import open_tasks_for, waiting_for
from models.errors import Forbidden
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.people import Role
from models.storage import LocalStorage
from tests.support.pages import csrf_token, login, visible_text
from tests.support.photo_files import jpeg

TZ = "Asia/Shanghai"
JUNE_28 = dt.datetime(2026, 6, 28, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def clerk(build, county):
    return build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])


def file_on_the_web(client, asset) -> None:
    form = {
        "csrf_token": csrf_token(client, f"/a/{asset.public_token}/report"),
        "category": "damage",
        "description": "水渠堵了，水漫到路上。",
    }
    assert client.post(f"/a/{asset.public_token}/report", data=form).status_code == 303


def open_deadlines(session) -> list[str]:
    return [d.key for d in session.scalars(select(Deadline).where(Deadline.done_at.is_(None)).order_by(Deadline.id))]


def test_accepting_a_complaint_closes_its_task_at_once_and_marking_it_done_cannot(
    app, session, build, county, clerk, clock
) -> None:
    asset = build.asset(county.villages["石桥村"], name="石桥村水渠")
    villager, staff = app.test_client(), app.test_client()
    file_on_the_web(villager, asset)
    complaint = session.scalar(select(Complaint))
    assert open_deadlines(session) == [
        f"complaint_limit:complaint:{complaint.id}:accept",
        f"complaint_limit:complaint:{complaint.id}:answer:0",
    ]  # there as soon as it is filed, not at the next tick
    [accept_task] = session.scalars(select(Deadline).where(Deadline.key.endswith(":accept"))).all()
    login(staff, clerk)
    token = csrf_token(staff, "/tasks")
    refused = staff.post(f"/tasks/{accept_task.id}/done", data={"csrf_token": token, "note": "已受理"})
    assert refused.status_code == 403 and "不能手动标记" in refused.get_data(as_text=True)
    with pytest.raises(Forbidden):
        mark_done(session, clerk, accept_task.id, note="已受理", today=clock.now().date(), now=clock.now())
    page = staff.get("/tasks").get_data(as_text=True)
    assert f'href="/complaints/{complaint.id}"' in page and "去受理" in page
    assert f'action="/tasks/{accept_task.id}/done"' not in page  # no 标记完成 form for it

    staff.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": token})

    session.expire_all()
    assert open_deadlines(session) == [f"complaint_limit:complaint:{complaint.id}:answer:0"]
    assert session.get(Deadline, accept_task.id).evidence == {"record": "反映已受理或已答复"}


def test_every_task_links_to_its_subject(client, login_as, session, build, county, clerk, clock, tmp_path) -> None:
    clock.at = JUNE_28
    custodian = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    asset = build.asset(county.villages["石桥村"], name="石桥村水渠")
    report = record_maintenance(
        session,
        LocalStorage(tmp_path),
        custodian,
        asset,
        kind=MaintenanceKind.DAMAGE_REPORT,
        photos=[jpeg()],
        notes="渠壁塌了两米",
        now=clock.now(),
        timezone=TZ,
    )
    ensure_deadlines(session, county.district, 2026, clock.now())
    clock.advance(days=40)  # the asset is now overdue for inspection too
    sync_deadlines(session, clock.now(), TZ)
    login_as(clerk)

    page = client.get("/tasks").get_data(as_text=True)

    links = dict(re.findall(r'<strong><a href="([^"]+)">([^<]+)</a></strong>', page))
    by_title = {title: href for href, title in links.items()}
    assert by_title["维修损毁资产：石桥村水渠"] == f"/maintenance/{report.id}"
    assert by_title["巡查资产：石桥村水渠"] == f"/assets/{asset.id}"
    assert by_title["2026年核查问题整改"] == "/deadlines/calendar?year=2026"
    assert by_title["2026年年终自评（签字并公示10天）报镇"] == "/evaluations/2026/self-evaluation"
    tasks = waiting_for(session, clerk, clock.now().date())
    assert all(task.subject is not None for task in tasks.deadlines)


def test_the_words_say_whose_task_it_is(session, build, county, clerk, clock, tmp_path) -> None:
    custodian = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    build.asset(county.villages["石桥村"], name="石桥村水渠")
    clock.at = dt.datetime(2026, 7, 10, 1, 0, tzinfo=dt.UTC)  # its inspection is overdue; so is the June self-check
    ensure_deadlines(session, county.district, 2026, clock.now())
    sync_deadlines(session, clock.now(), TZ)
    today = dt.date(2026, 7, 10)

    def lines(user) -> dict[str, str]:
        return {line.split("（")[0]: line for line in task_lines(waiting_for(session, user, today))}

    own = lines(custodian)["巡查资产：石桥村水渠"]
    assert own == "巡查资产：石桥村水渠（逾期9天）"  # the custodian's own: no 督办, no 下级
    told = lines(clerk)["【督办】巡查资产：石桥村水渠"]
    assert told == "【督办】巡查资产：石桥村水渠（本村管护员，逾期9天）"
    below = next(
        t
        for t in open_tasks_for(session, town, today)
        if t.deadline.kind_code == "midyear_self_check" and t.deadline.region_id == clerk.region_id
    )
    assert below.escalated and below.owner == "青山镇石桥村"  # a village below the town
    department_task = next(t for t in open_tasks_for(session, admin, today) if t.deadline.department is not None)
    assert department_task.owner == department_task.deadline.department.name
    assert all(t.owner is None for t in open_tasks_for(session, custodian, today))


def test_the_tasks_page_words_a_task_told_about_by_whose_it_is(
    client, login_as, session, build, county, clerk, clock
) -> None:
    build.user(Role.CUSTODIAN, county.villages["石桥村"])
    build.asset(county.villages["石桥村"], name="石桥村水渠")
    clock.advance(days=40)
    sync_deadlines(session, clock.now(), TZ)
    login_as(clerk)

    text = visible_text(client.get("/tasks").get_data(as_text=True))

    assert "由本村管护员负责，已逾期" in text and "下级" not in text
