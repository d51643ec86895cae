"""我的任务 in WeChat lists the person's open deadlines, through the real /wechat endpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.handlers.deadlines import DEADLINES_SHOWN
from models.deadlines.operations import close_deadline, mark_done, open_deadline
from models.errors import Forbidden
from models.people import Role
from tests.support.wechat_messages import STAFF, reply


def test_my_tasks_lists_own_deadlines_and_overdue_ones_below(
    wechat_client, messages, session, county, build, clock
) -> None:
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    town.wechat_openid = STAFF
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    overdue = open_deadline(
        session,
        kind="complaint_limit",
        region=county.villages["石桥村"],
        due_on=dt.date(2026, 5, 30),
        source="complaint:1:accept",
        title="受理群众反映：石桥村水渠",
        now=clock.now(),
    )
    open_deadline(
        session,
        kind="complaint_reopened",
        region=county.towns["青山镇"],
        due_on=dt.date(2026, 6, 16),
        source="complaint:2:answer:1",
        title="重新答复群众反映：竹林村便桥",
        now=clock.now(),
    )
    open_deadline(
        session,
        kind="complaint_limit",
        region=county.villages["清水村"],
        due_on=dt.date(2026, 5, 30),
        source="complaint:3:accept",
        title="受理群众反映：清水村水池",
        now=clock.now(),
    )  # another town's village

    content = reply(wechat_client, messages, messages.text("我的任务", openid=STAFF))["Content"]

    assert content.splitlines()[1:3] == [
        "【督办】受理群众反映：石桥村水渠（青山镇石桥村，逾期2天）",
        "重新答复群众反映：竹林村便桥（还剩15天）",
    ]
    assert "清水村" not in content

    town.wechat_openid, clerk.wechat_openid = None, STAFF
    session.flush()
    content = reply(wechat_client, messages, messages.text("我的任务", openid=STAFF))["Content"]
    assert "受理群众反映：石桥村水渠（逾期2天）" in content

    with pytest.raises(Forbidden):  # the complaint's task closes when the complaint is accepted
        mark_done(session, clerk, overdue.id, note="已受理", today=dt.date(2026, 6, 1), now=clock.now())
    close_deadline(session, overdue.key, "反映已受理或已答复", clock.now())
    content = reply(wechat_client, messages, messages.text("我的任务", openid=STAFF))["Content"]
    assert "受理群众反映" not in content


def test_a_long_task_list_is_cut_and_points_to_the_web(wechat_client, messages, session, county, build, clock) -> None:
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = STAFF
    for number in range(DEADLINES_SHOWN + 2):
        open_deadline(
            session,
            kind="notice_end",
            region=county.villages["石桥村"],
            due_on=dt.date(2026, 6, 10),
            source=f"notice:{number}",
            title=f"公示期满：公示{number}",
            now=clock.now(),
        )

    lines = reply(wechat_client, messages, messages.text("我的任务", openid=STAFF))["Content"].splitlines()

    assert lines[1] == "公示期满：公示0（还剩9天）"
    assert lines[DEADLINES_SHOWN + 1] == "另有2项，请在网页“我的任务”中查看"
