"""The town's review on a 360-px phone in a real headless Chromium with WeChat's user agent: the
list of villages, the form item by item, an adjustment refused without its reason, then saved."""

from __future__ import annotations

from decimal import Decimal

from selenium.webdriver.common.by import By

from models.assets.entities import AssetClass
from models.catalog import ensure_departments
from models.clock import SystemClock
from models.evaluations.entities import Status, VillageEvaluation
from models.people import Role
from tests.support import live_server
from tests.support.builders import Builders
from tests.support.evaluations import reported_evaluation

pytestmark = live_server.needs_browser
browser, live = live_server.browser, live_server.live  # fixtures shared with other browser tests


def fits_the_phone(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth") <= 360


def test_a_town_official_reviews_a_village_on_the_phone(live, browser):
    clock = SystemClock()
    year = clock.now().year
    with live.sessions() as session:
        build = Builders(session, clock)
        county = build.county()
        ensure_departments(session, county.district)
        official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="覃专班")
        classes = (AssetClass.PUBLIC_BENEFIT, AssetClass.OPERATING)
        evaluation = reported_evaluation(session, county.villages["石桥村"], year, clock.now(), classes=classes)
        target = evaluation.scores[9]  # the operating sheet's second item
        session.commit()
        evaluation_id, target_id, phone = evaluation.id, target.id, official.phone

    live_server.sign_in(browser, live.url, phone)
    browser.get(f"{live.url}/evaluations/review?year={year}")
    assert "石桥村" in browser.page_source and "已报镇" in browser.page_source and fits_the_phone(browser)
    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "去复核"))
    assert browser.current_url.endswith(f"/evaluations/review/{evaluation_id}")
    assert "经营性资产考评表" in browser.page_source and fits_the_phone(browser)

    score = browser.find_element(By.NAME, f"score-{target_id}")
    score.clear()
    score.send_keys("6")
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form.review-form button[type=submit]"))
    error = browser.find_element(By.CSS_SELECTOR, f"#item-{target_id} .error")
    assert error.text == "调整分数须说明理由。" and fits_the_phone(browser)
    assert browser.find_element(By.NAME, f"score-{target_id}").get_attribute("value") == "6"

    browser.find_element(By.NAME, f"reason-{target_id}").send_keys("风险防控措施未落实")
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form.review-form button[type=submit]"))
    assert "已复核：石桥村" in browser.page_source and fits_the_phone(browser)
    with live.sessions() as session:
        reviewed = session.get_one(VillageEvaluation, evaluation_id)
        assert reviewed.status is Status.REVIEWED
        changed = next(score for score in reviewed.scores if score.id == target_id)
        assert (changed.town_score, changed.town_reason) == (Decimal(6), "风险防控措施未落实")
