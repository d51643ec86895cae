"""The demo county loaded in early December: the year's tasks done as they fell due, this year's
evaluation in progress (targets issued, self-checks filed, self-evaluations reported, one on notice
with an objection, one sent back, one half-signed, one town's villages reviewed early) and last
year's done."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from demo import PASSWORD
from demo import county as demo
from models.complaints.entities import Complaint
from models.deadlines.entities import Deadline
from models.deadlines.tasks import EVALUATION_STEPS
from models.evaluations.entities import Stage, Status, VillageEvaluation, VillageTarget
from models.notices.entities import NoticeOutcome, PublicNotice
from models.people import Role, User
from models.storage import LocalStorage
from tests.support.pages import login, visible_text

DECEMBER = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Beijing


def local_date(instant: dt.datetime) -> dt.date:
    return instant.astimezone(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def december(session, tmp_path):
    demo.load_demo(session, LocalStorage(tmp_path), DECEMBER)
    return session


def test_in_early_december_the_years_tasks_are_done_and_the_self_evaluation_is_coming_up(december):
    session = december
    tasks = session.scalars(select(Deadline).where(Deadline.year == 2026)).all()
    past = [d for d in tasks if d.due_on < local_date(DECEMBER)]
    by_hand = [d for d in past if d.kind_code not in EVALUATION_STEPS]
    assert by_hand and all(d.done_at and d.done_by and d.evidence["note"] for d in by_hand)
    assert all(d.done_at and d.evidence["record"] for d in past if d.kind_code in EVALUATION_STEPS)
    assert all(d.done_at < DECEMBER for d in tasks if d.done_at)
    assert all(local_date(d.done_at) <= d.due_on + dt.timedelta(days=6) for d in past)
    assert 0 < sum(local_date(d.done_at) > d.due_on for d in by_hand) < len(by_hand) / 2  # now and then late

    self_evaluations = [d for d in tasks if d.kind_code == "village_self_evaluation"]
    done_early = [d for d in self_evaluations if d.done_at]
    assert len(self_evaluations) == 12 and len(done_early) == 6  # due Dec 10: the reported villages
    still_open = {d.kind_code for d in tasks if d.done_at is None}
    assert still_open == {"village_self_evaluation", "town_review", "town_rating"}


def test_this_years_cycle_is_in_progress_and_last_years_done(december, client):
    session = december
    evaluations = session.scalars(select(VillageEvaluation)).all()
    by_stage = Counter((e.year, e.stage, e.status) for e in evaluations)
    assert by_stage[(2026, Stage.SELF_CHECK, Status.REPORTED)] == 12
    assert by_stage[(2025, Stage.SELF_EVALUATION, Status.RATED)] == 12
    year_end = {e.village.name: e for e in evaluations if e.year == 2026 and e.stage is Stage.SELF_EVALUATION}
    assert Counter(e.status for e in year_end.values()) == {
        Status.REVIEWED: 4,  # 河湾镇's, all reported early and reviewed by the town
        Status.REPORTED: 2,
        Status.ON_NOTICE: 1,
        Status.SENT_BACK: 1,
        Status.SIGNING: 1,
    }
    assert year_end["上坪村"].status is Status.SENT_BACK and year_end["上坪村"].sent_back_reason
    assert len(year_end["石桥村"].valid_signatures) == 1
    notice = session.scalar(select(PublicNotice).where(PublicNotice.subject_id == year_end["竹林村"].id))
    assert notice.outcome is NoticeOutcome.RUNNING and notice.subject_kind == "evaluation"
    assert session.scalar(select(Complaint).where(Complaint.notice_id == notice.id)) is not None
    assert all(
        len(e.valid_signatures) == 2 and e.self_score
        for e in year_end.values()
        if e.status in (Status.REPORTED, Status.REVIEWED)
    )
    one_town_reviewed_early_adjusting_one_item(session, client)
    targets = {t.village.name: t for t in session.scalars(select(VillageTarget).where(VillageTarget.year == 2026))}
    assert len(targets) == 12 and all(t.issued_at for t in targets.values())
    assert targets["平安社区"].values["satisfaction"] == 85 and targets["平安社区"].own_values_at is not None
    assert targets["云岭村"].values["satisfaction"] == 90 and targets["云岭村"].own_values_at is None


def one_town_reviewed_early_adjusting_one_item(session, client) -> None:
    """(in the same demo load: it takes long) 河湾镇 reviewed its villages, shown on its page and theirs."""
    reviewed = session.scalars(select(VillageEvaluation).where(VillageEvaluation.status == Status.REVIEWED)).all()
    assert {e.village.parent.name for e in reviewed} == {"河湾镇"}
    adjusted = [(e, s) for e in reviewed for s in e.scores if s.town_reason]
    [(evaluation, score)] = adjusted
    assert evaluation.village.name == "清水村"  # as the README's tour says
    assert score.town_score == score.confirmed - 1 and evaluation.score < evaluation.self_score
    task = session.scalar(
        select(Deadline).where(Deadline.kind_code == "town_review", Deadline.region_id == evaluation.town_id)
    )
    assert task.done_at is not None and task.done_at < DECEMBER

    official = session.scalar(select(User).where(User.role == Role.TOWN_OFFICIAL, User.region_id == evaluation.town_id))
    login(client, official, PASSWORD)
    page = visible_text(client.get("/evaluations/review?year=2026").get_data(as_text=True))
    assert "清水村" in page and "已复核" in page
    clerk = session.scalar(select(User).where(User.role == Role.VILLAGE_CLERK, User.region_id == evaluation.village_id))
    client.delete_cookie("guanhu_session")
    login(client, clerk, PASSWORD)
    form = visible_text(client.get(f"/evaluations/form/{evaluation.id}").get_data(as_text=True))
    assert f"乡镇复核：{score.town_score}分（{score.town_reason}）" in form


LINK = re.compile(r'href="(/[^"#]*)"')
NOT_CRAWLED = re.compile(r"/logout|\.(xlsx|pdf|png|jpg)\b|/photos/|/static/|/wechat|/a/|/v/|page=\d\d")
PAGES_EACH = 150
PER_SHAPE = 2  # pages of one shape (/assets/N, /complaints?page=N …) opened per account


def test_every_page_each_demo_account_reaches_from_its_home_opens(december, app, clock):
    """Following the links of each demo login from its home page (breadth first, a couple of pages
    of each shape), no page answers an error: a list never links to what its reader may not open."""
    clock.at = DECEMBER
    for account in demo.ACCOUNTS:
        client = app.test_client()
        login(client, december.scalar(select(User).where(User.phone == account.phone)), PASSWORD)
        seen, shapes, queue, refused = set(), Counter(), ["/"], []
        while queue and len(seen) < PAGES_EACH:
            url = queue.pop(0)
            shape = re.sub(r"\d+", "N", url)
            if url in seen or NOT_CRAWLED.search(url) or shapes[shape] >= PER_SHAPE:
                continue
            seen.add(url)
            shapes[shape] += 1
            response = client.get(url)
            if response.status_code >= 400:
                refused.append((url, response.status_code))
            elif response.status_code == 200 and response.mimetype == "text/html":
                queue += [link.replace("&amp;", "&") for link in LINK.findall(response.get_data(as_text=True))]
        assert len(seen) > 10 and not refused, (account.name, refused)
