"""A year of life in the demo county: maintenance records with photos, complaints in every state of
their workflow that fit the assets they are about, and the year's calendar tasks done as they fell
due. Fictional, repeatable (seeded), made through the real operations, at the times of day and
year people do such things."""

from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from demo import CHINA, TIMEZONE, Demo
from models.assets.entities import Asset, AssetClass, AssetStatus
from models.complaints.entities import Complaint, ComplaintCategory
from models.complaints.operations import (
    ComplaintLimits,
    accept,
    answer,
    appeal,
    assign,
    file_complaint,
    rate,
    reject,
)
from models.deadlines.calendar import ensure_deadlines
from models.deadlines.entities import Deadline, ResponsibleLevel
from models.deadlines.operations import mark_done
from models.deadlines.tasks import EVALUATION_STEPS
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.people import Role, User

CLERK_WITH_LOGIN, CUSTODIAN_WITH_LOGIN = "13900000021", "13900000023"  # of 石桥村, logins printed by make run


YEAR_ROUND_SHARE = 0.2  # of the assets in care, those whose records go back the whole year


LATE_SHARE = 0.06  # of the assets in care, those whose next inspection is a few days late


HISTORY_DAYS = 360


NOTES = {
    MaintenanceKind.INSPECTION: [
        "巡查正常，无损坏。",
        "设施完好，已清理周边杂草。",
        "运行正常。",
        "雨后巡查，未发现异常。",
    ],
    MaintenanceKind.UPKEEP: ["清理淤泥和杂草。", "更换损坏的护栏螺丝。", "对设备进行除尘保养。"],
    MaintenanceKind.REPAIR: ["修补破损处约5平方米。", "更换漏水阀门一个。", "修复损坏的围栏。"],
}


_DAMAGE, _NEGLECT, _INCOME, _OCCUPIED, _OTHER = (
    ComplaintCategory.DAMAGE,
    ComplaintCategory.NEGLECT,
    ComplaintCategory.INCOME,
    ComplaintCategory.OCCUPIED,
    ComplaintCategory.OTHER,
)


# What villagers write about an asset, by sub-type: (a word of the asset's name, category, text).
COMPLAINTS: dict[str, list[tuple[str, ComplaintCategory, str]]] = {
    "道路交通": [
        ("路", _DAMAGE, "这段路面塌陷了一块，下雨天积水，摩托车经过很危险。"),
        ("路", _DAMAGE, "路边排水沟被泥沙堵住了，一下大雨水就漫到路面上。"),
        ("路", _OCCUPIED, "有人在路边堆放木材和沙子，占了半边路，车子过不去。"),
        ("桥", _DAMAGE, "便民桥的护栏松动了，小孩上学经过很不安全。"),
    ],
    "农田水利": [
        ("水渠", _DAMAGE, "水渠有一段垮塌了，下游的田放不到水，快到插秧的时候了。"),
        ("水渠", _NEGLECT, "水渠里淤泥和杂草很多，好久没人清理，水流不过去。"),
        ("提灌站", _DAMAGE, "提灌站的水泵坏了半个月，田里放不到水。"),
        ("山塘", _NEGLECT, "山塘堤坝有一处渗水，护坡长满杂草，担心下大雨出问题。"),
    ],
    "供水饮水": [
        ("饮水", _DAMAGE, "水管漏水好几天了，屯里几户人家水压很小，早上接不到水。"),
        ("蓄水池", _NEGLECT, "蓄水池的盖板破了也没人管，担心有脏东西掉进去。"),
        ("蓄水池", _DAMAGE, "蓄水池出水口的阀门坏了，水一直往外流。"),
    ],
    "环卫公厕": [
        ("厕所", _NEGLECT, "公共厕所好几天没人打扫，气味很大，洗手的水龙头也坏了。"),
        ("垃圾", _NEGLECT, "垃圾收集池满了没人清运，周边都是苍蝇。"),
    ],
    "教育": [
        ("教学楼", _DAMAGE, "教学楼二楼走廊的栏杆有一段松动了，孩子们靠在上面很危险。"),
        ("幼儿园", _DAMAGE, "幼儿园的滑梯有一块板子裂了，小朋友玩的时候容易划伤。"),
    ],
    "文化": [
        ("活动室", _OTHER, "文化活动室经常锁着门，晚上想去看书、跳舞都进不去。"),
        ("广场", _OCCUPIED, "文化广场被人用来晒稻谷、停车，大家跳舞的地方都没有了。"),
    ],
    "体育": [
        ("篮球场", _OCCUPIED, "有人在篮球场上堆放建筑材料，大家没法打球。"),
        ("健身", _DAMAGE, "健身器材有一个转盘坏了，小孩玩的时候容易夹到手。"),
    ],
    "卫生": [("卫生室", _DAMAGE, "卫生室屋顶漏水，下雨天药柜都被淋湿了。")],
    "电力": [
        ("路灯", _DAMAGE, "太阳能路灯有三盏不亮了，晚上走路看不见。"),
        ("变压器", _DAMAGE, "晚上用电高峰总是跳闸，家里经常停电。"),
    ],
    "农林牧渔业产业基地": [
        ("基地", _INCOME, "基地去年的收益是怎么分配的？村里一直没有公示。"),
        ("基地", _NEGLECT, "基地里杂草比苗还高，好像没人管了。"),
        ("养殖场", _OTHER, "养殖场的粪水直接排到水沟里，附近气味很大。"),
    ],
    "生产加工设施": [
        ("车间", _OTHER, "扶贫车间大半年没开工了，设备一直闲着，能不能租出去？"),
        ("加工厂", _INCOME, "加工厂租给老板经营，每年租金多少、怎么分的，希望公示一下。"),
    ],
    "旅游设施": [
        ("民宿", _INCOME, "民宿经营两年了，村集体得了多少收益？没有看到公示。"),
        ("游客服务中心", _OTHER, "游客服务中心一直锁着门，里面的设施都积灰了。"),
    ],
    "经营性电商服务设施": [("电商", _OTHER, "电商服务站经常关门，寄东西、取快递都找不到人。")],
    "经营性冷藏存储设施": [("冷库", _OTHER, "冷库去年秋天以后就空着，收益怎么算？")],
    "光伏电站": [
        ("光伏", _INCOME, "去年光伏电站的收益是怎么分配的？村里没有公示。"),
        ("光伏", _NEGLECT, "光伏板上落满灰尘和树叶，好久没清洗了，发电肯定受影响。"),
    ],
    "权益性资产": [("入股", _INCOME, "入股的分红今年还没有发，也没有公示。")],
}


