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
from models.complaints.operations import accept, answer
from models.people import Role
from models.storage import LocalStorage
from models.wechat.entities import SandboxCall
from tests.support import live_server, photo_files
from tests.support.builders import PASSWORD, Builders
from tests.support.complaints import complaint_about
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
            png = card_png(asset, qr_text(asset), live.app.config["SUPERVISION_HOTLINE"])
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


def complaint_in(live, tmp_path, *, answered: bool) -> tuple[int, str, str]:
    """A complaint about 石桥村便民桥 (accepted and answered with a photo when `answered`):
    (id, its tracking token, the clerk's phone)."""
    with live.sessions() as session:
        clock = SystemClock()
        build = Builders(session, clock)
        county = build.county()
        asset = build.asset(county.villages["石桥村"], name="石桥村便民桥")
        clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="李文书")
        words = "桥面栏杆断了一截，孩子上学经过很危险。"
        complaint = complaint_about(session, LocalStorage(tmp_path / "media"), asset, clock, description=words)
        if answered:
            accept(session, clerk, complaint, clock.now())
            media = LocalStorage(live.app.config["MEDIA_ROOT"])
            text = "已更换断裂栏杆，并加装警示牌。"
            answer(session, media, clerk, complaint, text, [photo_files.jpeg(5)], clock.now())
        session.commit()
        return complaint.id, complaint.public_token, clerk.phone


def test_the_three_ratings_look_different_and_a_rating_is_confirmed_before_it_counts(live, browser, tmp_path):
    complaint_id, token, _clerk = complaint_in(live, tmp_path, answered=True)
    browser.get(f"{live.url}/t/{token}")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360

    choices = browser.find_elements(By.CSS_SELECTOR, "label.rate")
    looks = [(c.value_of_css_property("background-color"), c.value_of_css_property("color")) for c in choices]
    assert [c.text for c in choices] == ["满意", "基本满意", "不满意"]
    assert len(set(looks)) == 3 and all(c.find_elements(By.CSS_SELECTOR, "svg.face") for c in choices)
    note = browser.find_element(By.CSS_SELECTOR, ".steps .note")
    photo = browser.find_element(By.CSS_SELECTOR, ".steps .pics img")
    assert photo.location["y"] >= note.location["y"] + note.size["height"]  # under the answer's text

    browser.find_element(By.CSS_SELECTOR, "label.rate-unsatisfied").click()
    browser.find_element(By.NAME, "reason").send_keys("栏杆是换了，警示牌没装。")
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='提交评价']"))
    assert browser.find_element(By.ID, "chosen").text == "您选择了：不满意"
    assert "原因：栏杆是换了，警示牌没装。" in browser.page_source
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "返回重选"))
    with live.sessions() as session:
        assert session.get(Complaint, complaint_id).status is ComplaintStatus.ANSWERED  # nothing counted yet

    browser.find_element(By.CSS_SELECTOR, "label.rate-mostly_satisfied").click()
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='提交评价']"))
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='确认提交']"))

    assert "您的评价：基本满意" in browser.page_source
    with live.sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint.status is ComplaintStatus.CLOSED and complaint.rating.label == "基本满意"


def test_a_clerk_must_tick_the_box_to_reject_a_complaint(live, browser, tmp_path):
    complaint_id, _token, clerk_phone = complaint_in(live, tmp_path, answered=False)
    live_server.sign_in(browser, live.url, clerk_phone)
    browser.get(f"{live.url}/complaints/{complaint_id}")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360

    browser.find_element(By.NAME, "reason").send_keys("反映的桥属于县道，不在本村管护范围。")
    reject_button = browser.find_element(By.XPATH, "//button[text()='不予受理']")
    reject_button.click()  # the unticked box stops the form where it is
    box = browser.find_element(By.NAME, "confirm")
    assert browser.execute_script("return arguments[0].validationMessage", box) != ""
    with live.sessions() as session:
        assert session.get(Complaint, complaint_id).status is ComplaintStatus.NEW

    box.click()
    live_server.click_through(browser, reject_button)

    assert "已不予受理" in browser.page_source
    with live.sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint.status is ComplaintStatus.REJECTED
        assert complaint.steps[-1].note == "反映的桥属于县道，不在本村管护范围。"
