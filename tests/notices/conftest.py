"""Fixtures of the notices' tests: staff of every level around 石桥村, and a notice maker."""

from __future__ import annotations

import datetime as dt

import pytest

from models.complaints.operations import ComplaintLimits, file_objection
from models.notices.operations import open_notice
from models.people import Role

LIMITS = ComplaintLimits()
JUNE_1 = dt.date(2026, 6, 1)  # the test clock's day (TEST_NOW, Beijing)


@pytest.fixture
def people(build, county):
    shiqiao = county.villages["石桥村"]
    return {
        "clerk": build.user(Role.VILLAGE_CLERK, shiqiao),
        "supervisor": build.user(Role.VILLAGE_SUPERVISOR, shiqiao),
        "custodian": build.user(Role.CUSTODIAN, shiqiao),
        "other_clerk": build.user(Role.VILLAGE_CLERK, county.villages["竹林村"]),
        "town": build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]),
        "other_town": build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"]),
        "admin": build.user(Role.DISTRICT_ADMIN, county.district),
        "roads": build.user(Role.DEPARTMENT, county.district, department="交通运输局"),
    }


@pytest.fixture
def make_notice(session, county, clock):
    """A notice of 石桥村 opened through the interface other domains use."""

    def make(actor=None, **overrides):
        values = {
            "subject_kind": "evaluation",
            "subject_id": 7,
            "village": county.villages["石桥村"],
            "title": "石桥村2026年度资产管护绩效自评结果公示",
            "body": "一、明确村级管护主体：自评10分。\n二、建立日常管护制度：自评9分。",
            "starts_on": JUNE_1,
        }
        values.update(overrides)
        return open_notice(session, actor, now=clock.now(), **values)

    return make


@pytest.fixture
def object_to(session, clock):
    """A villager's objection to a notice, filed now."""

    def objection(notice, reason="自评分数与实际管护情况不符，水渠半年没人清理。", **contact):
        return file_objection(
            session,
            notice,
            reason=reason,
            contact_name=contact.get("contact_name"),
            contact_phone=contact.get("contact_phone"),
            openid=contact.get("openid"),
            now=clock.now(),
            limits=LIMITS,
        )

    return objection
