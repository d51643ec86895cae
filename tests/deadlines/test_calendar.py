"""The yearly calendar as data, concrete tasks per region, done marking with evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import audit
from models.deadlines.calendar import ensure_calendar, ensure_deadlines, move_calendar_entry
from models.deadlines.entities import CALENDAR_ENTITY, ENTITY, Deadline
from models.deadlines.operations import close_deadline, mark_done, open_deadline
from models.deadlines.tasks import open_tasks_for
from models.errors import Forbidden, Invalid, NotFound
from models.people import Role
from tests.support.clock import TEST_NOW


def _deadline(session, kind: str, region) -> Deadline:
    return session.scalar(select(Deadline).where(Deadline.kind_code == kind, Deadline.region_id == region.id))


def test_calendar_defaults_follow_the_domain_table(session, county) -> None:
    entries = {e.kind_code: e for e in ensure_calendar(session, county.district, 2026)}

    assert entries["trade_asset_list"].due_on == dt.date(2026, 1, 25)
    assert entries["performance_targets"].due_on == dt.date(2026, 1, 31)
    assert entries["asset_inventory"].due_on == dt.date(2026, 6, 2)
    assert entries["midyear_self_check"].due_on == dt.date(2026, 6, 30)
    assert (entries["onsite_verification"].starts_on, entries["onsite_verification"].due_on) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 8, 10),
    )
    assert entries["village_self_evaluation"].due_on == dt.date(2026, 12, 10)
    assert entries["town_rating"].due_on == dt.date(2026, 12, 31)
    assert "complaint_limit" not in entries  # event deadlines are not on the calendar


def test_tasks_are_made_once_per_responsible_region(session, county) -> None:
    created = ensure_deadlines(session, county.district, 2026, TEST_NOW)
    again = ensure_deadlines(session, county.district, 2026, TEST_NOW)

    assert again == 0
    # 12 villages × 3 village kinds, 3 towns × 4 town kinds, 2 district kinds, 1 per department
    departments = created - (12 * 3 + 3 * 4 + 2)
    assert departments > 0
    task = _deadline(session, "village_self_evaluation", county.villages["石桥村"])
    assert (task.title, task.due_on, task.place) == (
        "2026年年终自评（签字并公示10天）报镇",
        dt.date(2026, 12, 10),
        "青山镇石桥村",
    )
    assert task.upper_region_id == county.towns["青山镇"].id
    assert session.scalar(select(Deadline).where(Deadline.kind_code == "onsite_verification")) is None


def test_a_moved_date_moves_open_tasks_only_and_is_audited(session, county, build) -> None:
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    ensure_deadlines(session, county.district, 2026, TEST_NOW)
    finished = _deadline(session, "village_self_evaluation", county.villages["竹林村"])
    close_deadline(session, finished.key, "evaluation:1", TEST_NOW)  # reported to the town
    entry = next(e for e in ensure_calendar(session, county.district, 2026) if e.kind_code == "village_self_evaluation")

    move_calendar_entry(session, admin, entry, dt.date(2026, 12, 15), None, TEST_NOW)

    assert _deadline(session, "village_self_evaluation", county.villages["石桥村"]).due_on == dt.date(2026, 12, 15)
    assert finished.due_on == dt.date(2026, 12, 10)
    [entry_log] = audit.history(session, CALENDAR_ENTITY, entry.id)
    assert entry_log.actor_id == admin.id
    assert entry_log.changes["from"]["due_on"] == "2026-12-10"
    assert entry_log.changes["to"]["due_on"] == "2026-12-15"


def test_only_the_district_office_moves_dates_and_within_the_year(session, county, build) -> None:
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    entry = ensure_calendar(session, county.district, 2026)[0]

    with pytest.raises(Forbidden):
        move_calendar_entry(session, town, entry, dt.date(2026, 2, 1), None, TEST_NOW)
    with pytest.raises(Invalid) as refused:
        move_calendar_entry(session, admin, entry, dt.date(2027, 1, 2), None, TEST_NOW)
    assert refused.value.fields["due_on"] == "截止日期应在2026年内。"


def test_done_needs_evidence_and_is_audited(session, county, build) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    ensure_deadlines(session, county.district, 2026, TEST_NOW)
    task = _deadline(session, "village_rectification", county.villages["石桥村"])

    with pytest.raises(Invalid) as refused:
        mark_done(session, clerk, task.id, note="  ", today=dt.date(2026, 6, 1), now=TEST_NOW)
    assert refused.value.fields["note"] == "请填写完成情况说明，或附上文件、记录。"
    assert task.done_at is None

    mark_done(session, clerk, task.id, note="已整改", record="整改台账2026-03", today=dt.date(2026, 6, 1), now=TEST_NOW)

    assert task.done_at == TEST_NOW and task.done_by_id == clerk.id
    assert task.evidence == {"note": "已整改", "record": "整改台账2026-03"}
    [entry] = audit.history(session, ENTITY, task.id)
    assert entry.action == "done" and entry.actor_id == clerk.id


def test_the_evaluation_steps_are_done_by_doing_them_not_by_a_note(session, county, build) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    ensure_deadlines(session, county.district, 2026, TEST_NOW)
    task = _deadline(session, "midyear_self_check", county.villages["石桥村"])
    with pytest.raises(Forbidden):
        mark_done(session, clerk, task.id, note="两委已签字", today=dt.date(2026, 6, 1), now=TEST_NOW)
    assert task.done_at is None


def test_a_task_of_another_village_is_not_found(session, county, build) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    ensure_deadlines(session, county.district, 2026, TEST_NOW)
    other = _deadline(session, "midyear_self_check", county.villages["竹林村"])

    with pytest.raises(NotFound):
        mark_done(session, clerk, other.id, note="x", today=dt.date(2026, 6, 1), now=TEST_NOW)


def test_my_tasks_show_own_tasks_and_overdue_ones_of_the_level_below(session, county, build) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    ensure_deadlines(session, county.district, 2026, TEST_NOW)

    june = open_tasks_for(session, clerk, dt.date(2026, 6, 28))
    assert [t.deadline.kind_code for t in june][:1] == ["midyear_self_check"]
    assert june[0].state == "还剩2天" and not june[0].escalated

    before = open_tasks_for(session, town, dt.date(2026, 6, 30))
    after = open_tasks_for(session, town, dt.date(2026, 7, 1))
    assert not any(t.escalated for t in before)
    escalated = [t for t in after if t.escalated]
    assert len(escalated) == 4  # the four villages of 青山镇
    assert escalated[0].state == "逾期1天"
    with pytest.raises(Forbidden):
        mark_done(session, town, escalated[0].deadline.id, note="x", today=dt.date(2026, 7, 1), now=TEST_NOW)


def test_other_features_open_and_close_their_deadlines_once(session, county) -> None:
    village = county.villages["清水村"]
    first = open_deadline(
        session,
        kind="complaint_limit",
        region=village,
        source="complaint:7",
        due_on=dt.date(2026, 6, 16),
        title="群众反映：路灯不亮",
        now=TEST_NOW,
    )
    again = open_deadline(
        session,
        kind="complaint_limit",
        region=village,
        source="complaint:7",
        due_on=dt.date(2026, 6, 20),
        title="群众反映：路灯不亮",
        now=TEST_NOW,
    )

    assert again.id == first.id and first.due_on == dt.date(2026, 6, 16) and first.urgent
    close_deadline(session, first.key, "complaint:7:answered", TEST_NOW)
    assert first.is_done and first.evidence == {"record": "complaint:7:answered"}
