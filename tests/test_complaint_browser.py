"""The villager's whole path in a real headless Chromium, phone-sized, with WeChat's user agent:
scan the card → read the page → file a complaint with a photo → staff answer → the push reaches
the fake WeChat → the villager rates it. The server is real (loopback) with its own database."""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

import models
from models.card_render import card_png
from models.catalog import ensure_departments
from models.clock import SystemClock
from models.complaints import Complaint, ComplaintStatus, StepKind
from models.db import make_engine
from models.people import Role
from models.wechat_sandbox import SandboxCall
from tests import photo_files
from tests.builders import PASSWORD, Builders
from tests.fake_wechat import APPID, SECRET

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 10; M2006C3LC) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230202 "
             "MMWEBID/1234 MicroMessenger/8.0.33.2320(0x28002151) WeChat/arm64 Weixin NetType/4G "
             "Language/zh_CN ABI/arm64")

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()) and not shutil.which("chromedriver"),
    reason="no Chromium here: install Debian's chromium and chromium-driver (.ci/run does) to run browser tests",
)


def _own_database(database_url: str, folder: Path) -> str:
    """A database for the live server alone: a SQLite file, or `<test db>_browser` on PostgreSQL."""
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{folder / 'browser.sqlite3'}"
    url = make_url(database_url)
    name = f"{url.database}_browser"
    server = make_engine(url.set(database="postgres").render_as_string(hide_password=False),
                         isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    own = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(own)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return own


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[SimpleNamespace]:
    from web import create_app

    own = _own_database(database_url, tmp_path)
    engine = make_engine(own)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = holder["app"] = create_app({
        "DATABASE_URL": own, "SECRET_KEY": "browser-test", "PUBLIC_BASE_URL": url, "WECHAT_SANDBOX": True,
        "WECHAT_APPID": APPID, "WECHAT_SECRET": SECRET, "WECHAT_TOKEN": "browser-token",
        "MEDIA_ROOT": str(tmp_path / "media"), "RATELIMIT_ENABLED": False, "CLOCK": SystemClock(),
        "COMPLAINT_ANSWER_TEMPLATE_ID": "tmpl-answer",
    })
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(app=app, url=url, sessions=app.extensions["db"].sessionmaker)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        app.extensions["db"].engine.dispose()


@pytest.fixture
def browser() -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    # A 360-px phone (desktop windows cannot be made that narrow), with WeChat's user agent.
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2}, "userAgent": WECHAT_UA})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_villager_scans_reports_gets_the_answer_pushed_and_rates_it(live, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import Select, WebDriverWait

    with live.sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        ensure_departments(session, county.district)
        asset = build.asset(county.villages["石桥村"], name="石桥村便民桥", custodian_phone="13800131318")
        clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="李文书")
        session.commit()
        with live.app.test_request_context():
            from web.cards import qr_text

            png = card_png(asset, qr_text(asset))
        clerk_phone = clerk.phone

    # the card on the wall: decode its QR code as a phone would
    [link] = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert link.startswith(f"{live.url}/a/")

    # be villager 韦大伯 in the sandbox's WeChat, then scan
    browser.get(f"{live.url}/sandbox/phone")
    Select(browser.find_element(By.NAME, "person")).select_by_value("o_villager_1")
    def go(element) -> None:  # noqa: ANN001
        """Click something that loads a new page, and wait until it has."""
        element.click()
        WebDriverWait(browser, 15).until(staleness_of(element))

    go(browser.find_element(By.CSS_SELECTOR, "form.person button"))
    browser.get(link)
    assert browser.find_element(By.TAG_NAME, "h1").text == "石桥村便民桥"
    assert browser.execute_script("return window.innerWidth") == 360
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    assert browser.find_element(By.CSS_SELECTOR, "a.call").get_attribute("href") == "tel:13800131318"

    # report a problem: OAuth (snsapi_base) learns the openid silently on the way to the form
    go(browser.find_element(By.LINK_TEXT, "我要反映问题"))
    assert "答复将通过本公众号推送给您" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "input[value=damage]").click()
    browser.find_element(By.NAME, "description").send_keys("桥面栏杆断了一截，孩子上学经过很危险。")
    photo = tmp_path / "栏杆.jpg"
    photo.write_bytes(photo_files.jpeg(7))
    browser.find_element(By.NAME, "photos").send_keys(str(photo))
    go(browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
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
    go(browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    browser.get(f"{live.url}/complaints/{complaint_id}")
    go(browser.find_element(By.XPATH, "//button[text()='受理']"))
    browser.find_element(By.NAME, "answer").send_keys("已更换断裂栏杆，并加装警示牌。")
    go(browser.find_element(By.XPATH, "//button[text()='答复']"))
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
    go(browser.find_element(By.XPATH, "//button[text()='满意']"))
    assert "您的评价：满意" in browser.page_source
    with live.sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint.status is ComplaintStatus.CLOSED and complaint.rating.label == "满意"
