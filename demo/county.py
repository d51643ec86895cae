"""The demo county (示范区): regions, staff of every role and ~300 assets, all fictional, and the
steps that load it (`STEPS`).

Deterministic: the same seed and `now` give the same county. Assets go through the same parser
and operations as the web form, so the demo never holds what a person could not have typed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo import CHINA, PASSWORD, Demo, Step
from demo.activity import file_complaints, finish_calendar, keep_records
from demo.evaluations import run_evaluation_cycle
from demo.notices import put_on_notice
from models.assets.entities import AssetClass, AssetStatus, AssetSubtype, DisposalMethod, FundingSource
from models.assets.fields import parse_asset_fields
from models.assets.operations import create_asset, update_asset
from models.catalog import SUBTYPES, ensure_departments, ensure_subtypes
from models.errors import DomainError, Invalid
from models.evaluations.entities import Status, VillageEvaluation
from models.evaluations.results import rate
from models.evaluations.sheets import ensure_sheets
from models.people import Department, Role, User, VillagePost, create_user
from models.regions import Region, RegionLevel, add_region, find_child
from models.storage import MediaStorage

DISTRICT = "示范区"


TOWNS = {
    "青山镇": ["石桥村", "竹林村", "上坪村", "下湾村"],
    "河湾镇": ["清水村", "新塘村", "榕树村", "大岭村"],
    "云岭乡": ["云岭村", "白沙村", "高峰村", "平安社区"],
}


DEFAULT_SEED = 2024


ASSETS_PER_VILLAGE = 25


CENTRE = (21.9, 108.6)  # latitude, longitude the villages lie around


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    place: tuple[str, ...]  # names below the district: () · (town,) · (town, village)
    phone: str
    name: str
    department: str | None = None
    village_post: VillagePost | None = None

    @property
    def title(self) -> str:
        return f"{self.role.label}（{self.village_post.label}）" if self.village_post else self.role.label

    @property
    def place_text(self) -> str:
        return DISTRICT + "".join(self.place) + (self.department or "")


ACCOUNTS = [
    DemoAccount(Role.DISTRICT_ADMIN, (), "13900000001", "韦建华"),
    DemoAccount(Role.DEPARTMENT, (), "13900000002", "黄丽萍", "交通运输局"),
    DemoAccount(Role.TOWN_OFFICIAL, ("青山镇",), "13900000011", "覃志刚"),
    DemoAccount(Role.TOWN_OFFICIAL, ("河湾镇",), "13900000012", "梁秀兰"),
    DemoAccount(Role.TOWN_OFFICIAL, ("云岭乡",), "13900000013", "陆国庆"),
    DemoAccount(Role.VILLAGE_CLERK, ("青山镇", "石桥村"), "13900000021", "莫海燕"),
    DemoAccount(
        Role.VILLAGE_SUPERVISOR,
        ("青山镇", "石桥村"),
        "13900000022",
        "蒙德明",
        village_post=VillagePost.SUPERVISION_COMMITTEE_CHAIR,
    ),
    DemoAccount(
        Role.VILLAGE_SUPERVISOR,
        ("青山镇", "石桥村"),
        "13900000024",
        "黄秋菊",
        village_post=VillagePost.COOPERATIVE_BOARD_CHAIR,
    ),
    DemoAccount(Role.CUSTODIAN, ("青山镇", "石桥村"), "13900000023", "李小军"),
]


# Share of each status among the demo assets (the rest are 正常).
STATUS_SHARE = {
    AssetStatus.IDLE: 0.08,
    AssetStatus.DAMAGED: 0.07,
    AssetStatus.SUSPENDED: 0.05,
    AssetStatus.DISPOSED: 0.04,
}


# Share (%) of each class among the assets drawn once every sub-type has one.
CLASS_WEIGHT = {AssetClass.PUBLIC_BENEFIT: 55, AssetClass.OPERATING: 30, AssetClass.HOUSEHOLD: 15}


# Sub-type → (name patterns, value range in 万元). {v} village, {h} hamlet, {n} a small number.
NAMES: dict[str, tuple[list[str], tuple[float, float]]] = {
    "道路交通": (["{v}{h}硬化道路{n}公里", "{v}{h}产业路", "{v}{h}便民桥"], (20, 200)),
    "农田水利": (["{v}{h}灌溉水渠", "{v}{h}提灌站", "{v}{h}山塘加固"], (10, 150)),
    "供水饮水": (["{v}{h}饮水工程", "{v}{h}蓄水池{n}座"], (5, 120)),
    "环卫公厕": (["{v}{h}公共厕所", "{v}{h}垃圾收集池"], (3, 30)),
    "教育": (["{v}小学教学楼", "{v}幼儿园"], (30, 300)),
    "文化": (["{v}文化活动室", "{v}{h}文化广场"], (5, 60)),
    "体育": (["{v}{h}篮球场", "{v}健身路径"], (3, 30)),
    "卫生": (["{v}卫生室"], (10, 60)),
    "电力": (["{v}{h}变压器增容", "{v}{h}太阳能路灯{n}盏"], (5, 80)),
    "农林牧渔业产业基地": (["{v}百香果种植基地", "{v}肉牛养殖场", "{v}茶叶基地", "{v}{h}砂糖橘基地"], (20, 200)),
    "生产加工设施": (["{v}扶贫车间", "{v}农产品加工厂"], (30, 250)),
    "旅游设施": (["{v}民宿", "{v}游客服务中心"], (20, 200)),
    "经营性电商服务设施": (["{v}电商服务站"], (3, 30)),
    "经营性冷藏存储设施": (["{v}冷库"], (20, 180)),
    "光伏电站": (["{v}村级光伏电站{n}0千瓦"], (10, 200)),
    "权益性资产": (["入股{v}种养合作社", "入股{v}农旅开发公司"], (10, 150)),
    "到户类": (
        [
            "{v}{h}{p}户能繁母牛{n}头",
            "{v}{h}{p}户户用光伏",
            "{v}{h}{p}户砂糖橘果苗",
            "{v}{h}{p}户蜂箱{n}0箱",
        ],
        (0.3, 3),
    ),
}


HAMLETS = ["新屯", "老屋屯", "坡头屯", "岭脚屯", "水口屯", "一组", "二组", "三组"]


SURNAMES = "韦覃黄莫蒙梁陆农李陈罗杨潘蓝卢谭廖"


GIVEN_NAMES = [
    "建国",
    "秀英",
    "德明",
    "海燕",
    "志强",
    "春梅",
    "永福",
    "小军",
    "文华",
    "丽萍",
    "桂兰",
    "金凤",
    "光辉",
    "玉珍",
    "振华",
    "美玲",
    "家宝",
    "素芬",
    "明亮",
    "红英",
    "勇",
    "军",
    "芳",
    "强",
]


OPERATORS = [
    "委托经营：绿源农业有限公司",
    "委托经营：山里香食品有限公司",
    "合作经营：{v}种养专业合作社",
    "自主经营：{v}股份经济合作社",
    "租赁经营：青山农旅开发有限公司",
]


EARLY_SOURCES = [
    FundingSource.FISCAL,
    FundingSource.INTEGRATED,
    FundingSource.LOCAL_BOND,
    FundingSource.PAIRED_ASSISTANCE,
    FundingSource.EAST_WEST,
    FundingSource.DONATION,
]


LATE_SOURCES = [
    FundingSource.LINKAGE,
    FundingSource.INTEGRATED,
    FundingSource.LOCAL_BOND,
    FundingSource.PAIRED_ASSISTANCE,
    FundingSource.EAST_WEST,
    FundingSource.DONATION,
]


# The rest of a county's staff, beside the demo logins: a clerk and a custodian in every village
# (phones 139000002NN and 139000001NN, NN the village's number) and a liaison in every department.
CLERK_PHONE, CUSTODIAN_PHONE, LIAISON_PHONE = "139000002{:02d}", "139000001{:02d}", "139000000{:02d}"
POST_PHONES = {
    VillagePost.SUPERVISION_COMMITTEE_CHAIR: "139000003{:02d}",
    VillagePost.COOPERATIVE_BOARD_CHAIR: "139000004{:02d}",
}


FIRST_LIAISON = 41


def is_loaded(session: Session) -> bool:
    """Whether the demo accounts are in this database."""
    return session.scalar(select(User.id).where(User.phone == ACCOUNTS[0].phone)) is not None


def add_regions(session: Session, demo: Demo, rng: random.Random) -> None:
    """The towns and villages, and the district's departments."""
    for town_name, village_names in TOWNS.items():
        town = add_region(session, town_name, RegionLevel.TOWN, demo.district)
        demo.towns[town_name] = town
        for village_name in village_names:
            demo.villages[village_name] = add_region(session, village_name, RegionLevel.VILLAGE, town)
    ensure_departments(session, demo.district)


