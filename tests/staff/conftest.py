"""The people most staff tests need: a town official of 青山镇 and a clerk of its 石桥村."""

from __future__ import annotations

import pytest

from models.people import Role


@pytest.fixture
def town(county, build):
    return build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="覃志刚")


@pytest.fixture
def clerk(county, build):
    return build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="莫海燕")
