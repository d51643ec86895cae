"""The card page on a 360-px phone: the card (748 px wide) is scaled to the screen, no sideways
scroll. Real headless Chromium against the app served on loopback."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from models.catalog import ensure_departments
from models.clock import SystemClock
from models.people import Role
from tests.support import live_server
from tests.support.builders import PASSWORD, Builders

pytestmark = live_server.needs_browser
browser, live = live_server.browser, live_server.live  # fixtures shared with other browser tests


def test_the_card_fits_a_phone_screen(live, browser):
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        ensure_departments(session, county.district)
        asset = build.asset(county.villages["石桥村"], name="石桥村便民桥")
        clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
        session.commit()
        asset_id, phone = asset.id, clerk.phone

    browser.get(f"{live.url}/login")
    browser.find_element(By.NAME, "phone").send_keys(phone)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    browser.get(f"{live.url}/assets/{asset_id}/card")
    card = browser.find_element(By.CSS_SELECTOR, "img.asset-card")
    loaded = "return arguments[0].complete && arguments[0].naturalWidth"
    assert browser.execute_script(loaded, card) == 748
    assert card.size["width"] < 360
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