def add_staff(session: Session, demo: Demo, rng: random.Random) -> None:
    """The demo logins, then the rest of the staff, with names that look real; all of them
    joined more than a year ago."""
    taken = {account.name for account in ACCOUNTS}

    def add(phone: str, name: str, role: Role, region: Region, **fields: Any) -> None:
        joined = demo.moment(rng, rng.randint(430, 560), weekdays_only=True)
        demo.users[phone] = create_user(
            session, phone=phone, name=name, password=PASSWORD, role=role, region=region, now=joined, **fields
        )

    departments = {
        d.name: d for d in session.scalars(select(Department).where(Department.district_id == demo.district.id))
    }
    for account in ACCOUNTS:
        region = demo.district
        for name in account.place:
            region = find_child(session, region, name)
        department = departments[account.department] if account.department else None
        add(account.phone, account.name, account.role, region, department=department, village_post=account.village_post)
    for number, village in enumerate(demo.villages.values(), start=1):
        for role, phone in ((Role.VILLAGE_CLERK, CLERK_PHONE), (Role.CUSTODIAN, CUSTODIAN_PHONE)):
            if not any(a.role is role and a.place[-1:] == (village.name,) for a in ACCOUNTS):
                add(phone.format(number), _new_person(rng, taken), role, village)
    liaisons = {a.department for a in ACCOUNTS if a.department}
    for number, name in enumerate(sorted(set(departments) - liaisons), start=FIRST_LIAISON):
        add(
            LIAISON_PHONE.format(number),
            _new_person(rng, taken),
            Role.DEPARTMENT,
            demo.district,
            department=departments[name],
        )
    for number, village in enumerate(demo.villages.values(), start=1):
        for post, phone in POST_PHONES.items():
            if not any(a.village_post is post and a.place[-1:] == (village.name,) for a in ACCOUNTS):
                add(phone.format(number), _new_person(rng, taken), Role.VILLAGE_SUPERVISOR, village, village_post=post)


