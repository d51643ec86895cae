"""The villager's whole path in a real headless Chromium, phone-sized, with WeChat's user agent:
scan the card → read the page → file a complaint with a photo → staff answer → the push reaches
the fake WeChat → the villager rates it. The server is real (loopback) with its own database."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from models.assets.card_render import card_png
from models.catalog import ensure_departments
from models.clock import SystemClock
from models.complaints.entities import Complaint, ComplaintStatus, StepKind
from models.people import Role
from models.wechat.entities import SandboxCall
from tests.support import live_server, photo_files
from tests.support.builders import PASSWORD, Builders
from web.assets.cards import qr_text

pytestmark = live_server.needs_browser
browser, live = live_server.browser, live_server.live  # fixtures shared with other browser tests


def test_a_villager_scans_reports_gets_the_answer_pushed_and_rates_it(live, browser, tmp_path):

    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        ensure_departments(session, county.district)
        asset = build.asset(county.villages["石桥村"], name="石桥村便民桥", custodian_phone="13800131318")
        clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="李文书")
        session.commit()
        with live.app.test_request_context():
            png = card_png(asset, qr_text(asset))
        clerk_phone = clerk.phone

    # the card on the wall: decode its QR code as a phone would
    [link] = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert link.startswith(f"{live.url}/a/")

    # be villager 韦大伯 in the sandbox's WeChat, then scan
    browser.get(f"{live.url}/sandbox/phone")
    Select(browser.find_element(By.NAME, "person")).select_by_value("o_villager_1")
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form.person button"))
    browser.get(link)
    assert browser.find_element(By.TAG_NAME, "h1").text == "石桥村便民桥"
    assert browser.execute_script("return window.innerWidth") == 360
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    assert browser.find_element(By.CSS_SELECTOR, "a.call").get_attribute("href") == "tel:13800131318"

    # report a problem: OAuth (snsapi_base) learns the openid silently on the way to the form
    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "我要反映问题"))
    assert "答复将通过本公众号推送给您" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "input[value=damage]").click()
    browser.find_element(By.NAME, "description").send_keys("桥面栏杆断了一截，孩子上学经过很危险。")
    photo = tmp_path / "栏杆.jpg"
    photo.write_bytes(photo_files.jpeg(7))
    browser.find_element(By.NAME, "photos").send_keys(str(photo))
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    number = browser.find_element(By.ID, "tracking-number").text
    assert number.startswith("TS-") and "待受理" in browser.page_source

    with live.sessions() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_number == number))
        assert complaint.openid == "o_villager_1" and len(complaint.photos) == 1
        complaint_id = complaint.id

    # the village clerk accepts and answers in the back office (same browser, another tab of life)
    browser.delete_all_cookies()
    browser.get(f"{live.url}/login")
    browser.find_element(By.NAME, "phone").send_keys(clerk_phone)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    browser.get(f"{live.url}/complaints/{complaint_id}")
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='受理']"))
    browser.find_element(By.NAME, "answer").send_keys("已更换断裂栏杆，并加装警示牌。")
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='答复']"))
    assert "已答复" in browser.page_source

    with live.sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert [s.kind for s in complaint.steps] == [StepKind.FILED, StepKind.ACCEPTED, StepKind.ANSWERED]
        assert complaint.steps[1].actor_name == "李文书"
        [push] = session.scalars(select(SandboxCall).where(SandboxCall.path == "cgi-bin/message/template/send"))
        assert push.openid == "o_villager_1"
        tracking_url = push.body["request"]["url"]

    # the villager opens the pushed link, sees the steps without staff names, and rates it
    browser.delete_all_cookies()
    browser.get(tracking_url)
    assert "已更换断裂栏杆" in browser.page_source and "李文书" not in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "input[name=rating][value=satisfied]").click()
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='提交评价']"))
    assert browser.find_element(By.ID, "chosen").text == "您选择了：满意"  # asked to confirm first
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='确认提交']"))
    assert "您的评价：满意" in browser.page_source
    with live.sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint.status is ComplaintStatus.CLOSED and complaint.rating.label == "满意"