ANSWERS = {
    _DAMAGE: "已安排管护员到现场查看，损坏的地方已经修好，欢迎继续监督。",
    _NEGLECT: "已督促管护员清理干净，并把这里列入每周巡查，欢迎继续监督。",
    _INCOME: "去年的收益和分配明细已在村务公开栏张贴公示，有疑问可以到村委会查阅账目。",
    _OCCUPIED: "已联系占用的村民，东西已经清走，恢复正常使用。",
    _OTHER: "您的意见村两委已经研究，已安排专人落实，欢迎继续监督。",
}


# Each complaint's fate, and how many days ago it was filed (those still open: lately).
OUTCOMES = [
    ("closed", (40, 330)),
    ("closed", (40, 330)),
    ("closed", (20, 200)),
    ("answered", (6, 14)),
    ("assigned", (3, 8)),
    ("accepted", (2, 6)),
    ("new", (0, 2)),
    ("new", (1, 4)),
    ("rejected", (3, 40)),
    ("reopened", (10, 20)),
    ("closed", (15, 120)),
    ("answered", (6, 14)),
    ("appealed", (4, 12)),
]


# What the person who owns a calendar task writes when marking it done.
DONE_NOTES = {
    "asset_inventory": "资产清查已完成，清查总结、台账、基本情况表、运营状况表已盖章上报。",
    "system_data_entry": "资产信息已在全国系统资产模块填报完毕，已逐项核对。",
    "town_rectification": "核查发现的问题已逐项整改，整改台账报区。",
    "village_rectification": "核查发现的问题已整改完毕，整改照片和说明已报镇。",
    "town_review": "各村自评已复核并评分，结果报区。",
    "town_rating": "各乡镇等次已评定并通报。",
}


LATE_TASK_SHARE = 0.15  # of the tasks that fell due, those done a few days late


EARLY_TASK_SHARE = 0.4  # of the tasks falling due within a week, those done already


def keep_records(session: Session, demo: Demo, rng: random.Random) -> None:
    """Every asset in care inspected within its sub-type's interval by its village's custodian (a
    few of them a little late), a fifth of them all year round; and one recycled photo."""
    custodians = {u.region_id: u for u in demo.users.values() if u.role is Role.CUSTODIAN}
    in_care = [a for a in demo.assets if a.status is not AssetStatus.DISPOSED]
    year_round = {a.id for a in rng.sample(in_care, k=int(len(in_care) * YEAR_ROUND_SHARE))}
    for asset in in_care:
        interval = asset.subtype.inspection_interval_days
        last = interval + rng.randint(1, 12) if rng.random() < LATE_SHARE else rng.randint(0, interval - 1)
        days_ago, count = [last], HISTORY_DAYS if asset.id in year_round else rng.randint(1, 2)
        while days_ago[-1] < HISTORY_DAYS and len(days_ago) < count:
            days_ago.append(days_ago[-1] + max(interval, 14) + rng.randint(-3, 10))
        for days in reversed(days_ago):  # oldest first: the last one is the asset's last inspection
            at = demo.moment(rng, days, evening_share=0.15)
            if at > asset.created_at:
                _record(session, demo, rng, custodians[asset.village_id], asset, at)
                demo.records += 1
    _recycled_photo(session, demo, rng, custodians, in_care)


