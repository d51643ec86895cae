"""In a real headless Chromium as a 360-px phone with WeChat's user agent: a district admin creates a
clerk and is shown the link to pass on, the clerk sets a password with it, and later changes it;
a bound custodian opens a link pushed to their WeChat and lands signed in on the record (the
sandbox's OAuth stands for WeChat's)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from bot.notifier import send_text
from infra.storage import media_storage
from models.clock import SystemClock
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.people import Role, User
from tests.support import live_server, photo_files
from tests.support.builders import Builders

pytestmark = live_server.needs_browser
browser, live = live_server.browser, live_server.live  # fixtures shared with other browser tests


def fits_the_phone(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth") <= 360


def fill(browser, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        element = browser.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)


def submit(browser, form: str = "main form") -> None:
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]"))


def sign_in(browser, url: str, phone: str, password: str) -> None:
    browser.get(f"{url}/login")
    fill(browser, {"phone": phone, "password": password})
    submit(browser)


def sign_out(browser) -> None:
    live_server.click_through(browser, browser.find_element(By.XPATH, "//button[text()='退出']"))


def flash(browser) -> str:
    return " ".join(element.text for element in browser.find_elements(By.CSS_SELECTOR, ".flash"))


def test_an_admin_creates_a_clerk_who_sets_a_password_signs_in_and_changes_it(live, browser):
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        admin = build.user(Role.DISTRICT_ADMIN, county.district, name="韦建华")
        session.commit()
        admin_phone = admin.phone

    sign_in(browser, live.url, admin_phone, "password-123")
    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "人员管理"))
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("人员管理") and fits_the_phone(browser)
    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "新建账号"))
    assert fits_the_phone(browser)
    fill(browser, {"name": "韦小兰", "phone": "13711112222"})
    Select(browser.find_element(By.NAME, "role")).select_by_visible_text("村干部")
    Select(browser.find_element(By.NAME, "region_id")).select_by_visible_text("青山镇竹林村（村（社区））")
    submit(browser, "form.staff-form")
    assert browser.find_element(By.TAG_NAME, "h1").text == "已新建 韦小兰 的账号"
    assert fits_the_phone(browser)
    link = browser.find_element(By.CSS_SELECTOR, ".issued-link").get_attribute("value")
    assert browser.find_element(By.CSS_SELECTOR, "img.issued-qr").get_attribute("naturalWidth") != "0"
    sign_out(browser)

    browser.get(link)  # 韦小兰 opens what she was told
    assert "韦小兰" in browser.page_source and fits_the_phone(browser)
    fill(browser, {"password": "xiaolan-2026", "repeated": "xiaolan-2026"})
    submit(browser)
    assert "密码已设置，您已登录" in flash(browser)
    assert "韦小兰（村干部 · 竹林村）" in browser.find_element(By.CSS_SELECTOR, ".who").text

    live_server.click_through(browser, browser.find_element(By.LINK_TEXT, "修改密码"))
    assert fits_the_phone(browser)
    fill(browser, {"current": "xiaolan-2026", "password": "xiaolan-2027", "repeated": "xiaolan-2027"})
    submit(browser)
    assert "密码已修改" in flash(browser)
    sign_out(browser)

    sign_in(browser, live.url, "13711112222", "xiaolan-2026")
    assert "手机号或密码不正确" in browser.page_source
    sign_in(browser, live.url, "13711112222", "xiaolan-2027")
    assert "韦小兰" in browser.find_element(By.CSS_SELECTOR, ".who").text


def test_a_bound_custodian_opens_a_pushed_link_in_wechat_and_lands_signed_in_on_the_record(live, browser):
    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        asset = build.asset(county.villages["石桥村"], name="石桥村便民桥")
        custodian = build.user(Role.CUSTODIAN, county.villages["石桥村"], name="李小军")
        session.commit()
        person = f"user:{custodian.id}"

    browser.get(f"{live.url}/sandbox/phone")  # be 李小军 in the sandbox's WeChat (binds the openid)
    Select(browser.find_element(By.NAME, "person")).select_by_value(person)
    live_server.click_through(browser, browser.find_element(By.CSS_SELECTOR, "form.person button"))

    with live.app.app_context(), live.sessions() as session:
        custodian = session.scalar(select(User).where(User.name == "李小军"))
        record = record_maintenance(
            session,
            media_storage(live.app),
            custodian,
            session.merge(asset),
            kind=MaintenanceKind.INSPECTION,
            photos=[photo_files.jpeg(31)],
            now=SystemClock().now(),
            timezone="Asia/Shanghai",
            notes="桥面完好",
        )
        session.commit()
        url = f"{live.url}/maintenance/{record.id}"
        send_text(session, custodian.wechat_openid, f"管护记录已保存，查看：{url}", key=f"test-push:{record.id}")

    browser.get(f"{live.url}/sandbox/phone")
    pushed = browser.find_element(By.CSS_SELECTOR, f"a[href='{url}']")
    browser.get(pushed.get_attribute("href"))  # what tapping it opens (the phone shows it in a new tab)
    assert browser.current_url.split("#")[0] == url  # WeChat's authorize address ends in #wechat_redirect
    assert "李小军（管护员 · 石桥村）" in browser.find_element(By.CSS_SELECTOR, ".who").text
    assert "石桥村便民桥" in browser.page_source and "桥面完好" in browser.page_source
    assert fits_the_phone(browser)
