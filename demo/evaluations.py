"""This year's evaluation in the demo county, as far as the calendar has gone, made through the real
operations: the departments' lists and the district's targets in January, every village's mid-year
self-check signed and filed in June, and in late autumn the year-end self-evaluations — most
reported after their notice (one town's all reported and reviewed early, one item adjusted), one on
notice with a villager's objection, one sent back by a supervisor, one waiting for its second
signature."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy.orm import Session

from demo import CHINA, TIMEZONE, Demo
from models.complaints.operations import ComplaintLimits, file_objection
from models.evaluations.entities import Stage, VillageEvaluation
from models.evaluations.form import ScoreEntry, open_evaluation, save_scores, submit
from models.evaluations.review import Answer, review
from models.evaluations.rules import DEFAULT_TARGETS
from models.evaluations.signing import NOTICE_KIND, send_back, sign
from models.evaluations.targets import confirm_trade_list, issue_targets, set_village_targets
from models.notices.operations import decide_notice
from models.notices.queries import notice_for
from models.people import Role, User, VillagePost
from models.regions import Region

SHORTFALLS = (
    "个别资产巡查次数不足，已明确管护员按周期巡查，村干部每月抽查。",
    "损毁报告修复超时，已与施工队签订维修协议，限时修复。",
    "部分群众对管护情况不够满意，已召开屯级会议听取意见并整改。",
    "管护经费到位偏晚，已申请村集体收益提取管护资金。",
)
SEND_BACK_REASON = "第2项巡查次数与管护台账不一致，请核对后重新提交。"
OBJECTION = "村里的水池去年夏天坏了两个月才修，自评“按时修复”不符合实际，请核实。"
TOWN_ADJUSTMENT = "实地核查发现一处资产管护协议未签订，扣1分。"
OWN_TARGETS = "平安社区"  # the district sets this village's own target values before issuing
EARLY_TOWN = "河湾镇"  # every one of its villages reports early: the town reviews them before the deadline
SELF_EVALUATION_FROM = (11, 16)  # the first villages sign their year-end self-evaluation then


def run_evaluation_cycle(session: Session, demo: Demo, rng: random.Random) -> None:
    year, today = demo.today.year, demo.today
    admin = _one(demo, Role.DISTRICT_ADMIN, demo.district)
    if today > dt.date(year, 1, 25):
        for user in demo.users.values():
            if user.role is Role.DEPARTMENT:
                confirm_trade_list(session, user, year, _at(demo, dt.date(year, 1, 20), 10))
    if today > dt.date(year, 1, 31):
        own = {**DEFAULT_TARGETS, "satisfaction": 85}  # a community of many newcomers: a lower bar this year
        set_village_targets(session, admin, demo.villages[OWN_TARGETS], year, own, _at(demo, dt.date(year, 1, 27), 10))
        issue_targets(session, admin, year, dict(DEFAULT_TARGETS), _at(demo, dt.date(year, 1, 28), 15))
    villages = list(demo.villages.values())
    if today > dt.date(year, 6, 30):
        for village in villages:
            _fill_and_sign(session, demo, rng, village, Stage.SELF_CHECK, dt.date(year, 6, rng.randint(15, 26)))
    if today >= dt.date(year, *SELF_EVALUATION_FROM) + dt.timedelta(days=12):
        _year_end(session, demo, rng, villages)


def _year_end(session: Session, demo: Demo, rng: random.Random, villages: list[Region]) -> None:
    """Villages in turn: those early enough are reported; then one on notice with an objection, one
    sent back, one half-signed; the rest still filling in or not begun."""
    today, first = demo.today, dt.date(demo.today.year, *SELF_EVALUATION_FROM)
    reported = [v for v in villages if v.name not in ("石桥村", "竹林村", "上坪村", "下湾村")][:6]
    evaluations = []
    for number, village in enumerate(reported):
        day = min(first + dt.timedelta(days=number), today - dt.timedelta(days=11))
        evaluation = _fill_and_sign(session, demo, rng, village, Stage.SELF_EVALUATION, day)
        notice = notice_for(session, NOTICE_KIND, evaluation.id)
        decide_notice(session, notice, notice.ends_on + dt.timedelta(days=1), _at(demo, notice.ends_on, 17, 30))
        evaluations.append(evaluation)
    town = demo.towns[EARLY_TOWN]
    _town_review(session, demo, town, [e for e in evaluations if e.town_id == town.id])
    objected = _fill_and_sign(
        session, demo, rng, demo.villages["竹林村"], Stage.SELF_EVALUATION, today - dt.timedelta(days=3)
    )
    file_objection(
        session,
        notice_for(session, NOTICE_KIND, objected.id),
        reason=OBJECTION,
        contact_name=None,
        contact_phone=None,
        openid="o_villager_3",
        now=_at(demo, today - dt.timedelta(days=1), 20),
        limits=ComplaintLimits(timezone=TIMEZONE),
    )
    returned = _fill(session, demo, rng, demo.villages["上坪村"], Stage.SELF_EVALUATION, today - dt.timedelta(days=4))
    send_back(
        session,
        _post(demo, returned.village, VillagePost.COOPERATIVE_BOARD_CHAIR),
        returned,
        SEND_BACK_REASON,
        _at(demo, today - dt.timedelta(days=2), 11),
    )
    half = _fill(session, demo, rng, demo.villages["石桥村"], Stage.SELF_EVALUATION, today - dt.timedelta(days=2))
    sign(
        session,
        _post(demo, half.village, VillagePost.SUPERVISION_COMMITTEE_CHAIR),
        half,
        today=today - dt.timedelta(days=1),
        now=_at(demo, today - dt.timedelta(days=1), 10),
    )


def _fill_and_sign(
    session: Session, demo: Demo, rng: random.Random, village: Region, stage: Stage, day: dt.date
) -> VillageEvaluation:
    evaluation = _fill(session, demo, rng, village, stage, day - dt.timedelta(days=1))
    for post, hour in ((VillagePost.SUPERVISION_COMMITTEE_CHAIR, 10), (VillagePost.COOPERATIVE_BOARD_CHAIR, 15)):
        sign(session, _post(demo, village, post), evaluation, today=day, now=_at(demo, day, hour))
    return evaluation


def _fill(
    session: Session, demo: Demo, rng: random.Random, village: Region, stage: Stage, day: dt.date
) -> VillageEvaluation:
    """The clerk opens the form, takes the proposals (scoring by hand what has no evidence) and
    submits it that afternoon."""
    clerk = _one(demo, Role.VILLAGE_CLERK, village)
    evaluation = open_evaluation(session, clerk, village, day.year, stage, now=_at(demo, day, 9), timezone=TIMEZONE)
    entries = {}
    for score in evaluation.scores:
        points = score.item.points
        value = score.proposed if score.proposed is not None else points - Decimal(rng.choice((0, 0, 1, 2)))
        entries[score.id] = ScoreEntry(str(value), "", rng.choice(SHORTFALLS) if value < points else "")
    save_scores(session, clerk, evaluation, entries, _at(demo, day, 11))
    submit(session, clerk, evaluation, _at(demo, day, 16))
    return evaluation


def _one(demo: Demo, role: Role, region: Region) -> User:
    return next(u for u in demo.users.values() if u.role is role and u.region_id == region.id)


def _post(demo: Demo, village: Region, post: VillagePost) -> User:
    return next(u for u in demo.users.values() if u.region_id == village.id and u.village_post is post)


def _town_review(session: Session, demo: Demo, town: Region, evaluations: list[VillageEvaluation]) -> None:
    """The town whose villages have all reported reviews them early, adjusting one item of the first."""
    official = _one(demo, Role.TOWN_OFFICIAL, town)
    latest = max(evaluation.updated_at for evaluation in evaluations)
    when = min(max(_at(demo, demo.today - dt.timedelta(days=1), 16), latest + dt.timedelta(minutes=30)), demo.now)
    for number, evaluation in enumerate(sorted(evaluations, key=lambda e: e.village_id)):
        answers = {}
        if number == 0:
            score = next(s for s in evaluation.scores if s.confirmed is not None and s.confirmed >= 1)
            answers[score.id] = Answer(str(score.confirmed - 1), TOWN_ADJUSTMENT)
        review(session, official, evaluation, answers, timezone=TIMEZONE, now=when - dt.timedelta(minutes=1))


def _at(demo: Demo, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """`hour`:`minute` local time on `day` (a weekend day becomes the Friday before), never after now."""
    if day.weekday() >= 5:
        day -= dt.timedelta(days=day.weekday() - 4)
    at = dt.datetime.combine(day, dt.time(hour, minute), CHINA).astimezone(dt.UTC)
    return min(at, demo.now - dt.timedelta(minutes=1))