def _new_person(rng: random.Random, taken: set[str]) -> str:
    """A name nobody in `taken` has (and now taken)."""
    name = _person(rng)
    while name in taken:
        name = _person(rng)
    taken.add(name)
    return name


def grade_last_year(session: Session, demo: Demo, rng: random.Random) -> None:
    """Last year's scores, recorded as the calendar has it: each town scored its villages by
    Dec 20, the district rated the towns by Dec 31."""
    last_year = demo.today.year - 1
    admin = next(user for user in demo.users.values() if user.role is Role.DISTRICT_ADMIN)
    officials = {u.region_id: u for u in demo.users.values() if u.role is Role.TOWN_OFFICIAL}
    raters = [(officials[v.parent_id], v, (12, 20)) for v in demo.villages.values()]
    raters += [(admin, town, (22, 31)) for town in demo.towns.values()]
    for rater, region, (first, last) in raters:
        day = dt.date(last_year, 12, rng.randint(first, last))
        rated = demo.moment(rng, (demo.today - day).days, weekdays_only=True)
        score = f"{rng.uniform(65, 97):.1f}"
        result = rate(session, rater, region, last_year, score, this_year=last_year, now=rated)
        if isinstance(result, VillageEvaluation):
            result.status = Status.RATED  # the district's rating closed last year's cycle
    for year in (last_year, demo.today.year):
        ensure_sheets(session, demo.district, year, demo.moment(rng, (demo.today - dt.date(year, 1, 5)).days))