def _recycled_photo(
    session: Session, demo: Demo, rng: random.Random, custodians: dict[int, User], in_care: list[Asset]
) -> None:
    """One false claim, as reviewers meet them: the same photo handed in for two assets."""
    custodian = demo.users[CUSTODIAN_WITH_LOGIN]
    first, second = [a for a in in_care if a.village_id == custodian.region_id][:2]
    at = demo.moment(rng, 3)
    photo = _photo(rng, at, first)
    for asset in (first, second):
        record_maintenance(
            session,
            demo.storage,
            custodian,
            asset,
            kind=MaintenanceKind.INSPECTION,
            photos=[photo],
            now=at,
            timezone=TIMEZONE,
            notes="巡查正常。",
        )
        at += dt.timedelta(minutes=rng.randint(8, 25))
        demo.records += 1


def _record(session: Session, demo: Demo, rng: random.Random, recorder: User, asset: Asset, at: dt.datetime) -> None:
    kinds = [MaintenanceKind.INSPECTION, MaintenanceKind.UPKEEP]
    if asset.status is not AssetStatus.DAMAGED:  # a repair would make it 正常 again
        kinds.append(MaintenanceKind.REPAIR)
    kind = rng.choices(kinds, [8, 2, 1][: len(kinds)])[0]
    photos = [_photo(rng, at, asset) for _ in range(rng.choice((1, 1, 2)))]
    record_maintenance(
        session,
        demo.storage,
        recorder,
        asset,
        kind=kind,
        photos=photos,
        now=at,
        timezone=TIMEZONE,
        notes=rng.choice(NOTES[kind]),
        cost=rng.randint(100, 3000) if kind is MaintenanceKind.REPAIR else None,
    )


