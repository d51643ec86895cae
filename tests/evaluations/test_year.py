"""A whole year of the village's side with a controlled clock: the departments' list and the targets
in January, the self-check signed and filed in June, the self-evaluation in December on notice with
an objection answered, reported; the town's review with one adjustment; its score
shows as last year's grade on the villagers' page the next year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from models.assets.entities import Asset
from models.complaints.entities import ComplaintStatus
from models.complaints.operations import ComplaintLimits, file_objection
from models.deadlines.entities import Deadline
from models.evaluations.entities import Stage, Status
from models.evaluations.review import Answer, review
from models.evaluations.rules import DEFAULT_TARGETS
from models.evaluations.signing import NOTICE_KIND, sign
from models.evaluations.targets import confirm_trade_list, issue_targets
from models.notices.entities import NoticeOutcome
from models.notices.operations import decide_ended_notices, objection_settled
from models.notices.queries import notice_for
from models.people import Role
from tests.evaluations.conftest import TZ
from tests.support.clock import morning


def done(session, kind: str) -> bool:
    return all(
        d.done_at for d in session.scalars(select(Deadline).where(Deadline.kind_code == kind, Deadline.year == 2026))
    )


def test_a_year_of_the_village_side(client, session, people, submitted, build, county, clock):
    admin = build.user(Role.DISTRICT_ADMIN, county.district)
    department = build.user(Role.DEPARTMENT, county.district, department="交通运输局")
    morning(clock, dt.date(2026, 1, 20))
    confirm_trade_list(session, department, 2026, clock.now())
    issue_targets(session, admin, 2026, dict(DEFAULT_TARGETS), clock.now())
    assert done(session, "performance_targets")

    morning(clock, dt.date(2026, 6, 25))
    check = submitted(Stage.SELF_CHECK)
    for supervisor in (people.chair, people.board):
        sign(session, supervisor, check, today=dt.date(2026, 6, 25), now=clock.now())
    assert check.status is Status.REPORTED

    morning(clock, dt.date(2026, 11, 25))
    evaluation = submitted(Stage.SELF_EVALUATION)
    for supervisor in (people.chair, people.board):
        sign(session, supervisor, evaluation, today=dt.date(2026, 11, 25), now=clock.now())
    notice = notice_for(session, NOTICE_KIND, evaluation.id)
    assert notice.ends_on == dt.date(2026, 12, 4)
    objection = file_objection(
        session,
        notice,
        reason="道路维修记录不全",
        contact_name=None,
        contact_phone=None,
        openid=None,
        now=clock.now(),
        limits=ComplaintLimits(timezone=TZ),
    )
    morning(clock, dt.date(2026, 12, 5))
    decide_ended_notices(session, dt.date(2026, 12, 5), clock.now())
    assert evaluation.status is Status.ON_NOTICE  # the objection is still open
    objection.status, objection.upheld = ComplaintStatus.CLOSED, False  # answered: not upheld
    objection_settled(session, notice.id, dt.date(2026, 12, 6), clock.now())
    assert notice.outcome is NoticeOutcome.PASSED and evaluation.status is Status.REPORTED
    assert done(session, "village_self_evaluation") is False  # the other villages' are still open
    own = session.scalar(select(Deadline).where(Deadline.key == f"village_self_evaluation:2026:r{people.village.id}"))
    assert own.done_at is not None

    morning(clock, dt.date(2026, 12, 18))
    first, *_ = evaluation.scores
    adjusted = first.confirmed - Decimal("4")
    answers = {first.id: Answer(str(adjusted), "管护制度上墙照片不清晰")}  # the town's one adjustment
    review(session, people.town, evaluation, answers, timezone=TZ, now=clock.now())
    assert evaluation.status is Status.REVIEWED and first.town_score == adjusted
    assert evaluation.score == Decimal("96.0") and evaluation.grade.label == "好"  # 100 − 4 on one sheet
    morning(clock, dt.date(2027, 3, 1))
    road = session.scalar(select(Asset).where(Asset.village_id == people.village.id))
    page = client.get(f"/a/{road.public_token}").get_data(as_text=True)
    assert "本村2026年度管护考核等次：<b>好</b>（96.0分）" in page
