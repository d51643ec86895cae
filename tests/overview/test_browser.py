"""The home page and the register on a 360-px phone, in a real headless Chromium: stacked, no
sideways scroll, the charts drawn; the register one card per asset, each value after its column's name."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from models.catalog import ensure_departments
from models.clock import SystemClock
from models.people import Role
from models.storage import LocalStorage
from tests.support import live_server
from tests.support.builders import Builders
from tests.support.complaints import complaint_about

pytestmark = live_server.needs_browser
browser, live = live_server.browser, live_server.live  # fixtures shared with other browser tests

NO_SIDEWAYS_SCROLL = "return document.documentElement.scrollWidth <= window.innerWidth"


def test_the_home_page_of_a_town_official_and_of_a_clerk_fits_a_phone(live, browser):
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        ensure_departments(session, county.district)
        shiqiao = county.villages["石桥村"]
        bridge = build.asset(shiqiao, name="石桥村一组通组公路硬化工程（含排水沟）", code="SQ-LU-2019-000001")
        build.asset(county.villages["竹林村"], name="竹林村饮水井", subtype="供水饮水", status="损毁")
        storage = LocalStorage(live.app.config["MEDIA_ROOT"])
        complaint_about(session, storage, bridge, SystemClock(), description="路边排水沟堵了，雨天路面积水很深。")
        official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]).phone
        clerk = build.user(Role.VILLAGE_CLERK, shiqiao).phone
        session.commit()

    for phone, rows in ((official, {"石桥村", "竹林村", "上坪村", "下湾村"}), (clerk, {"公益性", "经营性", "到户类"})):
        live_server.sign_in(browser, live.url, phone)
        browser.get(f"{live.url}/")
        assert browser.execute_script("return window.innerWidth") == 360
        assert browser.execute_script(NO_SIDEWAYS_SCROLL), phone
        assert "群众反映待受理" in browser.find_element(By.CLASS_NAME, "waiting").text
        charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert len(charts) >= 4 and all(0 < chart.size["width"] <= 340 for chart in charts)
        labels = {text.text for text in charts[0].find_elements(By.TAG_NAME, "text")}
        assert rows <= labels, labels
        cards = browser.find_elements(By.CSS_SELECTOR, ".glance .card")
        assert len({card.location["x"] for card in cards}) == 1  # stacked in one column

        # a figure opens the list behind it
        live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "svg.chart a"))
        assert browser.current_url.startswith(f"{live.url}/assets?")


def test_the_register_is_one_card_per_asset_on_a_phone(live, browser):
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        for number in range(3):
            build.asset(county.villages["石桥村"], name=f"石桥村便民桥{number}号（跨河石拱桥，含护栏和引道）")
        clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]).phone
        session.commit()

    live_server.sign_in(browser, live.url, clerk)
    browser.get(f"{live.url}/assets")
    assert browser.execute_script(NO_SIDEWAYS_SCROLL)
    assert not browser.find_element(By.CSS_SELECTOR, "table.register thead").is_displayed()
    rows = browser.find_elements(By.CSS_SELECTOR, "table.register tbody tr")
    assert len(rows) == 3
    assert all(row.value_of_css_property("display") == "block" for row in rows)
    name = rows[0].find_element(By.CSS_SELECTOR, "td[data-label=资产名称]")
    label = browser.execute_script("return getComputedStyle(arguments[0], '::before').content", name)
    assert label == '"资产名称"' and name.text.startswith("石桥村便民桥")
    code, status = (rows[0].find_element(By.CSS_SELECTOR, f"td[data-label={what}]") for what in ("资产编号", "状态"))
    assert code.location["y"] < name.location["y"] < status.location["y"]  # one under the other, in a card