def _photo(rng: random.Random, at: dt.datetime, asset: Asset) -> bytes:
    """A small, distinct "phone photo" with its capture time."""
    image = Image.new("RGB", (480, 360), (rng.randrange(60, 200), rng.randrange(80, 200), rng.randrange(40, 160)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(480), rng.randrange(360)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle([x, y, x + rng.randrange(30, 200), y + rng.randrange(20, 120)], fill=colour)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = at.astimezone(CHINA).strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def complaints_fitting(asset: Asset) -> list[tuple[ComplaintCategory, str]]:
    """What a villager might write about this asset (nothing for a household's own asset)."""
    if asset.asset_class is AssetClass.HOUSEHOLD:
        return []
    name = asset.name.removeprefix(asset.village.name)  # 石桥村 is no bridge
    return [(category, text) for word, category, text in COMPLAINTS[asset.subtype.name] if word in name]


def file_complaints(session: Session, demo: Demo, rng: random.Random) -> None:
    """Complaints about 石桥村 assets (where the demo clerk works), each fitting its asset, filed at
    any hour over the year, in every state of the workflow; the clerk acts in office hours."""
    limits = ComplaintLimits(timezone=TIMEZONE)
    clerk = demo.users[CLERK_WITH_LOGIN]
    candidates = [
        (asset, category, text)
        for asset in demo.assets
        if asset.village_id == clerk.region_id and asset.status is not AssetStatus.DISPOSED
        for category, text in complaints_fitting(asset)
    ]
    rng.shuffle(candidates)
    chosen = zip(_each_text_once_first(candidates)[: len(OUTCOMES)], OUTCOMES, strict=True)
    planned = [
        (demo.moment(rng, rng.randint(newest, oldest), evening_share=0.35), about, outcome)
        for about, (outcome, (newest, oldest)) in chosen
    ]
    planned.sort(key=lambda plan: plan[0])  # filed in this order, so their numbers follow the calendar
    for number, (filed, (asset, category, text), outcome) in enumerate(planned):
        complaint = file_complaint(
            session,
            demo.storage,
            asset,
            category=category.label,
            description=text,
            contact_name=None,
            contact_phone=None,
            photos=[],
            openid=f"o_villager_{number % 3 + 1}",
            now=filed,
            limits=limits,
        )
        _advance(session, demo, rng, complaint, outcome, clerk, limits)
        demo.complaints += 1


def _each_text_once_first(
    candidates: list[tuple[Asset, ComplaintCategory, str]],
) -> list[tuple[Asset, ComplaintCategory, str]]:
    """The candidates, those whose text came up before moved after all the others."""
    seen: set[str] = set()
    first, repeats = [], []
    for candidate in candidates:
        (repeats if candidate[2] in seen else first).append(candidate)
        seen.add(candidate[2])
    return first + repeats


def _advance(
    session: Session,
    demo: Demo,
    rng: random.Random,
    complaint: Complaint,
    outcome: str,
    clerk: User,
    limits: ComplaintLimits,
) -> None:
    at = complaint.created_at
    if outcome == "new":
        return
    at = _later(demo, rng, at, rng.randint(0, 1))
    if outcome in ("rejected", "appealed"):
        reason = "经核实，反映的地点不在本资产范围内，已电话告知反映人向镇人民政府反映。"
        reject(session, clerk, complaint, reason, at)
        if outcome == "appealed":
            at = _later(demo, rng, at, rng.randint(1, 2), office=False)
            appeal(session, complaint, "问题就出在这项资产上，不是别处，请乡镇派人到现场核实。", at, limits)
        return
    accept(session, clerk, complaint, at)
    if outcome == "accepted":
        return
    at = _later(demo, rng, at, rng.randint(0, 1))
    assign(session, clerk, complaint, f"region:{complaint.asset.village_id}", at)
    if outcome == "assigned":
        return
    at = _later(demo, rng, at, rng.randint(2, 4))
    answer(session, demo.storage, clerk, complaint, ANSWERS[complaint.category], [], at)
    if outcome == "answered":
        return
    at = _later(demo, rng, at, rng.randint(1, 2), office=False)
    rate(session, complaint, "不满意" if outcome == "reopened" else "满意", at, limits)


def _later(demo: Demo, rng: random.Random, after: dt.datetime, days: int, office: bool = True) -> dt.datetime:
    """A moment about `days` days after `after` — in office hours on a weekday, or at any waking
    hour — on the first such day that still has one after it; never after now."""
    for days_ago in range(max(demo.days_since(after) - days, 0), -1, -1):
        if office and (demo.today - dt.timedelta(days=days_ago)).weekday() >= 5:
            continue
        at = demo.moment(rng, days_ago, evening_share=0 if office else 0.5)
        if after < at:
            return at
    return min(after + dt.timedelta(minutes=rng.randint(20, 180)), demo.now - dt.timedelta(minutes=1))


def finish_calendar(session: Session, demo: Demo, rng: random.Random) -> None:
    """This year's calendar tasks as the county has lived them: those that fell due were done by
    their owners (now and then a few days late), and some due within a week are done early."""
    year = demo.today.year
    made = demo.moment(rng, (demo.today - dt.date(year, 1, 2)).days)  # as the scheduler makes them
    ensure_deadlines(session, demo.district, year, made)
    tasks = session.scalars(
        select(Deadline)
        .where(
            Deadline.district_id == demo.district.id,
            Deadline.year == year,
            Deadline.done_at.is_(None),
            Deadline.kind_code.not_in(EVALUATION_STEPS),  # done by doing them (demo.evaluations)
        )
        .order_by(Deadline.due_on, Deadline.id)
    )
    for deadline in tasks:
        if deadline.due_on < demo.today:
            late = rng.random() < LATE_TASK_SHARE
            day = deadline.due_on + dt.timedelta(days=rng.randint(1, 6) if late else -rng.randint(0, 12))
        elif (deadline.due_on - demo.today).days <= 7 and rng.random() < EARLY_TASK_SHARE:
            day = demo.today - dt.timedelta(days=rng.randint(0, 5))
        else:
            continue
        owner = _owner(demo, deadline)
        at = demo.moment(rng, max((demo.today - day).days, 1), weekdays_only=True)
        if owner is None or at <= made:
            continue
        note = DONE_NOTES[deadline.kind_code]
        mark_done(session, owner, deadline.id, note=note, today=at.astimezone(CHINA).date(), now=at)


def _owner(demo: Demo, deadline: Deadline) -> User | None:
    """The first of the task's roles with someone in its region (its department's, for a department)."""
    for kind_role in deadline.kind.roles:
        for user in demo.users.values():
            if kind_role.upper or user.role is not kind_role.role:
                continue
            if deadline.kind.level is ResponsibleLevel.DEPARTMENT:
                if user.department_id == deadline.department_id:
                    return user
            elif user.region_id == deadline.region_id:
                return user
    return None
