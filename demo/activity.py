"""A year of life in the demo county: maintenance records with photos, and complaints in every
state of their workflow. Fictional, repeatable (seeded), and made through the real operations."""

from __future__ import annotations

import datetime as dt
import io
import random
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from models.assets.entities import Asset, AssetStatus
from models.complaints.entities import Complaint
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
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.people import Role, User, create_user
from models.regions import Region
from models.storage import MediaStorage

TIMEZONE = "Asia/Shanghai"


CHINA = ZoneInfo(TIMEZONE)


PASSWORD = "guanhu-demo"  # noqa: S105  (published with the demo logins)


PHONES_WITH_LOGIN = {"13900000023"}  # the demo custodian (石桥村) whose login is printed


RECORDED_SHARE = 0.35  # of the assets in use, those whose custodian kept records this year


NOTES = {
    MaintenanceKind.INSPECTION: [
        "巡查正常，无损坏。",
        "路面干净，排水通畅。",
        "设施完好，已清理周边杂草。",
        "运行正常。",
    ],
    MaintenanceKind.UPKEEP: ["清理淤泥和杂草。", "更换损坏的护栏螺丝。", "对设备进行除尘保养。"],
    MaintenanceKind.REPAIR: ["修补路面坑洼约5平方米。", "更换漏水阀门一个。", "修复损坏的围栏。"],
}


COMPLAINTS = [
    ("损坏需维修", "路面有一个大坑，下雨天积水，摩托车经过很危险。"),
    ("无人管护", "水池周边杂草很多，好久没人打扫了。"),
    ("收益分配", "去年光伏电站的收益是怎么分配的？村里没有公示。"),
    ("被占用或私用", "有人在篮球场上堆放建筑材料，大家没法用。"),
    ("损坏需维修", "路灯有三盏不亮了，晚上走路看不见。"),
    ("其他", "希望在水渠边加装护栏，小孩放学经过不安全。"),
]


def load_activity(
    session: Session,
    storage: MediaStorage,
    villages: dict[str, Region],
    assets: list[Asset],
    users: dict[str, User],
    now: dt.datetime,
    seed: int,
) -> tuple[int, int]:
    """Records for about a third of the assets over the past year, and complaints; (records, complaints)."""
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not secrets)
    custodians = _custodians(session, villages, users, now)
    in_use = [a for a in assets if a.status not in (AssetStatus.DISPOSED, AssetStatus.SUSPENDED)]
    records = 0
    for asset in rng.sample(in_use, k=int(len(in_use) * RECORDED_SHARE)):
        recorder = custodians[asset.village_id]
        interval = max(asset.subtype.inspection_interval_days, 14)
        day = rng.randint(1, interval)
        while day < 360:
            records += _record(session, storage, rng, recorder, asset, now - dt.timedelta(days=360 - day))
            day += interval + rng.randint(-3, 10)
    records += _recycled_photo(session, storage, rng, custodians, in_use, now)
    return records, _complaints(session, storage, rng, assets, users, now)


def _recycled_photo(
    session: Session,
    storage: MediaStorage,
    rng: random.Random,
    custodians: dict[int, User],
    in_use: list[Asset],
    now: dt.datetime,
) -> int:
    """One false claim, as reviewers meet them: the same photo handed in for two assets."""
    custodian = next(u for u in custodians.values() if u.phone in PHONES_WITH_LOGIN)
    first, second = [a for a in in_use if a.village_id == custodian.region_id][:2]
    photo = _photo(rng, now - dt.timedelta(days=3), first)
    for asset in (first, second):
        record_maintenance(
            session,
            storage,
            custodian,
            asset,
            kind=MaintenanceKind.INSPECTION,
            photos=[photo],
            now=now - dt.timedelta(days=3),
            timezone=TIMEZONE,
            notes="巡查正常。",
        )
    return 2


