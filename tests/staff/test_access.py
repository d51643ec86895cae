"""Who manages whose account (models.access): the district office every account of its district
but its own kind, a town the village staff of its villages, nobody else anybody. Nobody gives a
role above (or equal to) their own, or outside their region; another region's account is not found."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.access import assignable_regions, get_managed_user, require_can_give
from models.errors import Forbidden, NotFound
from models.people import Role, User
from models.staff.operations import StaffDetails, create_staff, update_staff
from models.staff.queries import StaffFilter, search_staff


@pytest.fixture
def people(county, build):
    v, t = county.villages, county.towns
    return {
        "admin": build.user(Role.DISTRICT_ADMIN, county.district),
        "other_admin": build.user(Role.DISTRICT_ADMIN, county.district),
        "department": build.user(Role.DEPARTMENT, county.district, department="交通运输局"),
        "town": build.user(Role.TOWN_OFFICIAL, t["青山镇"]),
        "peer_town": build.user(Role.TOWN_OFFICIAL, t["青山镇"]),
        "other_town": build.user(Role.TOWN_OFFICIAL, t["河湾镇"]),
        "clerk": build.user(Role.VILLAGE_CLERK, v["石桥村"]),
        "custodian": build.user(Role.CUSTODIAN, v["石桥村"]),
        "far_custodian": build.user(Role.CUSTODIAN, v["清水村"]),
    }


def managed_by(session, actor, clock) -> set[int]:
    return {user.id for user in search_staff(session, actor, StaffFilter(per_page=100), clock.now()).items}


def test_the_district_office_manages_every_account_of_its_district_but_the_district_offices(session, people, clock):
    ids = {name: user.id for name, user in people.items()}
    assert managed_by(session, people["admin"], clock) == {
        ids[name] for name in ids if name not in ("admin", "other_admin")
    }


def test_a_town_manages_only_the_village_staff_of_its_own_villages(session, people, clock):
    assert managed_by(session, people["town"], clock) == {people["clerk"].id, people["custodian"].id}
    for stranger in ("peer_town", "other_town", "far_custodian", "admin", "town"):
        with pytest.raises(NotFound):
            get_managed_user(session, people["town"], people[stranger].id)


@pytest.mark.parametrize("who", ["department", "clerk", "custodian"])
def test_departments_and_village_staff_manage_nobody(session, people, clock, who):
    assert managed_by(session, people[who], clock) == set()
    with pytest.raises(Forbidden, match="只有区乡村振兴局和乡镇工作专班可以管理人员账号"):
        require_can_give(people[who], Role.CUSTODIAN, people[who].region)


def test_nobody_gives_a_role_above_or_equal_to_their_own(county, people):
    with pytest.raises(Forbidden, match="您不能设置乡镇工作专班账号"):
        require_can_give(people["town"], Role.TOWN_OFFICIAL, county.towns["青山镇"])
    with pytest.raises(Forbidden, match="您不能设置区乡村振兴局账号"):
        require_can_give(people["admin"], Role.DISTRICT_ADMIN, county.district)
    require_can_give(people["admin"], Role.TOWN_OFFICIAL, county.towns["青山镇"])
    require_can_give(people["town"], Role.CUSTODIAN, county.villages["竹林村"])


def test_nobody_places_an_account_outside_their_region(session, county, people, clock):
    details = StaffDetails(name="韦小兰", phone="13711110000", role=Role.CUSTODIAN, region=county.villages["清水村"])
    with pytest.raises(NotFound):
        create_staff(session, people["town"], details, clock.now())
    with pytest.raises(NotFound):
        update_staff(session, people["town"], people["clerk"], details, clock.now())
    assert session.scalar(select(func.count()).select_from(User).where(User.phone == "13711110000")) == 0
    assert people["clerk"].region == county.villages["石桥村"]


def test_a_town_promoting_its_clerk_to_a_town_official_is_refused(session, county, people, clock):
    clerk = people["clerk"]
    details = StaffDetails(clerk.name, clerk.phone, Role.TOWN_OFFICIAL, county.towns["青山镇"])
    with pytest.raises(Forbidden):
        update_staff(session, people["town"], clerk, details, clock.now())
    session.refresh(clerk)
    assert clerk.role is Role.VILLAGE_CLERK


def test_the_regions_offered_are_those_the_actor_may_place_accounts_in(session, county, people):
    town_offers = assignable_regions(session, people["town"])
    assert [r.name for r in town_offers] == ["石桥村", "竹林村", "上坪村", "下湾村"]
    admin_offers = [r.name for r in assignable_regions(session, people["admin"])]
    assert admin_offers[:6] == ["示范区", "青山镇", "石桥村", "竹林村", "上坪村", "下湾村"]
    assert len(admin_offers) == 1 + 3 + 12
    assert assignable_regions(session, people["department"]) == []


def test_a_stopped_manager_manages_nobody(session, people, clock):
    people["town"].active = False
    assert managed_by(session, people["town"], clock) == set()
