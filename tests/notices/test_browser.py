"""A notice's whole path in a real headless Chromium, phone-sized, with WeChat's user agent: the
poster's QR code (decoded from the PDF) → the notice page → an objection (OAuth learns the openid)
→ the town upholds it in the back office → the answer is pushed → the villager rates it → at the
end the notice is decided `upheld`. The staff's notice pages fit a 360-px phone too."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from models.catalog import ensure_departments
from models.clock import SystemClock
from models.complaints.entities import Complaint, ComplaintStatus
from models.notices.entities import NoticeOutcome, PublicNotice
from models.notices.operations import decide_ended_notices, publish_notice
from models.people import Role
from models.wechat.entities import SandboxCall
from tests.support import live_server
from tests.support.builders import PASSWORD, Builders
from tests.support.pages import login

pytestmark = live_server.needs_browser
browser, live = live_server.browser, live_server.live  # fixtures shared with other browser tests


def fits_the_phone(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth") <= 360


def test_a_villager_objects_from_the_poster_the_town_upholds_it_and_the_notice_ends_upheld(live, browser):
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        ensure_departments(session, county.district)
        clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="李文书")
        town = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="覃专班")
        notice = publish_notice(
            session,
            clerk,
            village=county.villages["石桥村"],
            asset=None,
            title="2025年度村集体经济收益分配方案公示",
            body="一、收益总额5.06万元。\n二、按户分配给本村脱贫户和监测户共86户，每户约278元。",
            starts_on=today,
            ends_on=today + dt.timedelta(days=9),
            now=SystemClock().now(),
        )
        session.commit()
        notice_id, clerk_user, town_phone = notice.id, clerk, town.phone

    # the poster on the 村务公开栏: decode its QR code from the PDF the clerk downloads
    staff = live.app.test_client()
    login(staff, clerk_user, PASSWORD)
    pdf = staff.get(f"/notices/{notice_id}/poster.pdf").get_data()
    [page] = [Image.open(io.BytesIO(jpeg)) for jpeg in re.findall(rb"\xff\xd8.*?\xff\xd9", pdf, re.DOTALL)]
    [link] = [result.text for result in zxingcpp.read_barcodes(page)]
    assert link.startswith(f"{live.url}/v/") and link.endswith(f"/n/{notice_id}")

    # be villager 韦大伯 in the sandbox's WeChat, then scan the poster
    browser.get(f"{live.url}/sandbox/phone")
    Select(browser.find_element(By.NAME, "person")).select_by_value("o_villager_1")
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form.person button"))
    browser.get(link)
    assert browser.find_element(By.TAG_NAME, "h1").text == "2025年度村集体经济收益分配方案公示"
    assert "每户约278元" in browser.page_source and "还剩10天（含今天）" in browser.page_source
    assert browser.execute_script("return window.innerWidth") == 360 and fits_the_phone(browser)

    # object: OAuth (snsapi_base) learns the openid silently on the way to the form
    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "我要提出异议"))
    assert "答复将通过本公众号推送给您" in browser.page_source and fits_the_phone(browser)
    browser.find_element(By.NAME, "reason").send_keys("我家去年底识别为监测户，分配名单上没有我家，请核实。")
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    number = browser.find_element(By.ID, "tracking-number").text
    assert number.startswith("TS-") and "公示异议" in browser.page_source
    with live.sessions() as session:
        objection = session.scalar(select(Complaint).where(Complaint.tracking_number == number))
        assert objection.openid == "o_villager_1" and objection.notice_id == notice_id
        objection_id = objection.id

    # the town official upholds it in the back office, on the phone
    live_server.sign_in(browser, live.url, town_phone)
    browser.get(f"{live.url}/notices/{notice_id}")
    assert number in browser.page_source and fits_the_phone(browser)
    browser.get(f"{live.url}/complaints/{objection_id}")
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='受理']"))
    browser.find_element(By.CSS_SELECTOR, "input[name=upheld][value=yes]").click()
    browser.find_element(By.NAME, "answer").send_keys("经核实，该户已纳入监测户，分配名单已补充，每户重新核算。")
    assert fits_the_phone(browser)
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='答复']"))
    assert "已答复" in browser.page_source
    with live.sessions() as session:
        [push] = session.scalars(select(SandboxCall).where(SandboxCall.path == "cgi-bin/message/template/send"))
        assert push.openid == "o_villager_1"
        tracking_url = push.body["request"]["url"]

    # the villager opens the pushed link, sees the result without staff names, and rates it
    browser.delete_all_cookies()
    browser.get(tracking_url)
    assert "异议成立" in browser.page_source and "覃专班" not in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "input[name=rating][value=satisfied]").click()
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='提交评价']"))
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='确认提交']"))
    assert "您的评价：满意" in browser.page_source

    # at the end of the period the outcome is decided: the objection was upheld
    with live.sessions() as session:
        assert session.get(Complaint, objection_id).status is ComplaintStatus.CLOSED
        assert session.get(PublicNotice, notice_id).outcome is NoticeOutcome.RUNNING
        decide_ended_notices(session, today + dt.timedelta(days=10), SystemClock().now())
        session.commit()
        assert session.get(PublicNotice, notice_id).outcome is NoticeOutcome.UPHELD


def test_a_clerk_publishes_a_notice_on_the_phone(live, browser):
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
        session.commit()
        phone = clerk.phone

    live_server.sign_in(browser, live.url, phone)
    browser.get(f"{live.url}/notices")
    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "发布公示"))
    assert fits_the_phone(browser)
    browser.find_element(By.NAME, "title").send_keys("村道养护经费使用情况公示")
    browser.find_element(By.NAME, "body").send_keys("2026年上半年村道养护经费1.2万元，用于修补路面和清理边沟。")
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='发布']"))
    assert "公示已发布" in browser.page_source and "还剩10天（含今天）" in browser.page_source
    assert fits_the_phone(browser)
