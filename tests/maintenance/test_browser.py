"""提交管护记录 in a real headless Chromium as a phone with WeChat's user agent: the custodian opens
the asset page, OAuth (snsapi_base) learns who they are, and the form takes a photo and the place."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from models.clock import SystemClock
from models.maintenance.entities import MaintenanceKind, MaintenanceRecord
from models.people import Role
from tests.support import live_server, photo_files
from tests.support.builders import Builders

pytestmark = live_server.needs_browser
browser, live = live_server.browser, live_server.live  # fixtures shared with other browser tests


def test_a_bound_custodian_records_an_inspection_from_the_asset_page(live, browser, tmp_path):
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        asset = build.asset(county.villages["石桥村"], name="石桥村便民桥")
        custodian = build.user(Role.CUSTODIAN, county.villages["石桥村"], name="黄管护")
        session.commit()
        token, person = asset.public_token, f"user:{custodian.id}"

    browser.execute_cdp_cmd("Browser.grantPermissions", {"permissions": ["geolocation"], "origin": live.url})
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride", {"latitude": 21.95, "longitude": 108.62, "accuracy": 10}
    )
    browser.get(f"{live.url}/sandbox/phone")  # be 黄管护 in the sandbox's WeChat (binds the openid)
    Select(browser.find_element(By.NAME, "person")).select_by_value(person)
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form.person button"))
    browser.get(f"{live.url}/a/{token}")
    live_server.click_through(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "提交管护记录"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "提交管护记录"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    WebDriverWait(browser, 15).until(lambda b: b.find_element(By.NAME, "latitude").get_attribute("value"))

    browser.find_element(By.CSS_SELECTOR, "input[value=inspection]").click()
    photo = tmp_path / "桥面.jpg"
    photo.write_bytes(photo_files.jpeg(30))
    browser.find_element(By.NAME, "photos").send_keys(str(photo))
    browser.find_element(By.NAME, "notes").send_keys("桥面完好，护栏牢固。")
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "管护记录已提交" in browser.page_source
    assert browser.find_elements(By.CSS_SELECTOR, ".rec img")  # the thumbnail on the timeline

    with live.sessions() as session:
        [record] = session.scalars(select(MaintenanceRecord))
        assert record.kind is MaintenanceKind.INSPECTION and record.recorded_by_name == "黄管护"
        assert str(record.latitude) == "21.950000" and len(record.photos) == 1
