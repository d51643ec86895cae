"""`guanhu run` (what `make run` starts): links and QR codes follow the address it serves, unless
GUANHU_PUBLIC_BASE_URL names another. Run as a real process on a real port."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import zxingcpp
from PIL import Image
from sqlalchemy.orm import Session

import models
from models.clock import FixedClock
from models.db import make_engine
from models.people import Role
from tests.support.builders import PASSWORD, Builders
from tests.support.clock import TEST_NOW
from tests.support.pages import CSRF_FIELD
from web.cli import served_address

GUANHU = Path(sys.executable).with_name("guanhu")
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def instance(tmp_path: Path) -> tuple[Path, int, str, str]:
    """An instance folder whose SQLite database holds a clerk and an asset of their village:
    (folder, asset id, the clerk's phone, the asset's public token)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'guanhu.sqlite3'}")
    models.Base.metadata.create_all(engine)
    with Session(engine) as session:
        build = Builders(session, FixedClock(TEST_NOW))
        village = build.county().villages["石桥村"]
        clerk = build.user(Role.VILLAGE_CLERK, village)
        asset = build.asset(village, name="石桥村便民桥")
        found = (tmp_path, asset.id, clerk.phone, asset.public_token)
        session.commit()
    engine.dispose()
    return found


@contextmanager
def guanhu_run(folder: Path, port: int, **environment: str) -> Iterator[str]:
    """`guanhu run --port <port>` on the instance folder; yields the address it serves."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUANHU_")}
    env |= {"GUANHU_INSTANCE_PATH": str(folder), "GUANHU_DATABASE_URL": f"sqlite:///{folder / 'guanhu.sqlite3'}"}
    env |= environment
    command = [str(GUANHU), "run", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:  # until it answers: the server process starts in its own time
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "guanhu run did not start"
            try:
                requests.get(f"{address}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def card_link(address: str, asset_id: int, phone: str) -> str:
    """Sign in at `address` as a browser does, fetch the asset's card and decode its QR code."""
    with requests.Session() as browser:
        token = CSRF_FIELD.search(browser.get(f"{address}/login", timeout=10).text).group(1)
        form = {"phone": phone, "password": PASSWORD, "csrf_token": token}
        assert browser.post(f"{address}/login", data=form, timeout=10).ok
        card = browser.get(f"{address}/assets/{asset_id}/card.png", timeout=30)
        assert card.headers["Content-Type"] == "image/png"
        [link] = [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(card.content)))]
        return link


def test_the_card_qr_code_points_at_the_port_guanhu_run_serves(instance):
    folder, asset_id, phone, token = instance
    port = free_port()
    with guanhu_run(folder, port) as address:
        link = card_link(address, asset_id, phone)
        assert link == f"http://127.0.0.1:{port}/a/{token}"
        page = requests.get(link, timeout=10)
        assert page.status_code == 200 and "石桥村便民桥" in page.text


def test_a_public_base_url_set_outright_wins_over_the_port(instance):
    folder, asset_id, phone, token = instance
    with guanhu_run(folder, free_port(), GUANHU_PUBLIC_BASE_URL="http://192.0.2.10:8080/") as address:
        assert card_link(address, asset_id, phone) == f"http://192.0.2.10:8080/a/{token}"


def test_the_served_address_names_a_reachable_host():
    assert served_address("127.0.0.1", 5108, https=False) == "http://127.0.0.1:5108"
    assert served_address("0.0.0.0", 5000, https=False) == "http://127.0.0.1:5000"  # noqa: S104
    assert served_address("::1", 5000, https=True) == "https://[::1]:5000"
