"""The village side of the cycle: the clerk's form from the proposals, the two signatures, the
notice and the report to the town, sending back and reopening — and the bad input of each step."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import audit
from models.assets.entities import Asset
from models.complaints.entities import Rating
from models.complaints.operations import ComplaintLimits, file_objection
from models.deadlines.entities import Deadline
from models.errors import Forbidden, Invalid, NotFound
from models.evaluations.entities import CareRating, Stage, Status
from models.evaluations.form import ENTITY, Locked, ScoreEntry, open_evaluation, save_scores, submit
from models.evaluations.signing import NOTICE_KIND, reopen, send_back, sign
from models.notices.entities import NoticeOutcome
from models.notices.operations import decide_notice
from models.notices.queries import notice_for
from models.people import Role, VillagePost
from tests.evaluations.conftest import TZ, full_marks

TODAY = dt.date(2026, 6, 1)


def deadline(session, kind, village):
    return session.scalar(select(Deadline).where(Deadline.kind_code == kind, Deadline.region_id == village.id))


def test_the_form_starts_from_the_proposals_and_a_change_needs_a_reason(session, people, clock):
    evaluation = open_evaluation(
        session, people.clerk, people.village, 2026, Stage.SELF_EVALUATION, now=clock.now(), timezone=TZ
    )
    assert len(evaluation.scores) == 8 and evaluation.status is Status.DRAFT
    first = evaluation.scores[0]  # custodian named: proposed full marks
    assert first.proposed == Decimal("12.5") and first.evidence["items"][0]["count"] == 1
    daily = evaluation.scores[1]  # no inspection at all in five months: 0 proposed
    assert daily.proposed == 0

    with pytest.raises(Invalid) as refused:
        save_scores(session, people.clerk, evaluation, {first.id: ScoreEntry("10")}, clock.now())
    assert "请说明修改理由" in refused.value.fields[f"reason-{first.id}"]
    with pytest.raises(Invalid) as too_high:
        save_scores(session, people.clerk, evaluation, {daily.id: ScoreEntry("13")}, clock.now())
    assert "0到12.5之间" in too_high.value.fields[f"score-{daily.id}"]
    assert first.confirmed is None and daily.confirmed is None  # nothing half-written

    save_scores(session, people.clerk, evaluation, {first.id: ScoreEntry("10", "一处资产管护人已离村")}, clock.now())
    assert (first.confirmed, first.change_reason) == (Decimal("10.0"), "一处资产管护人已离村")
    with pytest.raises(Invalid) as incomplete:
        submit(session, people.clerk, evaluation, clock.now())
    assert "偏差原因及改进措施" in incomplete.value.fields[f"shortfall-{first.id}"]
    assert "还没有评分" in incomplete.value.fields[f"score-{daily.id}"]
    [scored] = [e for e in audit.history(session, ENTITY, evaluation.id) if e.action == "score"]
    assert scored.changes["公益性第1项"]["得分"] == [None, "10.0"]


def test_the_shortfall_text_is_asked_where_actual_falls_short_of_target_or_without_target_below_full(
    session, people, clock
):
    evaluation = open_evaluation(
        session, people.clerk, people.village, 2026, Stage.SELF_EVALUATION, now=clock.now(), timezone=TZ
    )
    by_rule = {score.item.rule: score for score in evaluation.scores}
    named, daily = by_rule["custodian_coverage"], by_rule["daily_custody"]  # actual 100 % and 0 % of target
    untargeted = by_rule["disposal"]  # scored by hand
    assert named.evidence["target"] == "100" and daily.evidence["actual"] == "0.0"
    assert untargeted.evidence["target"] is None
    entries = full_marks(evaluation)
    entries[daily.id] = ScoreEntry(str(daily.item.points), "台账核对后应得满分")  # full points, actual still short
    entries[untargeted.id] = ScoreEntry(str(untargeted.item.points - 1))
    save_scores(session, people.clerk, evaluation, entries, clock.now())
    with pytest.raises(Invalid) as refused:
        submit(session, people.clerk, evaluation, clock.now())
    assert set(refused.value.fields) == {f"shortfall-{daily.id}", f"shortfall-{untargeted.id}"}
    assert "未达到绩效目标" in refused.value.fields[f"shortfall-{daily.id}"]
    assert "未得满分" in refused.value.fields[f"shortfall-{untargeted.id}"]

    entries[named.id] = ScoreEntry("12", "一处管护人未签协议")  # target met, but below the proposal
    entries[daily.id] = ScoreEntry(str(daily.item.points), "台账核对后应得满分", "补齐巡查记录")
    entries[untargeted.id] = ScoreEntry(str(untargeted.item.points - 1), shortfall="补办处置手续")
    save_scores(session, people.clerk, evaluation, entries, clock.now())
    with pytest.raises(Invalid) as below_proposal:
        submit(session, people.clerk, evaluation, clock.now())
    assert list(below_proposal.value.fields) == [f"shortfall-{named.id}"]
    assert "得分低于系统建议分" in below_proposal.value.fields[f"shortfall-{named.id}"]


def test_two_different_posts_sign_then_the_notice_runs_and_passing_reports_to_the_town(
    session, people, submitted, clock
):
    evaluation = submitted()
    assert evaluation.status is Status.SIGNING and evaluation.self_score == Decimal("100.0")
    with pytest.raises(Forbidden):
        sign(session, people.clerk, evaluation, today=TODAY, now=clock.now())  # the clerk holds no post
    with pytest.raises(NotFound):
        sign(session, people.other_clerk, evaluation, today=TODAY, now=clock.now())
    first = sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    with pytest.raises(Invalid) as twice:
        sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    assert "不能重复签字" in twice.value.fields["sign"]
    assert first.snapshot_sha256 == hashlib.sha256(first.snapshot.encode()).hexdigest()
    assert json.loads(first.snapshot)["items"][0]["score"] == "12.5"
    assert evaluation.status is Status.SIGNING

    sign(session, people.board, evaluation, today=TODAY, now=clock.now())
    notice = notice_for(session, NOTICE_KIND, evaluation.id)
    assert evaluation.status is Status.ON_NOTICE and notice.days == 10 and notice.starts_on == TODAY
    assert "自评得分100.0分" in notice.body and "群众年度管护评价" not in notice.body  # nobody rated yet
    with pytest.raises(Locked):
        save_scores(session, people.clerk, evaluation, {}, clock.now())

    decide_notice(session, notice, notice.ends_on + dt.timedelta(days=1), clock.now())
    assert notice.outcome is NoticeOutcome.PASSED and evaluation.status is Status.REPORTED
    assert deadline(session, "village_self_evaluation", people.village).done_at is not None


def test_an_objection_keeps_it_on_notice_and_when_upheld_sends_it_back(session, people, submitted, clock):
    road = session.scalar(select(Asset))
    for number, rating in enumerate((Rating.SATISFIED, Rating.SATISFIED, Rating.UNSATISFIED)):
        session.add(CareRating(asset_id=road.id, year=2026, rating=rating, openid=f"o{number}", created_at=clock.now()))
    evaluation = submitted()
    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    sign(session, people.board, evaluation, today=TODAY, now=clock.now())
    notice = notice_for(session, NOTICE_KIND, evaluation.id)
    assert "群众年度管护评价：满意2人，基本满意0人，不满意1人。" in notice.body  # the village's page shows them
    objection = file_objection(
        session,
        notice,
        reason="道路坏了很久没人修",
        contact_name=None,
        contact_phone=None,
        openid=None,
        now=clock.now(),
        limits=ComplaintLimits(timezone=TZ),
    )
    after = notice.ends_on + dt.timedelta(days=1)
    decide_notice(session, notice, after, clock.now())
    assert notice.outcome is NoticeOutcome.AWAITING_OBJECTIONS and evaluation.status is Status.ON_NOTICE
    objection.upheld, objection.status = True, objection.status.__class__.CLOSED
    decide_notice(session, notice, after, clock.now())
    assert notice.outcome is NoticeOutcome.UPHELD and evaluation.status is Status.SENT_BACK
    assert not evaluation.valid_signatures and "异议成立" in evaluation.sent_back_reason


def test_a_self_check_is_filed_with_the_town_once_both_have_signed(session, people, submitted, clock):
    evaluation = submitted(Stage.SELF_CHECK)
    sign(session, people.board, evaluation, today=TODAY, now=clock.now())
    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    assert evaluation.status is Status.REPORTED and notice_for(session, NOTICE_KIND, evaluation.id) is None
    assert deadline(session, "midyear_self_check", people.village).done_at is not None


def test_a_supervisor_sends_it_back_with_a_reason_and_the_clerk_edits_again(session, people, submitted, clock):
    evaluation = submitted()
    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    with pytest.raises(Invalid):
        send_back(session, people.board, evaluation, "  ", clock.now())
    send_back(session, people.board, evaluation, "第2项与台账不符", clock.now())
    assert evaluation.status is Status.SENT_BACK and evaluation.sent_back_reason == "第2项与台账不符"
    assert not evaluation.valid_signatures and evaluation.signatures[0].void_reason == "第2项与台账不符"
    submit(session, people.clerk, evaluation, clock.now())
    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())  # signs anew
    assert len(evaluation.valid_signatures) == 1


def test_reopening_after_signature_voids_it_withdraws_the_notice_and_reopens_the_task(
    session, people, submitted, clock
):
    evaluation = submitted()
    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    sign(session, people.board, evaluation, today=TODAY, now=clock.now())
    notice = notice_for(session, NOTICE_KIND, evaluation.id)
    decide_notice(session, notice, notice.ends_on + dt.timedelta(days=1), clock.now())
    assert deadline(session, "village_self_evaluation", people.village).done_at is not None
    with pytest.raises(Invalid):
        reopen(session, people.town, evaluation, "", clock.now())
    with pytest.raises(NotFound):
        reopen(session, people.other_clerk, evaluation, "错了", clock.now())
    told = reopen(session, people.town, evaluation, "第5项得分计算有误", clock.now())
    assert evaluation.status is Status.DRAFT and not evaluation.valid_signatures
    assert {people.chair.id, people.board.id, people.town.id} <= set(told)
    assert deadline(session, "village_self_evaluation", people.village).done_at is None
    assert [e.action for e in audit.history(session, ENTITY, evaluation.id)][-1] == "reopen"
    with pytest.raises(Locked):
        reopen(session, people.clerk, evaluation, "again", clock.now())


def test_reopening_a_running_notice_withdraws_it(session, people, submitted, clock):
    evaluation = submitted()
    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    sign(session, people.board, evaluation, today=TODAY, now=clock.now())
    reopen(session, people.clerk, evaluation, "漏填一项资产", clock.now())
    assert notice_for(session, NOTICE_KIND, evaluation.id).outcome is NoticeOutcome.WITHDRAWN


def test_a_supervisor_without_a_post_or_a_new_holder_of_a_signed_post_cannot_sign(
    session, people, submitted, build, clock
):
    evaluation = submitted()
    no_post = build.user(Role.VILLAGE_SUPERVISOR, people.village)
    with pytest.raises(Forbidden):
        sign(session, no_post, evaluation, today=TODAY, now=clock.now())
    sign(session, people.chair, evaluation, today=TODAY, now=clock.now())
    people.chair.active = False  # the chair steps down; a new one takes the post
    successor = build.user(
        Role.VILLAGE_SUPERVISOR, people.village, village_post=VillagePost.SUPERVISION_COMMITTEE_CHAIR
    )
    with pytest.raises(Invalid) as taken:
        sign(session, successor, evaluation, today=TODAY, now=clock.now())
    assert "村务监督委员会主任已由" in taken.value.fields["sign"]
    assert evaluation.status is Status.SIGNING
