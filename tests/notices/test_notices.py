"""Public notices in the domain: the period (calendar days, the district's default), what is refused,
objections as complaints the town handles, the outcome decided at the end (and told to the subject's
domain), withdrawal, and the deadlines that remind the owner and the town."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models import audit
from models.complaints.entities import ComplaintCategory, ComplaintStatus, StepKind
from models.complaints.operations import WrongStep, accept, answer, close, file_complaint, rate, reject
from models.deadlines.sources import sync_deadlines
from models.deadlines.tasks import open_tasks_for
from models.errors import Forbidden, Invalid, NotFound
from models.notices import outcomes
from models.notices.entities import NoticeOutcome, PublicNotice
from models.notices.operations import (
    NoticeClosed,
    decide_ended_notices,
    decide_notice,
    objection_settled,
    publish_notice,
    set_default_days,
    withdraw_notice,
)
from models.notices.queries import active_notices, default_days, notice_for
from models.storage import LocalStorage
from tests.notices.conftest import JUNE_1, LIMITS

TZ = "Asia/Shanghai"


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def decided(monkeypatch):
    """A handler registered for the test's subject kind, recording each notice it is told about."""
    told: list[tuple[int, NoticeOutcome]] = []
    monkeypatch.setitem(
        outcomes.HANDLERS, "evaluation", lambda session, notice, now: told.append((notice.id, notice.outcome))
    )
    return told


def test_a_notice_runs_the_districts_default_ten_calendar_days_counting_the_first(session, make_notice, people, county):
    notice = make_notice(people["clerk"])
    assert (notice.starts_on, notice.ends_on, notice.days) == (JUNE_1, dt.date(2026, 6, 10), 10)
    assert notice.outcome is NoticeOutcome.RUNNING and notice.decided_at is None
    assert notice_for(session, "evaluation", 7) is notice
    [entry] = audit.history(session, "notice", notice.id)
    assert entry.action == "open" and entry.changes["period"] == "2026-06-01至2026-06-10"

    assert default_days(session, county.villages["石桥村"]) == 10
    set_default_days(session, people["admin"], "7", dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    shorter = make_notice(subject_id=8)
    assert shorter.ends_on == dt.date(2026, 6, 7)
    one_day = make_notice(subject_id=9, days=1)
    assert one_day.ends_on == one_day.starts_on


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"days": 0}, "days", "公示结束日期不能早于开始日期"),
        ({"days": -3}, "days", "公示结束日期不能早于开始日期"),
        ({"days": 91}, "days", "公示期最长90天"),
        ({"title": " "}, "title", "标题应为1到60个字"),
        ({"title": "长" * 61}, "title", "标题应为1到60个字"),
        ({"body": "字" * 5001}, "body", "公示内容应为1到5000个字"),
    ],
)
def test_bad_notices_are_refused_with_a_chinese_reason_and_nothing_is_stored(
    session, make_notice, overrides, field, message
):
    with pytest.raises(Invalid) as refused:
        make_notice(**overrides)
    assert message in refused.value.fields[field]
    assert count(session, PublicNotice) == 0


def test_a_manual_notice_that_ends_before_it_starts_or_about_another_villages_asset_is_refused(
    session, people, county, build, clock
):
    elsewhere = build.asset(county.villages["竹林村"])
    with pytest.raises(Invalid) as refused:
        publish_notice(
            session,
            people["town"],
            village=county.villages["石桥村"],
            asset=elsewhere,
            title="收益分配方案公示",
            body="方案全文。",
            starts_on=dt.date(2026, 6, 10),
            ends_on=dt.date(2026, 6, 9),
            now=clock.now(),
        )
    assert refused.value.fields == {"ends_on": "公示结束日期不能早于开始日期。", "asset": "资产不在这个村。"}
    assert count(session, PublicNotice) == 0


def test_only_clerks_and_officials_over_the_village_publish_manual_notices(session, people, county, clock):
    def publish(actor):
        return publish_notice(
            session,
            actor,
            village=county.villages["石桥村"],
            asset=None,
            title="公示",
            body="内容",
            starts_on=JUNE_1,
            ends_on=JUNE_1,
            now=clock.now(),
        )

    for name in ("supervisor", "custodian", "roads"):
        with pytest.raises(Forbidden):
            publish(people[name])
    for name in ("other_clerk", "other_town"):
        with pytest.raises(NotFound):
            publish(people[name])
    assert count(session, PublicNotice) == 0
    assert publish(people["clerk"]).owner_region_id == county.villages["石桥村"].id
    assert publish(people["town"]).owner_region_id == county.towns["青山镇"].id
    assert publish(people["admin"]).owner_region_id == county.district.id


def test_a_subject_is_on_notice_once_at_a_time(session, make_notice, people, clock):
    first = make_notice(people["clerk"])
    with pytest.raises(Invalid) as refused:
        make_notice(people["clerk"], title="再次公示")
    assert "正在公示中" in refused.value.fields["subject"]
    withdraw_notice(session, people["town"], first, reason="自评表有误，重新填报。", now=clock.now())
    again = make_notice(people["clerk"], title="更正后的自评结果公示")
    assert notice_for(session, "evaluation", 7) is again