def _subtype_plan(rng: random.Random, count: int) -> list[str]:
    """Sub-type names for `count` assets: every sub-type at least once, then weighted by class."""
    names = [name for name, *_ in SUBTYPES]
    weights = [
        CLASS_WEIGHT[asset_class] / sum(1 for s in SUBTYPES if s[1] is asset_class)
        for _name, asset_class, *_ in SUBTYPES
    ]
    plan = names + rng.choices(names, weights=weights, k=count - len(names))
    rng.shuffle(plan)
    return plan


def _status_plan(rng: random.Random, count: int) -> list[AssetStatus]:
    plan = [s for s, share in STATUS_SHARE.items() for _ in range(max(1, round(share * count)))]
    plan += [AssetStatus.NORMAL] * (count - len(plan))
    rng.shuffle(plan)
    return plan


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _phone(rng: random.Random) -> str:
    return f"138{rng.randrange(10**8):08d}"


def register_assets(session: Session, demo: Demo, rng: random.Random) -> None:
    """25 assets a village, registered by the town over the past year or so; some later became
    idle, damaged (lately), suspended or disposed of."""
    subtypes = ensure_subtypes(session)
    count = ASSETS_PER_VILLAGE * len(demo.villages)
    plan = zip(_subtype_plan(rng, count), _status_plan(rng, count), strict=True)
    officials = {u.region_id: u for u in demo.users.values() if u.role is Role.TOWN_OFFICIAL}
    custodian_logins = {u.region_id: u for u in demo.users.values() if u.role is Role.CUSTODIAN}
    sequence = 0
    for village in demo.villages.values():
        centre = (CENTRE[0] + rng.uniform(-0.12, 0.12), CENTRE[1] + rng.uniform(-0.15, 0.15))
        # The village's custodian with a login looks after some of its assets, two others the rest.
        login = custodian_logins[village.id]
        custodians = [(login.name, login.phone)] + [(_person(rng), _phone(rng)) for _ in range(2)]
        place = (centre, custodians)
        actor, names = officials[village.parent_id], set()
        for subtype_name, status in itertools.islice(plan, ASSETS_PER_VILLAGE):
            sequence += 1
            registered = demo.moment(rng, rng.randint(120, 400), weekdays_only=True)
            subtype = subtypes[subtype_name]
            raw = _raw_asset(rng, sequence, village, subtype, status, registered, place)
            raw["name"] = _new_name(raw["name"], names)
            asset = create_asset(session, actor, _parse(raw, subtypes), village, registered)
            if status is not AssetStatus.NORMAL:
                # Registered as 正常; the town records what happened to it later (damage, lately).
                since = demo.days_since(registered) - 1
                changed = demo.moment(
                    rng, rng.randint(3, min(since, 60) if status is AssetStatus.DAMAGED else since), weekdays_only=True
                )
                raw = _changed_status(rng, raw, status, changed.astimezone(CHINA).date())
                update_asset(session, actor, asset, _parse(raw, subtypes), village, changed)
            demo.assets.append(asset)


def _new_name(name: str, taken: set[str]) -> str:
    """The name, or a later phase of it when the village already has one so named."""
    for phase in ("", "（二期）", "（三期）", "（四期）", "（五期）"):
        if name + phase not in taken:
            taken.add(name + phase)
            return name + phase
    return name


