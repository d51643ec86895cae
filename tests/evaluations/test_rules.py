"""Each evidence rule on its own, against records made for it (edge cases included: no assets, no
inspections required yet, an asset added mid-year)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from models.assets.entities import AssetClass, AssetStatus
from models.complaints.entities import ComplaintStatus, Rating
from models.evaluations.entities import CareRating, EvaluatedAsset, Stage
from models.evaluations.evidence import Period, village_records
from models.evaluations.rules import Context, apply
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord, RepairTask
from models.operating.entities import IncomeRecord
from models.storage import LocalStorage
from tests.support.complaints import complaint_about

TZ = "Asia/Shanghai"
JAN_1 = dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC)  # 09:00 in Beijing
JUN_1 = dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC)  # TEST_NOW
PUBLIC = AssetClass.PUBLIC_BENEFIT


@pytest.fixture
def village(county):
    return county.villages["石桥村"]


@pytest.fixture
def asset_in_january(build, clock, village):
    """A public-benefit asset registered on Jan 1 (道路交通: looked after every 30 days)."""

    def make(**overrides):
        clock.at = JAN_1
        asset = build.asset(village, **overrides)
        clock.at = JUN_1
        return asset

    return make


def propose(session, village, rule, asset_class=PUBLIC, points="12.5", parameters=None, targets=None, stage=None):
    period = Period.of(2026, stage or Stage.SELF_EVALUATION, JUN_1, TZ)
    records = village_records(session, village.id, period)
    return apply(rule, Context(records, asset_class, Decimal(points), parameters or {}, targets or {}))


def care(session, asset, kind=MaintenanceKind.INSPECTION, at=JUN_1 - dt.timedelta(days=1), doubtful=False):
    record = MaintenanceRecord(
        asset_id=asset.id, kind=kind, recorded_at=at, recorded_by_name="莫文华", doubtful=doubtful, flags=[]
    )
    session.add(record)
    session.flush()
    return record


@pytest.mark.parametrize(
    "rule",
    ["custodian_coverage", "daily_custody", "repairs_in_limit", "villagers_satisfied", "no_custody_complaints"],
)
def test_without_evaluated_assets_a_rule_has_no_evidence(session, village, rule):
    proposal = propose(session, village, rule)
    assert proposal.score is None and "人工评分" in proposal.rule


def test_custodian_coverage_is_the_share_of_assets_with_body_and_named_custodian(session, village, build):
    build.asset(village)
    build.asset(village)
    unnamed = build.asset(village)
    unnamed.custodian_name = " "
    proposal = propose(session, village, "custodian_coverage")
    assert proposal.score == Decimal("8.3") and proposal.short
    assert proposal.evidence[0].as_json() == {
        "label": "已明确管护主体和责任人",
        "count": 2,
        "of": 3,
        "kind": "asset",
        "ids": [],
    }
    assert proposal.evidence[1].ids == (unnamed.id,)
    assert propose(session, village, "custodian_coverage", targets={"custodian_share": 60}).score == Decimal("12.5")


def test_daily_custody_counts_inspections_done_against_each_intervals_requirement(
    session, village, asset_in_january, build, clock
):
    road = asset_in_january()  # Jan 1 → Jun 1: 151 days, every 30 days → 5 required
    for days_ago in (1, 40, 70):
        care(session, road, at=JUN_1 - dt.timedelta(days=days_ago))
    care(session, road, kind=MaintenanceKind.DAMAGE_REPORT)  # not care
    care(session, road, doubtful=True)  # a recycled photo does not count
    care(session, road, at=JAN_1 - dt.timedelta(days=3))  # last year
    proposal = propose(session, village, "daily_custody")
    assert (proposal.evidence[0].count, proposal.evidence[0].of) == (3, 5)
    assert proposal.score == Decimal("7.5") and proposal.evidence[1].ids == (road.id,)
    for _ in range(6):  # more than required counts as required, not more
        care(session, road, kind=MaintenanceKind.UPKEEP)
    assert propose(session, village, "daily_custody").score == Decimal("12.5")


def test_daily_custody_with_no_inspection_due_yet_gives_full_points_and_an_asset_added_mid_year_counts_from_then(
    session, village, build, clock, asset_in_january
):
    clock.at = JUN_1 - dt.timedelta(days=20)
    build.asset(village)  # added mid-year, within its first interval: nothing required yet
    clock.at = JUN_1
    proposal = propose(session, village, "daily_custody")
    assert proposal.score == Decimal("12.5") and "无应巡查次数" in proposal.rule
    clock.at = JUN_1 - dt.timedelta(days=65)
    late = build.asset(village)  # 65 days before Jun 1: two intervals, not five
    clock.at = JUN_1
    care(session, late)
    proposal = propose(session, village, "daily_custody")
    assert (proposal.evidence[0].count, proposal.evidence[0].of, proposal.score) == (1, 2, Decimal("6.3"))


def test_repairs_in_limit_counts_damage_reports_repaired_by_their_due_date(session, village, asset_in_january):
    road = asset_in_january()

    def report(opened_days_ago, due_days_ago, closed_days_ago=None):
        damage = care(session, road, kind=MaintenanceKind.DAMAGE_REPORT, at=JUN_1 - dt.timedelta(days=opened_days_ago))
        task = RepairTask(
            asset_id=road.id,
            opened_by_id=damage.id,
            opened_at=damage.recorded_at,
            due_on=(JUN_1 - dt.timedelta(days=due_days_ago)).date(),
            closed_at=None if closed_days_ago is None else JUN_1 - dt.timedelta(days=closed_days_ago),
        )
        session.add(task)
        session.flush()
        return damage

    assert propose(session, village, "repairs_in_limit").score == Decimal("12.5")  # none: full points
    in_time = report(40, 25, 30)
    late = report(40, 25, 10)
    report(5, -10)  # open and not yet due: not counted
    overdue = report(30, 15)  # open past its limit: counted as late
    proposal = propose(session, village, "repairs_in_limit")
    assert (proposal.evidence[0].count, proposal.evidence[0].of) == (1, 3)
    assert proposal.evidence[0].ids == (in_time.id,) and set(proposal.evidence[1].ids) == {late.id, overdue.id}
    assert proposal.score == Decimal("4.2") and proposal.evidence[0].kind == "record"


def test_villagers_satisfied_adds_complaint_ratings_and_the_yearly_care_ratings(
    session, village, asset_in_january, clock, tmp_path
):
    road = asset_in_january()
    storage = LocalStorage(tmp_path)
    parameters = {"min_answers": 3}
    for rating in (Rating.SATISFIED, Rating.UNSATISFIED):
        complaint_about(session, storage, road, clock).rating = rating
    assert propose(session, village, "villagers_satisfied", parameters=parameters).score is None  # two answers
    for number, rating in enumerate((Rating.SATISFIED, Rating.MOSTLY_SATISFIED, Rating.SATISFIED)):
        session.add(CareRating(asset_id=road.id, year=2026, rating=rating, openid=f"o{number}", created_at=JUN_1))
    session.add(CareRating(asset_id=road.id, year=2025, rating=Rating.UNSATISFIED, openid="o9", created_at=JAN_1))
    session.flush()
    proposal = propose(session, village, "villagers_satisfied", parameters=parameters)
    # 4 of 5 satisfied = 80 % against 90 %: 12.5 × 80 / 90
    assert proposal.score == Decimal("11.1") and proposal.actual == Decimal("80.0") and proposal.short
    assert [(e.count, e.of) for e in proposal.evidence] == [(1, 2), (3, 3)]
    targets = {"satisfaction": 80}
    assert propose(session, village, "villagers_satisfied", parameters=parameters, targets=targets).score == Decimal(
        "12.5"
    )


def test_upheld_custody_complaints_deduct_per_complaint_capped_at_the_items_points(
    session, village, asset_in_january, clock, tmp_path
):
    road = asset_in_january()
    storage = LocalStorage(tmp_path)
    upheld = complaint_about(session, storage, road, clock)
    upheld.status = ComplaintStatus.CLOSED
    complaint_about(session, storage, road, clock, category="无人管护").status = ComplaintStatus.REJECTED
    complaint_about(session, storage, road, clock, category="被占用或私用")  # still waiting: not upheld
    complaint_about(session, storage, road, clock, category="收益分配").status = ComplaintStatus.CLOSED  # not custody
    proposal = propose(session, village, "no_custody_complaints", parameters={"deduction": "3"})
    assert proposal.score == Decimal("9.5") and proposal.evidence[0].ids == (upheld.id,)
    for _ in range(5):
        complaint_about(session, storage, road, clock, category="无人管护").status = ComplaintStatus.ANSWERED
    assert propose(session, village, "no_custody_complaints", parameters={"deduction": "3"}).score == 0


def test_disposal_has_no_evidence_until_the_disposal_workflow_exists(session, village, asset_in_january):
    road = asset_in_january()
    road.status = AssetStatus.DISPOSED
    proposal = propose(session, village, "disposal")
    assert proposal.score is None and proposal.evidence[0].ids == (road.id,)


def test_operating_items_use_income_and_idleness_and_say_when_there_is_no_evidence(session, village, asset_in_january):
    solar = asset_in_january(asset_class="经营性", subtype="光伏电站", operator="村集体经济合作社")
    shed = asset_in_january(asset_class="经营性", subtype="光伏电站", operator="村集体经济合作社", status="闲置")
    operating = AssetClass.OPERATING
    assert propose(session, village, "operating_income", operating).score is None  # no income recorded
    session.add(
        IncomeRecord(
            asset_id=solar.id,
            period="2026年上半年",
            amount=Decimal("5000"),
            received_on=dt.date(2026, 5, 20),
            distribution="按户分配",
            created_at=JUN_1,
        )
    )
    session.flush()
    assert propose(session, village, "operating_income", operating).score == Decimal("6.3")
    idle = propose(session, village, "operating_idle", operating)
    assert idle.score == Decimal("6.3") and idle.evidence[0].ids == (shed.id,)
    assert propose(session, village, None, operating).score is None  # an item without a rule


def test_the_departments_marks_decide_which_assets_enter(session, village, build, clock, asset_in_january):
    marked, _other = asset_in_january(), asset_in_january()
    session.add(EvaluatedAsset(year=2026, asset_id=marked.id, village_id=village.id, marked_at=JUN_1))
    session.flush()
    records = village_records(session, village.id, Period.of(2026, Stage.SELF_CHECK, JUN_1, TZ))
    assert [a.id for a in records.of_class(PUBLIC)] == [marked.id]
