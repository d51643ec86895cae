"""The notices job: decide the outcome of every notice whose period is over."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.after_commit.evaluations import push_evaluation_step
from infra.database import after_commit
from jobs.reminders import local_now
from models.evaluations.entities import VillageEvaluation
from models.evaluations.recipients import REPORTED, SENT_BACK
from models.notices.operations import decide_ended_notices


def decide_notices(session: Session, now: dt.datetime) -> str:
    """Passed or upheld, for those whose objections are all resolved; the rest keep waiting. A
    village's self-evaluation moved on by its notice is pushed once the decision has committed: the
    town told it was reported, the clerk that it came back."""
    decided = decide_ended_notices(session, local_now(now).date(), now)
    moved = session.execute(
        select(VillageEvaluation.id, VillageEvaluation.reported_at).where(VillageEvaluation.updated_at == now)
    )
    for evaluation_id, reported_at in moved:
        after_commit(push_evaluation_step, evaluation_id, REPORTED if reported_at == now else SENT_BACK)
    return f"确定公示结果{decided}项"
