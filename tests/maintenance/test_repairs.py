"""A damage report's page shows its repair: arranged (who, by when), then done (the repair record);
and a flagged photo links to the earlier photo it repeats."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from models import audit
from models.deadlines.entities import Deadline
from models.deadlines.sources import sync_deadlines
from models.errors import Forbidden, Invalid
from models.maintenance.damage_reports import arrange_repair, repair_of
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import MAINTENANCE_ENTITY, record_maintenance
from models.people import Role
from models.storage import LocalStorage
from tests.support.pages import csrf_token, login, visible_text
from tests.support.photo_files import jpeg

TZ = "Asia/Shanghai"
TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def storage(app):
    return LocalStorage(app.config["MEDIA_ROOT"])


@pytest.fixture
def village(build, county):
    shiqiao = county.villages["石桥村"]
    return {
        "clerk": build.user(Role.VILLAGE_CLERK, shiqiao, name="李文书"),
        "custodian": build.user(Role.CUSTODIAN, shiqiao, name="韦管护"),
        "asset": build.asset(shiqiao, name="石桥村水渠", code="SQ-QU"),
    }


def record(session, storage, actor, asset, clock, kind, seed=1, notes=None):
    return record_maintenance(
        session, storage, actor, asset, kind=kind, photos=[jpeg(seed=seed)], now=clock.now(), timezone=TZ, notes=notes
    )


@pytest.fixture
def report(session, storage, village, clock):
    return record(
        session, storage, village["custodian"], village["asset"], clock, MaintenanceKind.DAMAGE_REPORT, notes="渠壁塌了"
    )


def test_a_clerk_arranges_the_repair_who_and_by_when_and_it_is_audited(session, village, report, clock) -> None:
    task = repair_of(session, report)
    assert task.assignee is None and task.due_on == dt.date(2026, 6, 16)

    arrange_repair(
        session,
        village["clerk"],
        task,
        assignee_id=village["custodian"].id,
        due_on=dt.date(2026, 6, 8),
        today=TODAY,
        now=clock.now(),
    )

    assert task.assignee is village["custodian"] and task.due_on == dt.date(2026, 6, 8) and task.arranged_at
    [entry] = [e for e in audit.history(session, MAINTENANCE_ENTITY, report.id) if e.action == "arrange_repair"]
    assert entry.changes == {"repairer": [None, "韦管护"], "due_on": ["2026-06-16", "2026-06-08"]}


@pytest.mark.parametrize(
    ("who", "due_on", "field"),
    [
        ("other_village", dt.date(2026, 6, 8), "assignee"),  # someone who cannot record its repair
        ("custodian", dt.date(2026, 5, 31), "due_on"),  # in the past
        ("custodian", dt.date(2027, 7, 1), "due_on"),  # more than a year out
        ("custodian", None, "due_on"),
    ],
)
def test_a_repair_is_arranged_only_with_a_repairer_of_the_village_and_a_sane_date(
    session, village, report, clock, build, county, who, due_on, field
) -> None:
    people = {**village, "other_village": build.user(Role.CUSTODIAN, county.villages["竹林村"])}
    task = repair_of(session, report)

    with pytest.raises(Invalid) as refused:
        arrange_repair(
            session, village["clerk"], task, assignee_id=people[who].id, due_on=due_on, today=TODAY, now=clock.now()
        )

    assert field in refused.value.fields
    assert task.assignee_id is None and task.due_on == dt.date(2026, 6, 16)


def test_custodians_and_other_villages_clerks_cannot_arrange(session, village, report, clock, build, county) -> None:
    task = repair_of(session, report)
    for actor in (village["custodian"], build.user(Role.VILLAGE_CLERK, county.villages["竹林村"])):
        with pytest.raises(Forbidden):
            arrange_repair(
                session, actor, task, assignee_id=village["custodian"].id, due_on=TODAY, today=TODAY, now=clock.now()
            )


def test_the_repair_deadline_follows_the_date_arranged(session, village, report, clock) -> None:
    sync_deadlines(session, clock.now(), TZ)
    arrange_repair(
        session,
        village["clerk"],
        repair_of(session, report),
        assignee_id=village["custodian"].id,
        due_on=dt.date(2026, 6, 5),
        today=TODAY,
        now=clock.now(),
    )

    sync_deadlines(session, clock.now(), TZ)

    [deadline] = session.scalars(select(Deadline).where(Deadline.kind_code == "repair_limit")).all()
    assert deadline.due_on == dt.date(2026, 6, 5) and deadline.done_at is None
    assert [e.action for e in audit.history(session, "deadline", deadline.id)] == ["open", "move"]


def test_the_reports_page_arranges_the_repair_tells_the_repairer_and_then_shows_it_repaired(
    app_factory, fake, session, village, clock, tmp_path
) -> None:
    app = app_factory(**fake.client_config())
    storage = LocalStorage(app.config["MEDIA_ROOT"])
    report = record(
        session, storage, village["custodian"], village["asset"], clock, MaintenanceKind.DAMAGE_REPORT, notes="渠壁塌了"
    )
    village["custodian"].wechat_openid = "o_custodian"
    session.flush()
    client = app.test_client()
    login(client, village["clerk"])
    page = client.get(f"/maintenance/{report.id}").get_data(as_text=True)
    assert "待安排" in visible_text(page) and "安排维修" in page
    token = csrf_token(client, f"/maintenance/{report.id}")

    bad = client.post(
        f"/maintenance/{report.id}/repair", data={"csrf_token": token, "assignee": "x", "due_on": "6月8日"}
    )
    assert bad.status_code == 422 and "请从本村管护员和村干部中选择维修负责人" in bad.get_data(as_text=True)
    done = client.post(
        f"/maintenance/{report.id}/repair",
        data={"csrf_token": token, "assignee": str(village["custodian"].id), "due_on": "2026-06-08"},
    )

    assert done.status_code == 303
    shown = visible_text(client.get(f"/maintenance/{report.id}").get_data(as_text=True))
    assert re.search(r"已安排\s+由韦管护（管护员）在 2026年06月08日 前修好", shown), shown
    [call] = fake.wait_for_calls("cgi-bin/message/custom/send", 1)
    assert call.body["request"]["touser"] == "o_custodian"
    assert "2026年06月08日前修好" in call.body["request"]["text"]["content"]

    clock.advance(days=3)
    repair = record(session, storage, village["custodian"], village["asset"], clock, MaintenanceKind.REPAIR, seed=2)
    login(client, village["clerk"])  # days later: the sign-in of then has ended
    repaired = client.get(f"/maintenance/{report.id}").get_data(as_text=True)
    assert "已修复" in visible_text(repaired) and f'href="/maintenance/{repair.id}">查看维修记录' in repaired
    assert "重新安排" not in repaired
    back = client.get(f"/maintenance/{repair.id}").get_data(as_text=True)
    assert f'href="/maintenance/{report.id}"' in back and "修复的损毁" in back


def test_a_custodian_sees_the_repair_but_no_arranging_form(client, login_as, session, village, report) -> None:
    login_as(village["custodian"])

    page = client.get(f"/maintenance/{report.id}").get_data(as_text=True)

    assert "待安排" in visible_text(page) and 'name="assignee"' not in page
    token = csrf_token(client, f"/maintenance/{report.id}")
    data = {"csrf_token": token, "assignee": str(village["custodian"].id), "due_on": "2026-06-08"}
    assert client.post(f"/maintenance/{report.id}/repair", data=data).status_code == 403
    assert repair_of(session, report).assignee_id is None


def test_a_flagged_photo_links_to_the_photo_it_repeats_and_its_record_when_in_scope(
    app, client, login_as, session, storage, village, clock, build, county
) -> None:
    first = record(session, storage, village["custodian"], village["asset"], clock, MaintenanceKind.INSPECTION, seed=7)
    clock.advance(days=2)
    elsewhere = build.asset(county.villages["石桥村"], name="石桥村便民桥", code="SQ-QIAO")
    recycled = record(session, storage, village["custodian"], elsewhere, clock, MaintenanceKind.INSPECTION, seed=7)
    assert recycled.flags and not first.flags

    login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    page = client.get(f"/maintenance/{recycled.id}").get_data(as_text=True)
    [match] = re.findall(r'<div class="match error">(.*?)</div>', page, re.S)
    assert f"/p/{first.photos[0].public_token}/full.jpg" in match
    assert f'href="/maintenance/{first.id}">所在记录：SQ-QU 石桥村水渠' in match
    earlier = client.get(f"/maintenance/{first.id}").get_data(as_text=True)
    assert 'class="match' not in earlier  # the earlier one repeats nothing


def test_a_repeated_photo_outside_ones_scope_is_shown_without_its_record(
    app, client, login_as, session, storage, village, clock, build, county
) -> None:
    far = build.asset(county.villages["清水村"], name="清水村水池", code="QS-CHI")
    far_custodian = build.user(Role.CUSTODIAN, county.villages["清水村"])
    first = record(session, storage, far_custodian, far, clock, MaintenanceKind.INSPECTION, seed=9)
    recycled = record(
        session, storage, village["custodian"], village["asset"], clock, MaintenanceKind.INSPECTION, seed=9
    )

    login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    page = client.get(f"/maintenance/{recycled.id}").get_data(as_text=True)

    assert f"/p/{first.photos[0].public_token}/full.jpg" in page
    assert f'href="/maintenance/{first.id}"' not in page and "所在记录不在您的辖区" in page
