"""The home page per role: what waits for the person (each entry linking to its subject) and the
region at a glance, scoped to their region; every figure is the count of the list it links to."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from models.complaints.operations import accept, answer, rate
from models.errors import Forbidden
from models.people import Role
from models.storage import LocalStorage
from tests.support.complaints import LIMITS, complaint_about
from tests.support.pages import login, visible_text


def home_of(client, user) -> str:
    """The home page as `user` sees it (signed in on `client` anew)."""
    client.delete_cookie("guanhu_session")
    login(client, user)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


class Links(HTMLParser):
    """Every link of a page with its text; and, inside the charts, each link's accessible title."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.chart_links: list[tuple[str, str]] = []  # (href, title)
        self._href: str | None = None
        self._in_title = False
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self._href, self._text = attrs["href"], ""
        self._in_title = tag == "title" and self._href is not None

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._text.strip()))
            self._href = None
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.chart_links.append((self._href, data))
        elif self._href is not None:
            self._text += data


def links_of(page: str) -> Links:
    parser = Links()
    parser.feed(page)
    return parser


def test_the_home_page_replaces_the_asset_list_which_keeps_its_own_address(client, region):
    assert client.get("/").headers["Location"].endswith("/login")
    page = home_of(client, region.people.clerk)
    assert "等我办的" in visible_text(page) and "辖区一览" in visible_text(page)
    assert client.get("/assets").status_code == 200


def test_each_role_is_shown_what_waits_for_it_linking_to_the_subject(client, region):
    near, far = region.near, region.far

    official = visible_text(home_of(client, region.people.official))
    assert "群众反映待受理" in official and near.tracking_number in official
    assert far.tracking_number not in official  # 河湾镇's
    assert "期限6月4日" in official

    clerk_page = home_of(client, region.people.clerk)
    clerk = links_of(clerk_page)
    assert (f"/complaints/{near.id}", f"{near.tracking_number} 石桥村便民桥") in clerk.links
    assert not any(href == f"/complaints/{far.id}" for href, _ in clerk.links)
    assert ("/tasks", "全部 1 项") in clerk.links  # accepting the complaint, due in 3 days
    assert (f"/assets/{region.bridge.id}", "SQ-QIAO 石桥村便民桥") in clerk.links  # damaged, to repair

    admin = links_of(home_of(client, region.people.admin))
    assert {f"/complaints/{near.id}", f"/complaints/{far.id}"} <= {href for href, _ in admin.links}

    custodian = visible_text(home_of(client, region.people.custodian))
    assert "群众反映待受理" not in custodian  # custodians do not handle complaints
    assert far.tracking_number not in custodian


def test_every_waiting_link_opens(client, region):
    for person in (region.people.admin, region.people.official, region.people.clerk, region.people.custodian):
        page = home_of(client, person)
        section = page[page.index("等我办的") : page.index("辖区一览")]
        hrefs = {href for href, _ in links_of(section).links}
        assert hrefs, person.role
        for href in hrefs:
            assert client.get(href).status_code == 200, (person.role, href)


TOTAL = re.compile(r"共\s*(\d+)\s*[项件条]")


def figure_of(title: str) -> int:
    """The number a chart's link stands for: "石桥村 · 正常：3项", "已答复：50%（1/2）" (the part),
    "已答复：共2" (the whole)."""
    if match := re.search(r"%（(\d+)/\d+）$", title):
        return int(match.group(1))
    return int(re.search(r"(\d+)\D*$", title.split("：")[-1]).group(1))


@pytest.mark.parametrize("who", ["admin", "official", "clerk", "custodian"])
def test_every_figure_is_the_total_of_the_list_it_links_to(client, region, who):
    page = home_of(client, getattr(region.people, who))
    chart_links = links_of(page).chart_links
    assert len(chart_links) > 10
    for href, title in chart_links:
        listed = client.get(href)
        assert listed.status_code == 200, href
        total = int(TOTAL.search(visible_text(listed.get_data(as_text=True))).group(1))
        assert total == figure_of(title), (title, href)


def test_the_figures_are_the_persons_region_only(client, region):
    official = home_of(client, region.people.official)
    titles = [title for _, title in links_of(official).chart_links]
    assert "石桥村 · 损毁：1项" in titles and "石桥村 · 闲置：1项" in titles and "竹林村：共1项" in titles
    assert not any("清水村" in title or "河湾镇" in title for title in titles)
    assert "收到：共2" in titles and "已答复：50%（1/2）" in titles and "按时答复：100%（1/1）" in titles
    assert "管护员有账号：33%（1/3）" in titles  # the bridge's custodian has an account
    assert "6月：2件" in titles and "5月：0件" in titles and "7月：0件" not in titles  # the year so far

    far = [title for _, title in links_of(home_of(client, region.people.far_official)).chart_links]
    assert "清水村 · 损毁：1项" in far and not any("石桥村" in title for title in far)
    assert "收到：共1" in far

    admin = [title for _, title in links_of(home_of(client, region.people.admin)).chart_links]
    assert "青山镇：共3项" in admin and "河湾镇：共2项" in admin and "收到：共3" in admin

    clerk = [title for _, title in links_of(home_of(client, region.people.clerk)).chart_links]
    assert "公益性：共1项" in clerk and "经营性：共1项" in clerk  # a village's rows are its classes
    assert "收到：共1" in clerk and "损毁报告：共1" in clerk and "逾期未修复：0%（0/1）" in clerk


def test_another_regions_filter_on_a_linked_list_shows_nothing_of_it(client, region, county):
    login(client, region.people.official)
    page = visible_text(client.get(f"/assets?town={county.towns['河湾镇'].id}").get_data(as_text=True))
    assert "共 0 项" in page and "清水村" not in page.split("共 0 项")[1]


def test_a_department_sees_its_own_trades_and_a_supervisor_only_reads(client, region, build, county):
    roads = build.user(Role.DEPARTMENT, county.district, department="交通运输局")
    titles = [title for _, title in links_of(home_of(client, roads)).chart_links]
    assert "青山镇：共2项" in titles and "河湾镇：共2项" in titles  # roads and the like, not 石桥村's solar plant
    assert "经营性：1项" not in titles and "收到：共3" in titles

    supervisor = build.user(Role.VILLAGE_SUPERVISOR, county.villages["石桥村"])
    page = visible_text(home_of(client, supervisor))
    assert "群众反映待受理" not in page and "管护记录待核实" not in page and "公益性" in page


def test_the_village_is_not_shown_the_complaints_only_the_town_may_handle(client, region, session, app, clock):
    storage = LocalStorage(app.config["MEDIA_ROOT"])
    clerk, official = region.people.clerk, region.people.official
    reopened = complaint_about(session, storage, region.bridge, clock, description="桥头路灯不亮了。")
    accept(session, clerk, reopened, clock.now())
    answer(session, storage, clerk, reopened, "已换灯泡。", [], clock.now())
    rate(session, reopened, "不满意", clock.now(), LIMITS, reason="还是不亮")
    session.flush()
    with pytest.raises(Forbidden):  # the complaint pages' rule: the town answers it now
        answer(session, storage, clerk, reopened, "再修一次。", [], clock.now())

    clerk_hrefs = {href for href, _ in links_of(home_of(client, clerk)).links}
    assert f"/complaints/{region.near.id}" in clerk_hrefs and f"/complaints/{reopened.id}" not in clerk_hrefs
    town = visible_text(home_of(client, official))
    assert "群众反映待答复" in town and reopened.tracking_number in town