def _custodians(
    session: Session, villages: dict[str, Region], users: dict[str, User], now: dt.datetime
) -> dict[int, User]:
    """One custodian per village: the demo custodian in 石桥村, a made-up one elsewhere."""
    found = {u.region_id: u for u in users.values() if u.role is Role.CUSTODIAN}
    for number, village in enumerate(villages.values(), start=1):
        if village.id not in found:
            found[village.id] = create_user(
                session,
                phone=f"139000001{number:02d}",
                name=f"{village.name}管护员",
                password=PASSWORD,
                role=Role.CUSTODIAN,
                region=village,
                now=now,
            )
    return found


def _record(
    session: Session, storage: MediaStorage, rng: random.Random, recorder: User, asset: Asset, at: dt.datetime
) -> int:
    if at <= asset.created_at:
        return 0
    kind = rng.choices([MaintenanceKind.INSPECTION, MaintenanceKind.UPKEEP, MaintenanceKind.REPAIR], [8, 2, 1])[0]
    at = at.replace(hour=1 + rng.randint(0, 7), minute=rng.randint(0, 59))  # 9:00–16:59 China time
    photos = [_photo(rng, at, asset) for _ in range(rng.choice((1, 1, 2)))]
    record_maintenance(
        session,
        storage,
        recorder,
        asset,
        kind=kind,
        photos=photos,
        now=at,
        timezone=TIMEZONE,
        notes=rng.choice(NOTES[kind]),
        cost=rng.randint(100, 3000) if kind is MaintenanceKind.REPAIR else None,
    )
    return 1


def _photo(rng: random.Random, at: dt.datetime, asset: Asset) -> bytes:
    """A small, distinct "phone photo" with its capture time (and place, when the asset has one)."""
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


def _complaints(
    session: Session,
    storage: MediaStorage,
    rng: random.Random,
    assets: list[Asset],
    users: dict[str, User],
    now: dt.datetime,
) -> int:
    """Complaints about 石桥村 assets (where the demo clerk works), in every state of the workflow."""
    limits = ComplaintLimits(timezone=TIMEZONE)
    clerk = next(u for u in users.values() if u.role is Role.VILLAGE_CLERK)
    shiqiao = [a for a in assets if a.village_id == clerk.region_id and a.status is not AssetStatus.DISPOSED]
    outcomes = [
        "closed",
        "closed",
        "closed",
        "answered",
        "assigned",
        "accepted",
        "new",
        "new",
        "rejected",
        "reopened",
        "closed",
        "answered",
        "appealed",
    ]
    for number, outcome in enumerate(outcomes):
        asset = rng.choice(shiqiao)
        category, text = COMPLAINTS[number % len(COMPLAINTS)]
        filed = now - dt.timedelta(days=rng.randint(2, 300) if outcome == "closed" else rng.randint(1, 10))
        complaint = file_complaint(
            session,
            storage,
            asset,
            category=category,
            description=text,
            contact_name=None,
            contact_phone=None,
            photos=[],
            openid=f"o_villager_{number % 3 + 1}",
            now=filed,
            limits=limits,
        )
        _advance(session, storage, complaint, outcome, clerk, filed, limits)
    return len(outcomes)


def _advance(
    session: Session,
    storage: MediaStorage,
    complaint: Complaint,
    outcome: str,
    clerk: User,
    filed: dt.datetime,
    limits: ComplaintLimits,
) -> None:
    step = dt.timedelta(hours=20)
    if outcome == "new":
        return
    if outcome in ("rejected", "appealed"):
        reason = "经核实，该设施不属于扶贫项目资产，已告知群众向乡镇反映。"
        reject(session, clerk, complaint, reason, filed + step)
        if outcome == "appealed":
            appeal(session, complaint, "这处设施是当年扶贫项目修的，村里有公示，请乡镇核实。", filed + 2 * step, limits)
        return
    accept(session, clerk, complaint, filed + step)
    if outcome == "accepted":
        return
    assign(session, clerk, complaint, f"region:{complaint.asset.village_id}", filed + 2 * step)
    if outcome == "assigned":
        return
    reply = "已安排管护员现场处理，问题已解决，欢迎继续监督。"
    answer(session, storage, clerk, complaint, reply, [], filed + 3 * step)
    if outcome == "answered":
        return
    rating = "不满意" if outcome == "reopened" else "满意"
    rate(session, complaint, rating, filed + 4 * step, limits)
