"""The scheduler end to end against the fake WeChat on loopback, with a clock we move by hand:
a whole year day by day, a kill between recorded and confirmed, two schedulers, a missed week,
a moved deadline, an unsubscribed official."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from infra.settings import SANDBOX_TEMPLATE_IDS
from jobs.scheduler import JOBS, UNEXPECTED_FAILURE, Runner, build_scheduler
from models.deadlines.calendar import ensure_calendar, move_calendar_entry
from models.deadlines.entities import Deadline, Digest, DigestStatus
from models.deadlines.operations import close_deadline
from models.errors import DomainError
from models.people import Role
from models.scheduling.entities import Lease
from models.scheduling.jobs import SCHEDULER_LEASE
from models.scheduling.operations import hold_lease
from models.scheduling.queries import current_lease, job_states
from models.shared_state import MARK, SharedMark, mark_params, purge_marks
from models.wechat.deliveries import claim_delivery
from models.wechat.entities import Delivery, DeliveryChannel, DeliveryStatus
from models.wechat.visitors import can_push
from tests.support.clock import morning
from web.cli import cli

TEMPLATE = "cgi-bin/message/template/send"
CUSTOM = "cgi-bin/message/custom/send"
TEMPLATE_ID = SANDBOX_TEMPLATE_IDS["reminder"]  # a template the fake account has
STEPS = [-7, -3, -1, 0, 1, 2, 3, 4, 5, 6, 7]
AFTER = [1, 2, 3, 4, 5, 6, 7]


@pytest.fixture
def app(app_factory, fake):
    return app_factory(**fake.client_config(WECHAT_REMINDER_TEMPLATE_ID=TEMPLATE_ID))


def staff(build, county, openids: bool = True):
    people = {
        "admin": build.user(Role.DISTRICT_ADMIN, county.district),
        "roads": build.user(Role.DEPARTMENT, county.district, department="交通运输局"),
        "qingshan": build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]),
        "shiqiao": build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]),
        "zhulin": build.user(Role.VILLAGE_CLERK, county.villages["竹林村"]),
        "supervisor": build.user(Role.VILLAGE_SUPERVISOR, county.villages["石桥村"]),
    }
    if openids:
        for name, user in people.items():
            if name != "supervisor":  # never bound WeChat: unreachable
                user.wechat_openid = f"o_{name}"
    build.session.flush()
    return people


def sent_days(session, user) -> list[dt.date]:
    """The mornings a person was sent a digest, from the delivery rows."""
    keys = session.scalars(
        select(Delivery.key).where(Delivery.key.like(f"digest:{user.id}:%"), Delivery.status == DeliveryStatus.SENT)
    )
    return sorted(dt.date.fromisoformat(key.rsplit(":", 1)[1]) for key in keys)


def plan_days(dues: list[str], offsets: list[int] = STEPS, until: str = "2026-12-31") -> set[dt.date]:  # noqa: B006
    last = dt.date.fromisoformat(until)
    return {day for due in dues for o in offsets if (day := dt.date.fromisoformat(due) + dt.timedelta(days=o)) <= last}


def test_a_whole_year_day_by_day_reaches_each_person_on_the_planned_mornings(
    app, fake, session, county, build, clock
) -> None:
    people = staff(build, county)
    runner = Runner(app)
    day = dt.date(2026, 1, 1)
    while day <= dt.date(2026, 12, 31):
        morning(clock, day, hour=0, minute=10)  # 08:10: before the digest time, nothing goes out
        runner.tick("digests")
        morning(clock, day)
        runner.tick_all()
        morning(clock, day, hour=6)  # 14:00: a later tick sends nothing twice
        runner.tick("digests")
        if day == dt.date(2026, 6, 26):  # 竹林村 files its mid-year self-check
            task = session.scalar(
                select(Deadline).where(
                    Deadline.kind_code == "midyear_self_check", Deadline.region_id == county.villages["竹林村"].id
                )
            )
            close_deadline(session, task.key, "evaluation:1", clock.now())  # both supervisors signed
            session.commit()
        day += dt.timedelta(days=1)

    village = ["2026-06-30", "2026-08-20", "2026-12-10"]
    assert set(sent_days(session, people["shiqiao"])) == plan_days(village)
    assert set(sent_days(session, people["zhulin"])) == (plan_days(village) - plan_days(["2026-06-30"])) | {
        dt.date(2026, 6, 23)
    }
    town_own = ["2026-06-02", "2026-06-25", "2026-08-20", "2026-12-20"]
    assert set(sent_days(session, people["qingshan"])) == plan_days(town_own) | plan_days(
        village, AFTER
    )  # and past due, what the villages below let pass
    assert set(sent_days(session, people["roads"])) == plan_days(["2026-01-25"])
    assert set(sent_days(session, people["admin"])) == plan_days(["2026-01-31", "2026-12-31"]) | plan_days(
        ["2026-01-25", *town_own], AFTER
    )
    # exactly once: one WeChat call per delivery row, all of them template messages
    deliveries = session.scalars(select(Delivery)).all()
    calls = fake.calls(TEMPLATE)
    assert len(calls) == len(deliveries) > 150
    assert {d.channel for d in deliveries} == {DeliveryChannel.TEMPLATE}
    # the unbound supervisor is listed, never sent to
    unreachable = session.scalars(select(Digest).where(Digest.user_id == people["supervisor"].id)).all()
    assert unreachable and {d.status for d in unreachable} == {DigestStatus.UNREACHABLE}
    # what the clerk read on the day the self-evaluation was due
    body = next(
        c.body["request"]
        for c in calls
        if c.body["request"]["touser"] == "o_shiqiao"
        and c.body["request"]["data"]["time2"]["value"] == "2026年12月10日"
        and c.body["request"]["data"]["phrase3"]["value"] == "今天截止"
    )
    assert body["template_id"] == TEMPLATE_ID and body["url"] == "http://guanhu.test/tasks"
    assert body["data"]["thing1"]["value"] == "2026年年终自评（签字并公示10天）…"
    assert len(body["data"]["thing1"]["value"]) == 20


def test_a_kill_between_recorded_and_confirmed_is_never_resent(app, fake, session, county, build, clock) -> None:
    people = staff(build, county)
    runner = Runner(app)
    morning(clock, dt.date(2026, 6, 23))
    runner.tick("calendars")
    # the process died right after recording the push, before WeChat was called
    key = f"digest:{people['shiqiao'].id}:2026-06-23"
    claim_delivery(session, key=key, openid="o_shiqiao", channel=DeliveryChannel.TEMPLATE, payload={}, now=clock.now())
    session.commit()

    runner.tick("digests")  # the restarted scheduler
    clock.advance(minutes=5)
    runner.tick("digests")

    recorded = session.scalar(select(Delivery).where(Delivery.key == key))
    assert recorded.status is DeliveryStatus.PENDING  # shown as unconfirmed, not sent blindly
    touched = {call.body["request"]["touser"] for call in fake.calls(TEMPLATE)}
    assert "o_shiqiao" not in touched and "o_zhulin" in touched


def test_two_schedulers_at_once_only_one_sends(app, fake, session, county, build, clock) -> None:
    staff(build, county)
    first, second = Runner(app, holder="host-a:1"), Runner(app, holder="host-b:2")
    morning(clock, dt.date(2026, 6, 23))

    assert first.tick("calendars") is True
    assert second.tick("calendars") is False
    assert second.tick("digests") is False
    assert first.tick("digests") is True
    assert current_lease(session, SCHEDULER_LEASE).holder == "host-a:1"
    sent = len(fake.calls(TEMPLATE))
    assert sent == 2  # the two clerks (mid-year self-check, 7 days before)

    clock.advance(minutes=20)  # the first one dies; its lease runs out
    assert second.tick("digests") is True
    assert len(fake.calls(TEMPLATE)) == sent


def test_a_missed_week_gives_one_catch_up_digest_not_seven(app, fake, session, county, build, clock) -> None:
    people = staff(build, county)
    runner = Runner(app)
    morning(clock, dt.date(2026, 6, 20))
    runner.tick_all()
    morning(clock, dt.date(2026, 6, 29), hour=7)  # the machine was off for a week; back at 15:00
    runner.tick_all()
    runner.tick_all()

    assert sent_days(session, people["shiqiao"]) == [dt.date(2026, 6, 29)]
    assert sent_days(session, people["qingshan"]) == [dt.date(2026, 6, 29)]
    digest = session.scalar(select(Digest).where(Digest.user_id == people["qingshan"].id))
    kinds = [session.get(Deadline, i).kind_code for i in digest.deadline_ids]
    # data entry (due 6-25) came and went in the week; the inventory's last step (6-09) did not
    assert kinds == ["system_data_entry"]
    assert len(fake.calls(TEMPLATE)) == 4  # the two clerks, the town, and the district (overdue)


def test_a_moved_deadline_moves_its_reminders(app, fake, session, county, build, clock) -> None:
    people = staff(build, county)
    runner = Runner(app)
    morning(clock, dt.date(2026, 12, 1))
    runner.tick("calendars")
    entry = next(e for e in ensure_calendar(session, county.district, 2026) if e.kind_code == "village_self_evaluation")
    move_calendar_entry(session, people["admin"], entry, dt.date(2026, 12, 15), None, clock.now())
    session.commit()

    day = dt.date(2026, 12, 1)
    while day <= dt.date(2026, 12, 16):
        morning(clock, day)
        runner.tick_all()
        day += dt.timedelta(days=1)

    assert sent_days(session, people["shiqiao"]) == [
        dt.date(2026, 12, 8),
        dt.date(2026, 12, 12),
        dt.date(2026, 12, 14),
        dt.date(2026, 12, 15),
        dt.date(2026, 12, 16),
    ]


def test_an_unsubscribed_official_is_recorded_shown_and_not_retried(app, fake, session, county, build, clock) -> None:
    people = {"shiqiao": build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="王村官")}
    people["shiqiao"].wechat_openid = "o_gone"
    session.flush()
    fake.fault(TEMPLATE, 43004, times=5)
    runner = Runner(app)
    morning(clock, dt.date(2026, 6, 23))
    runner.tick_all()
    runner.tick_all()

    [delivery] = session.scalars(select(Delivery)).all()
    assert (delivery.status, delivery.error_code) == (DeliveryStatus.UNREACHABLE, 43004)
    assert len(fake.calls(TEMPLATE)) == 1
    assert not can_push(session, "o_gone")

    morning(clock, dt.date(2026, 6, 27))  # the next step: listed as unreachable, not sent
    runner.tick_all()
    assert len(fake.calls(TEMPLATE)) == 1
    digest = session.scalar(select(Digest).where(Digest.local_date == dt.date(2026, 6, 27)))
    assert digest.status is DigestStatus.UNREACHABLE


def test_without_a_reminder_template_digests_go_as_customer_service_messages(
    app_factory, fake, session, county, build, clock
) -> None:
    people = staff(build, county)
    unconfigured = app_factory(**fake.client_config())  # no template id: what the account allows
    runner = Runner(unconfigured)
    morning(clock, dt.date(2026, 6, 23))
    runner.tick_all()
    runner.tick("digests")

    states = {state.name: state for state in job_states(session)}
    assert states["calendars"].failures == 0 and states["calendars"].last_ok_at == clock.now()
    assert states["digests"].failures == 0 and states["digests"].last_error is None
    assert fake.calls(TEMPLATE) == []
    text = {call.openid: call.body["request"]["text"]["content"] for call in fake.calls(CUSTOM)}["o_shiqiao"]
    assert text.startswith("【待办提醒】2026年年中自查") and text.endswith("查看：http://guanhu.test/tasks")
    digest = session.scalar(select(Delivery).where(Delivery.key.like(f"digest:{people['shiqiao'].id}:%")))
    assert (digest.channel, digest.status) == (DeliveryChannel.CUSTOM, DeliveryStatus.SENT)


def test_a_domain_failure_is_recorded_with_its_chinese_message(app, session, clock, monkeypatch) -> None:
    def refused(session, now):
        raise DomainError("提醒没有发出：辖区还没有设置任务日历。")

    monkeypatch.setattr(
        "jobs.scheduler.JOBS", tuple(replace(job, run=refused) if job.name == "digests" else job for job in JOBS)
    )
    runner = Runner(app)
    runner.tick("digests")
    runner.tick("digests")

    state = {state.name: state for state in job_states(session)}["digests"]
    assert (state.failures, state.last_error) == (2, "提醒没有发出：辖区还没有设置任务日历。")


def test_an_unexpected_failure_is_told_in_chinese_and_its_stack_is_logged(app, session, clock, monkeypatch, caplog):
    def broken(session, now):
        raise KeyError("digest_time")

    monkeypatch.setattr(
        "jobs.scheduler.JOBS", tuple(replace(job, run=broken) if job.name == "digests" else job for job in JOBS)
    )
    Runner(app).tick("digests")
    state = {state.name: state for state in job_states(session)}["digests"]
    assert state.failures == 1 and state.last_error == UNEXPECTED_FAILURE
    assert "KeyError" not in state.last_error and "KeyError: 'digest_time'" in caplog.text


def test_the_scheduler_has_tick_jobs_that_coalesce_and_tolerate_misfires(app) -> None:
    scheduler, _runner = build_scheduler(app, blocking=False)
    jobs = {job.id: job for job in scheduler.get_jobs()}

    assert set(jobs) == {"calendars", "notices", "sources", "urgent", "digests", "retries", "claims", "marks"}
    for job in jobs.values():
        assert job.max_instances == 1 and job.coalesce is True
        assert job.misfire_grace_time >= 3600
    assert not scheduler.running


def test_the_scheduler_command_once_runs_every_job(app, fake, session, county, build, clock) -> None:

    staff(build, county)
    session.commit()
    morning(clock, dt.date(2026, 6, 23))

    result = app.test_cli_runner().invoke(cli, ["scheduler", "--once"])

    assert result.exit_code == 0, result.output
    assert {state.name for state in job_states(session)} == {
        "calendars",
        "notices",
        "sources",
        "urgent",
        "digests",
        "retries",
        "claims",
        "marks",
    }
    assert len(fake.calls(TEMPLATE)) == 2


def test_the_lease_is_exclusive_across_real_connections(engine) -> None:
    """Two processes' own connections and transactions: the second does not get the lease."""

    at = dt.datetime(2026, 6, 23, tzinfo=dt.UTC)
    try:
        with Session(engine) as first, Session(engine) as second:
            assert hold_lease(first, "test-lease", "a", at, 60)
            first.commit()
            assert not hold_lease(second, "test-lease", "b", at + dt.timedelta(seconds=30), 60)
            second.rollback()
            assert hold_lease(first, "test-lease", "a", at + dt.timedelta(seconds=30), 60)
            first.commit()
            assert hold_lease(second, "test-lease", "b", at + dt.timedelta(seconds=91), 60)
            second.commit()
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(Lease).where(Lease.name == "test-lease"))
            cleanup.commit()


def test_marks_past_their_window_are_purged(session, clock) -> None:
    MARK.first(session.connection(), mark_params("stays", clock.now(), dt.timedelta(hours=2)))
    MARK.first(session.connection(), mark_params("goes", clock.now(), dt.timedelta(minutes=30)))
    assert purge_marks(session, clock.now() + dt.timedelta(hours=1)) == "删除 1 条过期计数"
    assert [mark.key for mark in session.scalars(select(SharedMark))] == ["stays"]