def test_ending_with_no_objection_passes_and_tells_the_subjects_domain_once(session, make_notice, decided, clock):
    notice = make_notice()
    assert decide_ended_notices(session, dt.date(2026, 6, 10), clock.now()) == 0  # the last day: still running
    assert notice.outcome is NoticeOutcome.RUNNING and decided == []

    assert decide_ended_notices(session, dt.date(2026, 6, 11), clock.now()) == 1
    assert notice.outcome is NoticeOutcome.PASSED and notice.decided_at == clock.now()
    assert decided == [(notice.id, NoticeOutcome.PASSED)]
    assert decide_ended_notices(session, dt.date(2026, 6, 12), clock.now()) == 0
    assert decided == [(notice.id, NoticeOutcome.PASSED)]
    assert audit.history(session, "notice", notice.id)[-1].changes == {"outcome": "公示无异议"}


def test_a_kind_nobody_registered_is_simply_recorded(session, make_notice, clock):
    notice = make_notice(subject_kind="inventory")
    assert "inventory" not in outcomes.HANDLERS
    assert decide_ended_notices(session, dt.date(2026, 6, 11), clock.now()) == 1
    assert notice.outcome is NoticeOutcome.PASSED


def test_one_kind_has_one_handler(monkeypatch):
    monkeypatch.setattr(outcomes, "HANDLERS", {})

    @outcomes.on_notice_decided("disposal")
    def first(session, notice, now) -> None: ...

    outcomes.register("disposal", first)  # the same handler again (a module imported twice) is fine
    with pytest.raises(ValueError, match="already have a handler"):
        outcomes.register("disposal", lambda session, notice, now: None)


def test_an_objection_is_a_complaint_the_town_handles_and_keeps_the_outcome_open(
    session, make_notice, object_to, people, decided, clock, tmp_path
):
    storage = LocalStorage(tmp_path)
    notice = make_notice()
    objection = object_to(notice, contact_name="韦大伯", openid="o_villager")
    assert objection.category is ComplaintCategory.OBJECTION and objection.notice_id == notice.id
    assert objection.asset_id is None and objection.about == f"公示：{notice.title}"
    assert objection.status is ComplaintStatus.NEW and objection.town_handles

    with pytest.raises(Forbidden, match="公示异议由乡镇办理"):
        accept(session, people["clerk"], objection, clock.now())

    assert decide_ended_notices(session, dt.date(2026, 6, 11), clock.now()) == 0
    assert notice.outcome is NoticeOutcome.AWAITING_OBJECTIONS and notice.decided_at is None and decided == []

    accept(session, people["town"], objection, clock.now())
    with pytest.raises(Invalid) as refused:
        answer(session, storage, people["town"], objection, "经核实，水渠确实半年未清理。", [], clock.now())
    assert refused.value.fields == {"upheld": "请选择异议是否成立。"}
    answer(session, storage, people["town"], objection, "经核实，水渠确实半年未清理。", [], clock.now(), upheld=True)
    assert objection.upheld is True and objection.steps[-1].note.startswith("异议成立。")
    objection_settled(session, notice.id, dt.date(2026, 6, 12), clock.now())
    assert notice.outcome is NoticeOutcome.AWAITING_OBJECTIONS  # answered, not yet rated or closed

    rate(session, objection, "满意", clock.now(), LIMITS)
    objection_settled(session, notice.id, dt.date(2026, 6, 12), clock.now())
    assert notice.outcome is NoticeOutcome.UPHELD and decided == [(notice.id, NoticeOutcome.UPHELD)]
    assert [e.action for e in audit.history(session, "notice", notice.id)] == ["open", "await_objections", "decide"]


def test_an_objection_not_upheld_or_refused_lets_the_notice_pass(
    session, make_notice, object_to, people, clock, tmp_path
):
    storage = LocalStorage(tmp_path)
    notice = make_notice()
    refused = object_to(notice)
    not_upheld = object_to(notice, reason="我认为第二项应该扣分更多。")
    reject(session, people["town"], refused, "异议内容与本次公示无关。", clock.now())
    accept(session, people["town"], not_upheld, clock.now())
    answer(session, storage, people["town"], not_upheld, "经核实，巡查记录齐全。", [], clock.now(), upheld=False)
    close(session, people["town"], not_upheld, clock.now())
    assert decide_notice(session, notice, dt.date(2026, 6, 11), clock.now()) is True
    assert notice.outcome is NoticeOutcome.PASSED


