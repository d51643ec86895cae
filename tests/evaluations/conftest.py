"""A village ready to evaluate: 石桥村 with a clerk, the two supervisors who sign, its town's
official, and an asset registered in January with a year of care."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from models.deadlines.calendar import ensure_deadlines
from models.evaluations.entities import Stage, VillageEvaluation
from models.evaluations.form import ScoreEntry, open_evaluation, save_scores, submit
from models.people import Role, User, VillagePost
from models.regions import Region

TZ = "Asia/Shanghai"
JAN_1 = dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC)


@dataclass
class People:
    village: Region
    clerk: User
    chair: User  # 村务监督委员会主任
    board: User  # 合作社监事会主任
    town: User
    other_clerk: User  # 清水村's, in another town


@pytest.fixture
def people(build, county, clock, session) -> People:
    village = county.villages["石桥村"]
    now = clock.at
    clock.at = JAN_1
    build.asset(village, name="石桥村道路")
    clock.at = now
    ensure_deadlines(session, county.district, 2026, clock.now())
    return People(
        village=village,
        clerk=build.user(Role.VILLAGE_CLERK, village),
        chair=build.user(Role.VILLAGE_SUPERVISOR, village, village_post=VillagePost.SUPERVISION_COMMITTEE_CHAIR),
        board=build.user(Role.VILLAGE_SUPERVISOR, village, village_post=VillagePost.COOPERATIVE_BOARD_CHAIR),
        town=build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]),
        other_clerk=build.user(Role.VILLAGE_CLERK, county.villages["清水村"]),
    )


def full_marks(evaluation: VillageEvaluation) -> dict[int, ScoreEntry]:
    """Every item at its points, with a reason where that differs from the proposal and the
    偏差原因及改进措施 where the evidence falls short of its target."""
    return {
        s.id: ScoreEntry(
            str(s.item.points),
            "" if s.proposed in (None, s.item.points) else "台账核对后应得满分",
            "补齐巡查台账" if s.evidence.get("short") else "",
        )
        for s in evaluation.scores
    }


@pytest.fixture
def submitted(session, people, clock):
    """Open, fill in (full marks) and submit an evaluation of `stage` for 石桥村."""

    def make(stage: Stage = Stage.SELF_EVALUATION) -> VillageEvaluation:
        evaluation = open_evaluation(session, people.clerk, people.village, 2026, stage, now=clock.now(), timezone=TZ)
        save_scores(session, people.clerk, evaluation, full_marks(evaluation), clock.now())
        submit(session, people.clerk, evaluation, clock.now())
        return evaluation

    return make
