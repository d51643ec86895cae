"""The two village posts that sign evaluations: held by a supervisor, one holder per village."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.errors import Invalid
from models.people import Role, User, VillagePost, post_holder

CHAIR = VillagePost.SUPERVISION_COMMITTEE_CHAIR
BOARD = VillagePost.COOPERATIVE_BOARD_CHAIR


def test_each_post_has_one_holder_per_village(session, county, build):
    shiqiao, zhulin = county.villages["石桥村"], county.villages["竹林村"]
    chair = build.user(Role.VILLAGE_SUPERVISOR, shiqiao, village_post=CHAIR)
    board = build.user(Role.VILLAGE_SUPERVISOR, shiqiao, village_post=BOARD)
    other_village = build.user(Role.VILLAGE_SUPERVISOR, zhulin, village_post=CHAIR)

    with pytest.raises(Invalid) as refused:
        build.user(Role.VILLAGE_SUPERVISOR, shiqiao, village_post=CHAIR, phone="13800000001")
    assert refused.value.fields == {"village_post": f"本村的村务监督委员会主任已由{chair.name}担任。"}
    assert session.scalar(select(User).where(User.phone == "13800000001")) is None

    assert post_holder(session, shiqiao, CHAIR) == chair and post_holder(session, shiqiao, BOARD) == board
    assert post_holder(session, zhulin, CHAIR) == other_village and post_holder(session, zhulin, BOARD) is None


def test_only_a_supervisor_holds_a_post(session, county, build):
    with pytest.raises(Invalid) as refused:
        build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], village_post=BOARD, phone="13800000002")
    assert refused.value.fields == {"village_post": "只有村级监督账号可以担任合作社监事会主任。"}
    assert session.scalar(select(User).where(User.phone == "13800000002")) is None


def test_a_deactivated_holder_frees_the_post_and_the_database_keeps_one_active_holder(session, county, build):
    village = county.villages["石桥村"]
    old = build.user(Role.VILLAGE_SUPERVISOR, village, village_post=CHAIR)
    old.active = False
    session.flush()
    new = build.user(Role.VILLAGE_SUPERVISOR, village, village_post=CHAIR)
    assert post_holder(session, village, CHAIR) == new

    old.active = True
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()
