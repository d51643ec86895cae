"""Evidence rules: how an item's score proposes itself from our records.

A rule is code named on the sheet's item (`SheetItem.rule`), with its parameters as data
(`SheetItem.parameters`, e.g. the deduction per complaint) and the village's targets
(`VillageTarget.values`, e.g. the satisfaction share wanted). It reads only `VillageRecords` and
gives a `Proposal`: a score (None when our records cannot speak to the item: it is then scored by
hand), the rule as people read it, and the evidence — counts and the ids of the records behind them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from models.assets.entities import Asset, AssetClass, AssetStatus
from models.complaints.entities import Rating
from models.evaluations.evidence import CUSTODY_CATEGORIES, NOT_UPHELD, VillageRecords

TENTH = Decimal("0.1")

# What a village is held to unless its issued targets say otherwise (percentages).
DEFAULT_TARGETS: dict[str, Any] = {
    "custodian_share": 100,
    "inspection_share": 100,
    "repair_share": 100,
    "satisfaction": 90,
}
TARGET_LABELS = {
    "custodian_share": "管护主体和责任人明确率（%）",
    "inspection_share": "日常巡查完成率（%）",
    "repair_share": "损毁限时修复率（%）",
    "satisfaction": "群众满意率（%）",
}


@dataclass(frozen=True)
class Evidence:
    label: str
    count: int
    of: int | None = None
    kind: str = "asset"  # what the ids are: asset, record (a damage report), complaint
    ids: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"label": self.label, "count": self.count}
        if self.of is not None:
            shown["of"] = self.of
        shown.update(kind=self.kind, ids=list(self.ids))
        return shown


@dataclass(frozen=True)
class Proposal:
    score: Decimal | None  # None: no evidence, scored by hand
    rule: str
    evidence: list[Evidence] = field(default_factory=list)
    actual: Decimal | None = None  # the measured value, in the target's unit
    target: Decimal | None = None

    @property
    def short(self) -> bool:
        """The measured value falls short of the target."""
        return self.actual is not None and self.target is not None and self.actual < self.target


@dataclass(frozen=True)
class Context:
    records: VillageRecords
    asset_class: AssetClass
    points: Decimal
    parameters: dict[str, Any]
    targets: dict[str, Any]

    @property
    def assets(self) -> list[Asset]:
        return self.records.of_class(self.asset_class)

    def target(self, name: str) -> Decimal:
        return Decimal(str(self.targets.get(name, DEFAULT_TARGETS[name])))


Rule = Callable[[Context], Proposal]
RULES: dict[str, Rule] = {}
RULE_LABELS: dict[str, str] = {}


def rule(name: str, label: str) -> Callable[[Rule], Rule]:
    def registered(function: Rule) -> Rule:
        RULES[name], RULE_LABELS[name] = function, label
        return function

    return registered


def share_score(points: Decimal, done: int, of: int, target_percent: Decimal) -> tuple[Decimal, Decimal]:
    """(score, actual %): full points at the target share, proportionally below it."""
    actual = (Decimal(done) * 100 / of).quantize(TENTH, ROUND_HALF_UP)
    reached = min(Decimal(1), Decimal(done) * 100 / of / target_percent) if target_percent else Decimal(1)
    return (points * reached).quantize(TENTH, ROUND_HALF_UP), actual


NO_ASSETS = "本村没有纳入评价的此类资产，无系统证据，请人工评分。"


@rule("custodian_coverage", "管护主体和责任人明确")
def custodian_coverage(context: Context) -> Proposal:
    assets = context.assets
    if not assets:
        return Proposal(None, NO_ASSETS)
    named = [a for a in assets if a.custodian_body.strip() and a.custodian_name.strip()]
    missing = tuple(a.id for a in assets if a not in named)
    target = context.target("custodian_share")
    score, actual = share_score(context.points, len(named), len(assets), target)
    return Proposal(
        score,
        f"已明确管护主体和管护责任人的资产{len(named)}/{len(assets)}项，目标{target:g}%，按比例得分。",
        [Evidence("已明确管护主体和责任人", len(named), len(assets)), Evidence("未明确", len(missing), ids=missing)],
        actual,
        target,
    )


def required_inspections(asset: Asset, records: VillageRecords) -> int:
    """How many times the asset should have been looked after in the period: once per its sub-type's
    interval from the later of the period's start and the asset's registration."""
    start = max(records.period.start, asset.created_at)
    days = (records.period.end - start) / dt.timedelta(days=1)
    return max(0, int(days // asset.subtype.inspection_interval_days))


@rule("daily_custody", "日常巡查完成率")
def daily_custody(context: Context) -> Proposal:
    assets = context.assets
    if not assets:
        return Proposal(None, NO_ASSETS)
    required = {a.id: required_inspections(a, context.records) for a in assets}
    done = {a.id: min(context.records.upkeep[a.id], required[a.id]) for a in assets}
    wanted, counted = sum(required.values()), sum(done.values())
    behind = tuple(a.id for a in assets if done[a.id] < required[a.id])
    if wanted == 0:
        return Proposal(
            context.points, "期内各项资产均未到巡查周期，无应巡查次数，得满分。", [Evidence("应巡查次数", 0)]
        )
    target = context.target("inspection_share")
    score, actual = share_score(context.points, counted, wanted, target)
    return Proposal(
        score,
        f"按各类资产巡查周期，期内应巡查{wanted}次，已巡查{counted}次，目标{target:g}%，按比例得分。",
        [
            Evidence("已巡查次数（计至应巡查次数）", counted, wanted),
            Evidence("巡查不足的资产", len(behind), ids=behind),
        ],
        actual,
        target,
    )


@rule("repairs_in_limit", "损毁限时修复率")
def repairs_in_limit(context: Context) -> Proposal:
    ids = {a.id for a in context.assets}
    if not ids:
        return Proposal(None, NO_ASSETS)
    records = context.records
    last_day = records.period.local_date(records.period.end)
    tasks = [t for t in records.repairs if t.asset_id in ids]
    in_limit = [t for t in tasks if t.closed_at is not None and records.period.local_date(t.closed_at) <= t.due_on]
    late = [t for t in tasks if t not in in_limit and (t.closed_at is not None or t.due_on < last_day)]
    decided = len(in_limit) + len(late)
    if decided == 0:
        return Proposal(
            context.points,
            "期内没有已到修复时限的损毁报告，得满分。",
            [Evidence("损毁报告", len(tasks), kind="record")],
        )
    target = context.target("repair_share")
    score, actual = share_score(context.points, len(in_limit), decided, target)
    return Proposal(
        score,
        f"期内到期的损毁报告{decided}件，时限内修复{len(in_limit)}件，目标{target:g}%，按比例得分。",
        [
            Evidence("时限内修复", len(in_limit), decided, "record", tuple(t.opened_by_id for t in in_limit)),
            Evidence("超时或未修复", len(late), kind="record", ids=tuple(t.opened_by_id for t in late)),
        ],
        actual,
        target,
    )


@rule("villagers_satisfied", "群众满意率")
def villagers_satisfied(context: Context) -> Proposal:
    ids = {a.id for a in context.assets}
    if not ids:
        return Proposal(None, NO_ASSETS)
    rated = [c for c in context.records.complaints if c.asset_id in ids and c.rating is not None]
    good = (Rating.SATISFIED, Rating.MOSTLY_SATISFIED)
    complaint_good = sum(1 for c in rated if c.rating in good)
    care = [context.records.care_ratings[i] for i in ids if i in context.records.care_ratings]
    care_all = sum(sum(counts.values()) for counts in care)
    care_good = sum(counts[r] for counts in care for r in good)
    answers, satisfied = len(rated) + care_all, complaint_good + care_good
    evidence = [
        Evidence("反映办理评价（满意+基本满意）", complaint_good, len(rated), "complaint", tuple(c.id for c in rated)),
        Evidence("群众年度管护评价（满意+基本满意）", care_good, care_all),
    ]
    minimum = int(context.parameters.get("min_answers", 1))
    if answers < max(minimum, 1):
        return Proposal(None, f"群众评价不足{max(minimum, 1)}条，无法据此评分，请人工评分。", evidence)
    target = context.target("satisfaction")
    score, actual = share_score(context.points, satisfied, answers, target)
    return Proposal(
        score,
        f"群众评价{answers}条，满意和基本满意{satisfied}条，目标{target:g}%，达到目标得满分，未达按比例得分。",
        evidence,
        actual,
        target,
    )


@rule("no_custody_complaints", "因管护不到位被查实的反映")
def no_custody_complaints(context: Context) -> Proposal:
    ids = {a.id for a in context.assets}
    if not ids:
        return Proposal(None, NO_ASSETS)
    upheld = [
        c
        for c in context.records.complaints
        if c.asset_id in ids and c.category in CUSTODY_CATEGORIES and c.status not in NOT_UPHELD
    ]
    deduction = Decimal(str(context.parameters.get("deduction", "2")))
    score = max(Decimal(0), context.points - deduction * len(upheld)).quantize(TENTH)
    return Proposal(
        score,
        f"因损坏需维修、无人管护、被占用或私用被受理的反映{len(upheld)}件，每件扣{deduction:g}分，扣完为止。",
        [Evidence("被受理的管护类反映", len(upheld), kind="complaint", ids=tuple(c.id for c in upheld))],
        Decimal(-len(upheld)),
        Decimal(0),
    )


@rule("disposal", "按规定处置")
def disposal(context: Context) -> Proposal:
    disposed = tuple(a.id for a in context.assets if a.status is AssetStatus.DISPOSED)
    return Proposal(
        None,
        "资产处置流程尚未在系统中办理，无系统证据，请人工评分。",
        [Evidence("标记为已处置的资产", len(disposed), ids=disposed)],
    )


@rule("operating_income", "本年收益记录")
def operating_income(context: Context) -> Proposal:
    assets = context.assets
    earning = tuple(a.id for a in assets if a.id in context.records.income)
    if not earning:
        return Proposal(
            None, "本年没有收益记录，无系统证据，请人工评分。", [Evidence("有本年收益记录的资产", 0, len(assets))]
        )
    score, actual = share_score(context.points, len(earning), len(assets), Decimal(100))
    return Proposal(
        score,
        f"本年有收益记录的经营性资产{len(earning)}/{len(assets)}项，按比例得分。",
        [Evidence("有本年收益记录的资产", len(earning), len(assets), ids=earning)],
        actual,
        Decimal(100),
    )


@rule("operating_idle", "闲置停用")
def operating_idle(context: Context) -> Proposal:
    assets = context.assets
    if not assets:
        return Proposal(None, NO_ASSETS)
    idle = tuple(a.id for a in assets if a.status in (AssetStatus.IDLE, AssetStatus.SUSPENDED))
    score, actual = share_score(context.points, len(assets) - len(idle), len(assets), Decimal(100))
    return Proposal(
        score,
        f"当前闲置或停用的资产{len(idle)}/{len(assets)}项，按在用比例得分。",
        [Evidence("闲置或停用的资产", len(idle), len(assets), ids=idle)],
        actual,
        Decimal(100),
    )


def apply(name: str | None, context: Context) -> Proposal:
    """The proposal of the rule called `name`; an item without a rule is scored by hand."""
    if name is None or name not in RULES:
        return Proposal(None, "此项无系统证据，请人工评分。")
    return RULES[name](context)
