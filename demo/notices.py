"""Public notices in the demo county: 石桥村's income distribution plan on notice, with a villager's
objection waiting for the town; made through the real operations."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from demo import TIMEZONE, Demo
from models.complaints.operations import ComplaintLimits, file_objection
from models.notices.operations import publish_notice
from models.people import Role

PLAN = """经村民代表会议讨论通过，现将本村{year}年度村集体经济收益分配方案公示如下：
一、收益来源：村级光伏电站发电收益3.86万元，扶贫车间租金1.2万元，合计5.06万元。
二、分配办法：
1. 提取10%作为村集体公积公益金，用于扶贫项目资产日常管护，计0.51万元；
2. 设置公益性岗位6个（保洁、护路、护林），每人每月300元，计2.16万元；
3. 其余2.39万元按户分配给本村脱贫户和监测户共86户，每户约278元。
三、分配名单附后（村委会公开栏张贴）。
公示期间如有异议，请扫码在线提出，或向村委会、镇工作专班反映。"""


def put_on_notice(session: Session, demo: Demo, rng: random.Random) -> None:
    """石桥村's plan on notice since three days ago (the clerk published it), and one objection to it."""
    village, today = demo.villages["石桥村"], demo.today
    clerk = next(u for u in demo.users.values() if u.role is Role.VILLAGE_CLERK and u.region_id == village.id)
    published = demo.moment(rng, 3, weekdays_only=True)
    notice = publish_notice(
        session,
        clerk,
        village=village,
        asset=None,
        title=f"{today.year}年度村集体经济收益分配方案公示",
        body=PLAN.format(year=today.year),
        starts_on=today - dt.timedelta(days=3),
        ends_on=today + dt.timedelta(days=6),
        now=published,
    )
    file_objection(
        session,
        notice,
        reason="我家2024年底才识别为监测户，分配名单上没有我家，请核实。",
        contact_name="韦大伯",
        contact_phone=None,
        openid="o_villager_2",
        now=demo.moment(rng, 1, evening_share=0.5),
        limits=ComplaintLimits(timezone=TIMEZONE),
    )
