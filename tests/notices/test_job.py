"""The scheduler's notices job decides ended notices, before the sources job closes their deadline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from jobs.scheduler import JOBS, Runner
from models.deadlines.entities import Deadline
from models.notices.entities import NoticeOutcome
from models.scheduling.queries import job_states
from tests.support.clock import morning


def test_the_notices_job_decides_an_ended_notice_and_its_deadline_then_closes(app, session, make_notice, people, clock):
    notice = make_notice(people["clerk"])
    session.commit()
    runner = Runner(app)
    assert [job.name for job in JOBS].index("notices") < [job.name for job in JOBS].index("sources")

    morning(clock, dt.date(2026, 6, 10))
    runner.tick("notices")
    runner.tick("sources")
    session.refresh(notice)
    deadline = session.scalar(select(Deadline).where(Deadline.key == f"notice_end:notice:{notice.id}"))
    assert notice.outcome is NoticeOutcome.RUNNING and deadline.region_id == notice.village_id
    assert deadline.done_at is None and deadline.due_on == dt.date(2026, 6, 10)

    morning(clock, dt.date(2026, 6, 11))
    runner.tick("notices")
    runner.tick("sources")
    session.refresh(notice)
    session.refresh(deadline)
    assert notice.outcome is NoticeOutcome.PASSED and notice.decided_at == clock.now()
    assert deadline.evidence == {"record": "公示结果已确定或公示已撤回"}
    [state] = [s for s in job_states(session) if s.name == "notices"]
    assert state.last_result == "确定公示结果1项"
