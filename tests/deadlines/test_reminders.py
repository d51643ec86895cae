"""Reminder plans and digests in the domain: who is told, once, what the push may say; urgent
deadlines pushed at once (against the fake WeChat on loopback)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from infra.settings import SANDBOX_TEMPLATE_IDS
from jobs.scheduler import Runner
from models.access import staff_scope
from models.deadlines.calendar import ensure_deadlines
from models.deadlines.entities import Digest, DigestStatus
from models.deadlines.operations import open_deadline
from models.deadlines.reminders import compute_digests, fit_field, unreachable_staff, urgent_to_send
from models.people import Role
from models.wechat.entities import Delivery, DeliveryChannel, DeliveryStatus

NOW = dt.datetime(2026, 6, 23, 0, 30, tzinfo=dt.UTC)
TEMPLATE = "cgi-bin/message/template/send"
SUBSCRIBE_TEMPLATE = SANDBOX_TEMPLATE_IDS["reminder_subscribe"]


def test_fields_are_cut_to_wechat_limits_by_type() -> None:
    assert fit_field("thing1", "一" * 25) == "一" * 19 + "…"
    assert fit_field("thing1", "短") == "短"
    assert fit_field("phrase3", "逾期12天了") == "逾期12天"
    assert fit_field("time2", "2026年12月10日") == "2026年12月10日"
    assert len(fit_field("character_string4", "x" * 40)) == 32


def test_one_digest_per_person_per_day_even_when_computed_twice(session, county, build) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = "o_clerk"
    ensure_deadlines(session, county.district, 2026, NOW)

    first = compute_digests(session, dt.date(2026, 6, 23), NOW)
    again = compute_digests(session, dt.date(2026, 6, 23), NOW)

    assert again is first and first.window_start == dt.date(2026, 6, 23)
    [digest] = session.scalars(select(Digest).where(Digest.user_id == clerk.id)).all()
    assert digest.key == f"digest:{clerk.id}:2026-06-23" and digest.status is DigestStatus.TO_SEND


def test_an_unsent_digest_is_folded_into_the_next_one(session, county, build) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = "o_clerk"
    ensure_deadlines(session, county.district, 2026, NOW)
    compute_digests(session, dt.date(2026, 6, 23), NOW)  # computed, then the process died

    compute_digests(session, dt.date(2026, 6, 24), NOW + dt.timedelta(days=1))

    old, new = session.scalars(select(Digest).where(Digest.user_id == clerk.id).order_by(Digest.local_date)).all()
    assert old.status is DigestStatus.SUPERSEDED
    assert new.status is DigestStatus.TO_SEND and new.deadline_ids == old.deadline_ids


def test_staff_without_wechat_are_listed_as_unreachable(session, county, build) -> None:
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    bound = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    bound.wechat_openid = "o_bound"
    unbound = build.user(Role.VILLAGE_CLERK, county.villages["竹林村"])
    elsewhere = build.user(Role.VILLAGE_CLERK, county.villages["清水村"])

    listed = unreachable_staff(session, staff_scope(town), None)

    assert [(user.id, reason) for user, reason in listed] == [(town.id, "未绑定微信"), (unbound.id, "未绑定微信")]
    assert elsewhere.id not in {user.id for user, _ in listed}


@pytest.fixture
def app_with(app_factory, fake):
    """Apps talking to the fake WeChat, with the given reminder settings."""

    def make(**config):
        return app_factory(**fake.client_config(**config))

    return make


def urgent_repair_for_a_bound_clerk(session, county, build, clock):
    """A repair due in three days in 石桥村, whose clerk has bound WeChat; the afternoon of 6-10."""
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = "o_clerk"
    clock.at = dt.datetime(2026, 6, 10, 7, 0, tzinfo=dt.UTC)  # 15:00, long after the digest
    open_deadline(
        session,
        kind="repair_limit",
        region=county.villages["石桥村"],
        source="damage:3",
        due_on=dt.date(2026, 6, 13),
        title="水渠损毁待修",
        now=clock.now(),
    )
    session.commit()
    return clerk


def test_an_urgent_deadline_is_pushed_at_once_and_only_once(app_with, fake, session, county, build, clock) -> None:
    app = app_with(WECHAT_REMINDER_TEMPLATE_ID=SANDBOX_TEMPLATE_IDS["reminder"])
    clerk = urgent_repair_for_a_bound_clerk(session, county, build, clock)
    assert [p.user_id for p in urgent_to_send(session, clock.now() - dt.timedelta(days=1))] == [clerk.id]

    Runner(app).tick("urgent")
    Runner(app).tick("urgent")

    [delivery] = session.scalars(select(Delivery)).all()
    assert delivery.status is DeliveryStatus.SENT and delivery.key.startswith("urgent:")
    [call] = fake.calls(TEMPLATE)
    assert call.body["request"]["data"]["thing1"]["value"] == "水渠损毁待修（青山镇石桥村）"
    assert call.body["request"]["data"]["phrase3"]["value"] == "剩3天"
    assert call.body["request"]["data"]["thing4"]["value"] == "紧急"  # Chinese: a thing field, as WeChat needs


def test_chinese_in_a_character_string_field_is_refused_as_wechat_does(app_with, fake, session, county, build, clock):
    app = app_with(
        WECHAT_REMINDER_TEMPLATE_ID=SANDBOX_TEMPLATE_IDS["reminder"],
        WECHAT_REMINDER_FIELDS={"task": "thing1", "count": "character_string4"},
    )
    urgent_repair_for_a_bound_clerk(session, county, build, clock)

    Runner(app).tick("urgent")

    [delivery] = session.scalars(select(Delivery)).all()
    assert delivery.status is DeliveryStatus.FAILED and delivery.error_code == 47003


def test_subscription_notifications_are_chosen_by_config_and_fit_their_fields(
    app_with, fake, session, county, build, clock
) -> None:
    app = app_with(
        WECHAT_REMINDER_CHANNEL="subscribe",
        WECHAT_REMINDER_TEMPLATE_ID=SUBSCRIBE_TEMPLATE,
        WECHAT_REMINDER_FIELDS={"task": "thing1", "due": "time2", "count": "thing4"},
    )
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = "o_clerk"
    fake.set_consent("o_clerk", SUBSCRIBE_TEMPLATE)  # accepted in the popup
    ensure_deadlines(session, county.district, 2026, NOW)
    session.commit()
    clock.at = NOW

    Runner(app).tick("digests")

    [delivery] = session.scalars(select(Delivery)).all()
    assert delivery.status is DeliveryStatus.SENT and delivery.channel is DeliveryChannel.SUBSCRIBE
    [call] = fake.calls("cgi-bin/message/subscribe/bizsend")
    request = call.body["request"]
    assert request["template_id"] == SUBSCRIBE_TEMPLATE and request["page"] == "http://guanhu.test/tasks"
    assert request["data"] == {
        "thing1": {"value": "2026年年中自查（两委签字）报镇（青…"},
        "time2": {"value": "2026年06月30日"},
        "thing4": {"value": "共1项待办"},
    }
    assert fake.calls(TEMPLATE) == []