def test_objections_are_taken_only_while_the_notice_runs_and_never_from_the_asset_form(
    session, make_notice, object_to, clock, build, county, tmp_path
):
    later = make_notice(starts_on=dt.date(2026, 6, 5))
    with pytest.raises(WrongStep, match="不在公示期内"):
        object_to(later)
    ended = make_notice(subject_id=8, starts_on=dt.date(2026, 5, 1))
    with pytest.raises(WrongStep):
        object_to(ended)
    with pytest.raises(Invalid) as too_short:
        object_to(make_notice(subject_id=9), reason="不对")
    assert too_short.value.fields == {"reason": "异议理由至少写5个字。"}
    with pytest.raises(Invalid) as no_such_category:
        file_complaint(
            session,
            LocalStorage(tmp_path),
            build.asset(county.villages["石桥村"]),
            category="公示异议",
            description="想用资产的表单提异议。",
            contact_name=None,
            contact_phone=None,
            photos=[],
            openid=None,
            now=clock.now(),
            limits=LIMITS,
        )
    assert no_such_category.value.fields == {"category": "请选择问题类别。"}
    assert session.scalar(select(func.count()).select_from(PublicNotice)) == 3
    assert later.outcome is ended.outcome is NoticeOutcome.RUNNING


def test_withdrawing_stops_the_notice_and_closes_its_open_objections_with_a_note(
    session, make_notice, object_to, people, build, county, clock, decided
):
    asset = build.asset(county.villages["石桥村"])
    notice = make_notice(asset=asset)
    assert active_notices(session, asset, JUNE_1) == [notice]
    objection = object_to(notice)

    for name, refusal in (("supervisor", Forbidden), ("other_town", NotFound)):
        with pytest.raises(refusal):
            withdraw_notice(session, people[name], notice, reason="不对", now=clock.now())
    with pytest.raises(Invalid):
        withdraw_notice(session, people["town"], notice, reason=" ", now=clock.now())
    assert notice.outcome is NoticeOutcome.RUNNING and objection.status is ComplaintStatus.NEW

    withdraw_notice(session, people["town"], notice, reason="自评表有误，重新填报。", now=clock.now())
    assert notice.outcome is NoticeOutcome.WITHDRAWN and notice.decided_at == clock.now()
    assert notice.withdrawal_reason == "自评表有误，重新填报。"
    assert objection.status is ComplaintStatus.CLOSED
    assert objection.steps[-1].kind is StepKind.CLOSED and "公示已撤回" in objection.steps[-1].note
    assert active_notices(session, asset, JUNE_1) == []
    assert audit.history(session, "notice", notice.id)[-1].changes == {
        "reason": "自评表有误，重新填报。",
        "objections_closed": 1,
    }
    with pytest.raises(NoticeClosed):
        withdraw_notice(session, people["town"], notice, reason="再撤一次", now=clock.now())
    assert decide_ended_notices(session, dt.date(2026, 6, 20), clock.now()) == 0 and decided == []


def test_only_the_district_admin_sets_the_default_period(session, people, clock):
    with pytest.raises(Forbidden):
        set_default_days(session, people["town"], "7", clock.now())
    for bad in ("0", "91", "七", ""):
        with pytest.raises(Invalid):
            set_default_days(session, people["admin"], bad, clock.now())
    assert set_default_days(session, people["admin"], " 15 ", clock.now()).days == 15


# -- deadlines -------------------------------------------------------------------------------------


def tasks(session, user, today) -> list[str]:
    return [f"{t.deadline.title}|{t.state}" for t in open_tasks_for(session, user, today)]


def test_the_end_reminds_the_unit_that_opened_the_notice_and_waits_for_objections(
    session, make_notice, object_to, people, clock, county
):
    evaluation = make_notice(people["supervisor"])  # started by the supervisors' signatures: the village's
    manual = publish_notice(
        session,
        people["town"],
        village=county.villages["石桥村"],
        asset=None,
        title="道路养护经费使用情况",
        body="全文。",
        starts_on=JUNE_1,
        ends_on=dt.date(2026, 6, 5),
        now=clock.now(),
    )
    object_to(evaluation)
    sync_deadlines(session, clock.now(), TZ)
    assert tasks(session, people["clerk"], JUNE_1) == [f"公示期满：{evaluation.title}|还剩9天"]
    assert tasks(session, people["town"], JUNE_1) == [
        f"受理公示异议：{evaluation.title}|还剩3天",
        f"答复公示异议：{evaluation.title}|还剩15天",
        "公示期满：道路养护经费使用情况|还剩4天",
    ]
    assert tasks(session, people["other_town"], JUNE_1) == [] and tasks(session, people["admin"], JUNE_1) == []

    later = dt.datetime(2026, 6, 11, 2, tzinfo=dt.UTC)
    decide_ended_notices(session, dt.date(2026, 6, 11), later)
    sync_deadlines(session, later, TZ)
    assert manual.outcome is NoticeOutcome.PASSED and evaluation.outcome is NoticeOutcome.AWAITING_OBJECTIONS
    assert tasks(session, people["clerk"], dt.date(2026, 6, 11)) == [f"公示期满：{evaluation.title}|逾期1天"]
    assert [t for t in tasks(session, people["town"], dt.date(2026, 6, 11)) if "道路养护" in t] == []
