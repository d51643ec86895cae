"""The complaints inbox: search, filters (status, category, village, overdue, handed to me) and
overdue marks, all within the person's scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from models.complaints.entities import ComplaintStatus
from models.complaints.operations import accept, assign
from models.complaints.queries import InboxFilter, search_inbox
from models.people import Role
from tests.support.complaints import complaint_about
from tests.support.pages import visible_text

TODAY = dt.date(2026, 6, 20)  # limits passed: old's to accept (6-04), new's to accept (6-18)
JUNE_20 = dt.datetime(2026, 6, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def inbox(session, storage, build, county, clock):
    """Three complaints in 青山镇 and one in 河湾镇, filed a week apart."""
    road = build.asset(county.villages["石桥村"], name="石桥村便民路", code="SQ-LU")
    well = build.asset(county.villages["竹林村"], name="竹林村饮水井", subtype="供水饮水", code="ZL-JING")
    far = build.asset(county.villages["清水村"], name="清水村水池", code="QS-CHI")
    town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    filed = {}
    for name, asset, category, text in (
        ("old", road, "损坏需维修", "路面塌了一个大坑，晚上很危险。"),
        ("occupied", well, "被占用或私用", "水井边被人堆满了柴火。"),
        ("new", road, "无人管护", "路边水沟长期没人清理。"),
        ("far", far, "损坏需维修", "水池漏水，池底裂了。"),
    ):
        filed[name] = complaint_about(session, storage, asset, clock, category=category, description=text)
        clock.advance(days=7)
    accept(session, town, filed["occupied"], clock.now())
    return filed, town


def numbers(page) -> list[str]:
    return [complaint.tracking_number for complaint in page.items]


def test_each_filter_narrows_the_inbox_within_scope(session, inbox, county, build) -> None:
    filed, town = inbox

    def found(**wanted) -> list[str]:
        return numbers(search_inbox(session, town, InboxFilter(**wanted), TODAY))

    assert found() == [filed[n].tracking_number for n in ("new", "occupied", "old")]  # not 河湾镇's
    assert found(status=ComplaintStatus.ACCEPTED) == [filed["occupied"].tracking_number]
    assert found(category=filed["new"].category) == [filed["new"].tracking_number]
    assert found(village_id=county.villages["竹林村"].id) == [filed["occupied"].tracking_number]
    assert found(text="饮水井") == [filed["occupied"].tracking_number]  # the asset's name
    assert found(text="水沟") == [filed["new"].tracking_number]  # the description
    assert found(text="1") == [filed["old"].tracking_number]  # number 1, typed short
    assert found(text="TS-2026-000002") == [filed["occupied"].tracking_number]
    assert found(text="100%_") == []  # LIKE wildcards are searched as text
    # occupied was accepted; its answer limit is 6-23
    assert found(overdue_only=True) == [filed["new"].tracking_number, filed["old"].tracking_number]
    page = search_inbox(session, town, InboxFilter(), TODAY)
    assert page.overdue_ids == {filed["new"].id, filed["old"].id}
    assert found(handed_to_me=True) == []


def test_handed_to_me_lists_what_was_handed_to_me_or_my_unit(session, inbox, county, build, clock) -> None:
    filed, town = inbox
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["竹林村"])
    assign(session, town, filed["occupied"], f"region:{county.villages['竹林村'].id}", clock.now())

    page = search_inbox(session, clerk, InboxFilter(handed_to_me=True), TODAY)

    assert numbers(page) == [filed["occupied"].tracking_number]


def test_the_inbox_page_marks_overdue_complaints_and_keeps_its_filters(
    client, login_as, session, inbox, county, clock
) -> None:
    filed, town = inbox
    clock.at = JUNE_20
    login_as(town)

    page = client.get("/complaints").get_data(as_text=True)
    filtered = client.get("/complaints?overdue=1&q=路&category=damage").get_data(as_text=True)

    rows = {number: row for row in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S) for number in [_number(row)] if number}
    assert "逾期" in visible_text(rows[filed["old"].tracking_number])
    assert "逾期" not in visible_text(rows[filed["occupied"].tracking_number])
    assert 'class="overdue"' in rows[filed["old"].tracking_number]
    assert filed["old"].tracking_number in filtered and filed["new"].tracking_number not in filtered
    assert 'name="overdue" value="1" checked' in filtered and 'value="damage" selected' in filtered
    assert client.get("/complaints?village=abc").status_code == 400


def _number(row: str) -> str | None:
    match = re.search(r"TS-\d{4}-\d{6}", row)
    return match.group(0) if match else None
