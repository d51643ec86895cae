"""Shared by the tests that run the app on a real loopback port: its own database (threads need
their own connections, which a test's rolled-back connection cannot give), the server, a browser."""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

import models
from models.clock import SystemClock
from models.db import make_engine
from tests.support.builders import PASSWORD
from tests.support.fake_wechat import APPID, SECRET
from web import create_app

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 10; M2006C3LC) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230202 "
    "MMWEBID/1234 MicroMessenger/8.0.33.2320(0x28002151) WeChat/arm64 Weixin NetType/4G "
    "Language/zh_CN ABI/arm64"
)

needs_browser = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()) and not shutil.which("chromedriver"),
    reason="no Chromium here: install Debian's chromium and chromium-driver (.ci/run does) to run browser tests",
)


@contextmanager
def serving(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def live_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: a PostgreSQL schema, or a SQLite file."""
    url = os.environ.get("GUANHU_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
        engine = make_engine(url)
        models.Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    schema = f"wechat_live_{secrets.token_hex(4)}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    live_url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(live_url)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    yield live_url
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def own_database(database_url: str, folder: Path, use: str = "browser") -> str:
    """An empty database for one `use` alone: a SQLite file, or `<test db>_<use>` on PostgreSQL."""
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{folder / f'{use}.sqlite3'}"
    url = make_url(database_url)
    name = f"{url.database}_{use}"
    server = make_engine(
        url.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
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
    """The app with the sandbox on, served on loopback from a database of its own."""

    own = own_database(database_url, tmp_path)
    engine = make_engine(own)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = holder["app"] = create_app(
        {
            "DATABASE_URL": own,
            "SECRET_KEY": "browser-test",
            "PUBLIC_BASE_URL": url,
            "WECHAT_SANDBOX": True,
            "WECHAT_APPID": APPID,
            "WECHAT_SECRET": SECRET,
            "WECHAT_TOKEN": "browser-token",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "RATELIMIT_ENABLED": False,
            "CLOCK": SystemClock(),
        }
    )
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
    """Headless Chromium as a 360-px phone with WeChat's user agent."""

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    # A 360-px phone (desktop windows cannot be made that narrow), with WeChat's user agent.
    options.add_experimental_option(
        "mobileEmulation", {"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2}, "userAgent": WECHAT_UA}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def click_through(browser, element) -> None:
    """Click something that loads a new page, and wait until the new page has loaded.

    The old document is marked and the wait ends when a document without the mark is complete;
    waiting for the clicked element to go stale instead races Chromium's teardown of the old page
    ("Node with given id does not belong to the document")."""

    browser.execute_script("window.__leaving = true")
    element.click()

    def new_page_loaded(driver) -> bool:
        try:
            return driver.execute_script("return !window.__leaving && document.readyState === 'complete'")
        except WebDriverException:  # the old page is being torn down
            return False

    WebDriverWait(browser, 15).until(new_page_loaded)


def sign_in(browser, url: str, phone: str) -> None:
    """Sign a member of staff in through the login form, whoever was signed in before."""
    browser.delete_all_cookies()
    browser.get(f"{url}/login")
    browser.find_element(By.NAME, "phone").send_keys(phone)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_through(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
