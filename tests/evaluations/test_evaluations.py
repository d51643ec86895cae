"""年度考核: scores and grades per village and town and year, who may record them, and the
villagers' page showing last year's grade."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models.audit import AuditEntry
from models.evaluations import results as evaluations
from models.evaluations.entities import Grade, TownResult, VillageEvaluation
from models.evaluations.results import rate
from models.evaluations.sheets import grade_for
from models.people import Role
from tests.support.pages import csrf_token, login


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", Grade.EXCELLENT),
        ("90", Grade.EXCELLENT),
        ("89.9", Grade.GOOD),
        ("80", Grade.GOOD),
        ("79.9", Grade.FAIR),
        ("70", Grade.FAIR),
        ("69.9", Grade.POOR),
        ("0", Grade.POOR),
    ],
)
def test_the_score_gives_the_grade_of_domain_md(score, grade):
    assert grade_for(Decimal(score)) is grade


def without_csrf_token(response) -> str:
    """The page with its sign-out form's token blanked: the token is signed with the second it was made."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', response.get_data(as_text=True))


@pytest.fixture
def town_official(build, county):
    return build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])


def post_score(client, region_id: int, score: str, year: str = "2025"):
    return client.post(
        f"/evaluations/{region_id}?year={year}", data={"score": score, "csrf_token": csrf_token(client, "/evaluations")}
    )


def evaluations_count(session) -> int:
    return sum(session.scalar(select(func.count()).select_from(e)) for e in (VillageEvaluation, TownResult))


def test_a_town_scores_its_villages_and_corrects_a_score_with_an_audit_trail(
    client, session, county, town_official, login_as
):
    login_as(town_official)
    village = county.villages["石桥村"]
    page = client.get("/evaluations").get_data(as_text=True)  # last year by default (the clock says 2026)
    assert "2025年度" in page and "石桥村" in page and "竹林村" in page and "清水村" not in page
    assert post_score(client, village.id, "86.5").status_code == 302
    assert post_score(client, village.id, "91").status_code == 302
    evaluation = session.scalar(select(VillageEvaluation).where(VillageEvaluation.village_id == village.id))
    assert (evaluation.year, evaluation.score, evaluation.grade) == (2025, Decimal("91.0"), Grade.EXCELLENT)
    assert evaluation.rated_by_id == town_official.id
    trail = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "evaluation").order_by(AuditEntry.id)
    ).all()
    assert [entry.action for entry in trail] == ["rate", "correct"]
    assert trail[1].changes["分数"] == ["86.5", "91.0"] and trail[1].changes["等次"] == ["较好", "好"]
    page = client.get("/evaluations?year=2025").get_data(as_text=True)
    assert "91.0" in page and ">好<" in page


@pytest.mark.parametrize("score", ["", "abc", "101", "-1", "86.55", "NaN", "1e2x"])
def test_a_bad_score_is_refused_in_chinese_and_nothing_is_written(
    client, session, county, town_official, login_as, score
):
    login_as(town_official)
    response = post_score(client, county.villages["石桥村"].id, score)
    assert response.status_code == 422
    assert "分数" in response.get_data(as_text=True)
    assert evaluations_count(session) == 0


@pytest.mark.parametrize("year", ["2027", "2015", "abc", "²"])
def test_a_year_outside_the_program_or_in_the_future_is_refused(client, session, county, town_official, login_as, year):
    login_as(town_official)
    response = post_score(client, county.villages["石桥村"].id, "88", year=year)
    assert response.status_code == 400 and "年度应在2016到2026年之间" in response.get_data(as_text=True)
    assert evaluations_count(session) == 0


def test_who_may_score_what(app, client, session, county, build, clock, town_official, login_as):
    login_as(town_official)
    other_town_village = post_score(client, county.villages["清水村"].id, "88")
    missing = post_score(client, 999_999, "88")
    assert other_town_village.status_code == missing.status_code == 404
    assert without_csrf_token(other_town_village) == without_csrf_token(missing)  # the id tells nothing
    own_town = post_score(client, county.towns["青山镇"].id, "88")
    assert own_town.status_code == 403 and "区县评定各乡镇" in own_town.get_data(as_text=True)
    assert evaluations_count(session) == 0

    district = build.user(Role.DISTRICT_ADMIN, county.district)
    assert (
        rate(session, district, county.towns["河湾镇"], 2025, "75", this_year=2026, now=clock.now()).grade is Grade.FAIR
    )
    assert "年度考核" in client.get("/tasks").get_data(as_text=True)  # the menu entry, for the town
    clerk = app.test_client()
    login(clerk, build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    refused = clerk.get("/evaluations")
    assert refused.status_code == 403 and "只有乡镇工作专班和区乡村振兴局可以评定" in refused.get_data(as_text=True)
    assert "年度考核" not in clerk.get("/tasks").get_data(as_text=True)


def test_the_district_lists_towns_each_followed_by_its_villages(client, county, build, login_as):
    login_as(build.user(Role.DISTRICT_ADMIN, county.district))
    page = client.get("/evaluations").get_data(as_text=True)
    order = [page.index(name) for name in ("青山镇</td>", "石桥村", "河湾镇</td>", "清水村", "云岭乡</td>")]
    assert order == sorted(order)


def test_the_asset_page_shows_last_years_grade_of_its_village_only(
    client, session, county, build, clock, town_official
):
    asset = build.asset(county.villages["石桥村"], name="石桥村道路")
    path = f"/a/{asset.public_token}"
    assert "管护考核" not in client.get(path).get_data(as_text=True)  # none yet
    rate(session, town_official, county.villages["石桥村"], 2026, "95", this_year=2026, now=clock.now())
    rate(session, town_official, county.villages["石桥村"], 2024, "60", this_year=2026, now=clock.now())
    rate(session, town_official, county.villages["竹林村"], 2025, "75", this_year=2026, now=clock.now())
    assert "管护考核" not in client.get(path).get_data(as_text=True)  # this year's, two years ago, a neighbour's
    rate(session, town_official, county.villages["石桥村"], 2025, "86.5", this_year=2026, now=clock.now())
    assert "本村2025年度管护考核等次：<b>较好</b>（86.5分）" in client.get(path).get_data(as_text=True)


def test_two_records_at_the_same_moment_end_as_a_correction(session, county, build, clock, town_official, monkeypatch):
    village = county.villages["石桥村"]
    rate(
        session, build.user(Role.DISTRICT_ADMIN, county.district), village, 2025, "80", this_year=2026, now=clock.now()
    )

    looked_up = evaluations.result_of
    calls = []

    def not_yet_seen(*args):  # the town's request read before the district's insert
        calls.append(args)
        return None if len(calls) == 1 else looked_up(*args)

    monkeypatch.setattr(evaluations, "result_of", not_yet_seen)
    evaluation = rate(session, town_official, village, 2025, "85", this_year=2026, now=clock.now())
    assert (evaluation.score, evaluation.grade, len(calls)) == (Decimal("85.0"), Grade.GOOD, 2)
    assert evaluations_count(session) == 1