def _raw_asset(
    rng: random.Random,
    sequence: int,
    village: Region,
    subtype: AssetSubtype,
    status: AssetStatus,
    registered: dt.datetime,
    place: tuple[tuple[float, float], list[tuple[str, str]]],
) -> dict[str, Any]:
    """Raw field values, as a clerk would type them, for one demo asset.

    `place` is the village's centre (latitude, longitude) and its custodians (name, phone).
    """
    centre, custodians = place
    v, hamlet = village.name, rng.choice(HAMLETS)
    committee = f"{v}{'居民' if v.endswith('社区') else '村民'}委员会"
    patterns, (low, high) = NAMES[subtype.name]
    if status is AssetStatus.DISPOSED:
        year = rng.randint(2014, 2019)
    else:
        year = rng.randint(2015, registered.year)
    value = Decimal(f"{rng.uniform(low, high):.2f}")
    person = _person(rng)
    raw: dict[str, Any] = {
        "code": f"DM{year}{sequence:04d}",
        "name": rng.choice(patterns).format(v=v, h=hamlet, n=rng.randint(2, 9), p=person),
        "asset_class": subtype.asset_class.label,
        "subtype": subtype.name,
        "project_name": f"{year}年{v}{subtype.name}项目",
        "project_year": f"{year}年",
        "original_value": str(value),
        "fundings": _funding_text(rng, year, value),
        "hamlet": hamlet,
        "owner": f"{v}股份经济合作社" if subtype.asset_class is AssetClass.OPERATING else committee,
        "ownership_confirmed": "是" if rng.random() < 0.85 else "否",
        "custodian_body": committee,
        "status": AssetStatus.NORMAL.label,
        "card_on_wall": "是" if rng.random() < 0.85 else "否",
    }
    raw["custodian_name"], raw["custodian_phone"] = rng.choice(custodians)
    if rng.random() < 0.9:
        raw["latitude"] = f"{centre[0] + rng.uniform(-0.01, 0.01):.6f}"
        raw["longitude"] = f"{centre[1] + rng.uniform(-0.01, 0.01):.6f}"
    if subtype.asset_class is AssetClass.HOUSEHOLD:
        raw.update(
            owner=f"脱贫户{person}",
            custodian_body=f"脱贫户{person}",
            custodian_name=person,
            custodian_phone=_phone(rng),
            project_name=f"{year}年{v}产业到户奖补项目",
            beneficiary_households="1",
            beneficiary_poor_households="1",
        )
    else:
        households = rng.randint(15, 400)
        raw["beneficiary_households"] = str(households)
        raw["beneficiary_poor_households"] = str(rng.randint(0, households // 3))
    if subtype.asset_class is AssetClass.OPERATING:
        raw["operator"] = rng.choice(OPERATORS).format(v=v)
    return raw


def _funding_text(rng: random.Random, year: int, value: Decimal) -> str:
    """One or two sources; when two, usually with amounts that add up to the value."""
    sources = rng.sample(LATE_SOURCES if year >= 2021 else EARLY_SOURCES, k=rng.choice((1, 1, 2)))
    if len(sources) == 1:
        return sources[0].label
    if rng.random() < 0.3:
        return "、".join(s.label for s in sources)
    first = (value * Decimal(rng.randint(30, 70)) / 100).quantize(Decimal("0.01"))
    return f"{sources[0].label} {first}、{sources[1].label} {value - first}"


def _parse(raw: dict[str, Any], subtypes: dict[str, AssetSubtype]) -> dict[str, Any]:
    values, errors = parse_asset_fields(raw, subtypes)
    if errors:
        raise Invalid(errors, f"示范资产{raw['code']}不合规则")
    return values


def _changed_status(rng: random.Random, raw: dict[str, Any], status: AssetStatus, on: dt.date) -> dict[str, Any]:
    raw = {**raw, "status": status.label}
    if status is AssetStatus.DISPOSED:
        raw["disposed_on"] = on - dt.timedelta(days=rng.randint(3, 20))  # recorded some days later
        raw["disposal_method"] = rng.choice(list(DisposalMethod)).label
        raw["notes"] = "经村民代表会议表决，报镇人民政府批准后处置。"
    return raw


# The loading steps, in order: each builds on what the ones before it made.
STEPS: tuple[Step, ...] = (
    add_regions,
    add_staff,
    register_assets,
    keep_records,
    file_complaints,
    finish_calendar,
    grade_last_year,
    put_on_notice,
    run_evaluation_cycle,
)


def load_demo(
    session: Session,
    storage: MediaStorage,
    now: dt.datetime,
    seed: int = DEFAULT_SEED,
    steps: Sequence[Step] = STEPS,
) -> Demo:
    """Create the demo county as of `now`, with a year of records, complaints and tasks done (or
    only what the chosen `steps` make). Flushes, never commits."""
    if session.scalar(select(Region.id).where(Region.parent_id.is_(None), Region.name == DISTRICT)):
        raise DomainError(f"已有名为{DISTRICT}的区县，示范数据不再重复加载。")
    demo = Demo(now=now, storage=storage, district=add_region(session, DISTRICT, RegionLevel.DISTRICT, None))
    for step in steps:
        step(session, demo, random.Random(f"{seed}:{step.__name__}"))  # noqa: S311  (repeatable, not secret)
    return demo
