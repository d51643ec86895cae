"""The clerk's form and the supervisors' signatures in a real headless Chromium on a 360-px phone
with WeChat's user agent: start from the proposals, score by hand what has no evidence, submit; the
two posts each sign; the self-evaluation goes on notice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from sqlalchemy import select

from models.catalog import ensure_departments
from models.clock import SystemClock
from models.deadlines.calendar import ensure_deadlines
from models.evaluations.entities import Status, VillageEvaluation
from models.people import Role, VillagePost
from tests.support import live_server
from tests.support.builders import Builders

pytestmark = live_server.needs_browser
browser, live = live_server.browser, live_server.live  # fixtures shared with other browser tests


def fits_the_phone(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth") <= 360


def test_the_clerk_fills_in_the_form_and_both_supervisors_sign_on_a_phone(live, browser):
    year = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        ensure_departments(session, county.district)
        village = county.villages["石桥村"]
        build.asset(village, name="石桥村道路")
        ensure_deadlines(session, county.district, year, SystemClock().now())
        clerk = build.user(Role.VILLAGE_CLERK, village, name="莫文书").phone
        chair = build.user(
            Role.VILLAGE_SUPERVISOR, village, name="蒙主任", village_post=VillagePost.SUPERVISION_COMMITTEE_CHAIR
        ).phone
        board = build.user(
            Role.VILLAGE_SUPERVISOR, village, name="黄主任", village_post=VillagePost.COOPERATIVE_BOARD_CHAIR
        ).phone
        session.commit()

    live_server.sign_in(browser, live.url, clerk)
    browser.get(f"{live.url}/tasks")
    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "打开年终自评表"))
    assert fits_the_phone(browser)
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[contains(., '开始填写')]"))
    assert "建议分" in browser.page_source and fits_the_phone(browser)
    for field in browser.find_elements(By.CSS_SELECTOR, "input[name^='score-']"):
        if not field.get_attribute("value"):  # no evidence: scored by hand
            field.send_keys("12.5")
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[@value='submit']"))
    assert "已提交，等待" in browser.page_source and "待签字" in browser.page_source and fits_the_phone(browser)

    for phone, post in ((chair, "村务监督委员会主任"), (board, "合作社监事会主任")):
        live_server.sign_in(browser, live.url, phone)
        browser.get(f"{live.url}/evaluations/{year}/self-evaluation")
        assert fits_the_phone(browser)
        button = browser.find_element(By.XPATH, f"//button[contains(., '以{post}身份签字确认')]")
        live_server.click_through(browser, button)
        assert "已签字" in browser.page_source and fits_the_phone(browser)

    assert "公示中" in browser.page_source
    with live.sessions() as session:
        evaluation = session.scalar(select(VillageEvaluation))
        assert evaluation.status is Status.ON_NOTICE and len(evaluation.valid_signatures) == 2


def test_the_district_sets_one_villages_targets_on_a_phone(live, browser):
    year = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        admin = build.user(Role.DISTRICT_ADMIN, build.county().district, name="韦科长").phone
        session.commit()

    live_server.sign_in(browser, live.url, admin)
    browser.get(f"{live.url}/evaluations/{year}/targets")
    assert fits_the_phone(browser)
    live_server.click_through(browser, browser.find_elements(By.LINK_TEXT, "调整本村目标值")[0])
    assert "本村目标尚未下达" in browser.page_source and fits_the_phone(browser)
    field = browser.find_element(By.NAME, "satisfaction")
    field.clear()
    field.send_keys("80")
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[contains(., '保存本村目标值')]"))
    assert "本村单独目标" in browser.page_source and fits_the_phone(browser)
