"""The sandbox's fake WeChat served on a real loopback port, for tests of the outbound side.

The server runs in a thread with its own app and its own SQLite file: it cannot share a test's
rolled-back transaction, and it stands for WeChat, which is not our database anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

import models
from bot.sandbox import state
from models.db import make_engine
from models.wechat.entities import SandboxCall
from web import create_app

APPID, SECRET = "wxfake0000000001", "fake-secret"


class FakeWeChat:
    def __init__(self, app: Flask, url: str):
        self.app = app
        self.url = url
        self.api_base = f"{url}/sandbox/wechat-api"

    def client_config(self, **overrides: Any) -> dict[str, Any]:
        """Config for an app whose outbound client talks to this fake."""
        return {
            "WECHAT_APPID": APPID,
            "WECHAT_SECRET": SECRET,
            "WECHAT_API_BASE_URL": self.api_base,
            "WECHAT_MP_BASE_URL": self.api_base,
            "WECHAT_OAUTH_BASE_URL": self.api_base,
            "WECHAT_HTTP_TIMEOUT": 2,
            "WECHAT_BUSY_RETRY_DELAYS": [0, 0],
            **overrides,
        }

    def calls(self, path: str | None = None) -> list[SandboxCall]:
        with self.app.extensions["db"].sessionmaker() as session:
            return state.calls(session, path)

    def wait_for_calls(self, path: str, count: int, seconds: float = 5) -> list[SandboxCall]:
        """The calls to `path` once there are `count` of them (a slow call lands late)."""
        deadline = time.monotonic() + seconds
        while len(found := self.calls(path)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def fault(self, path: str, errcode: int | None, times: int = 1, delay: float = 0) -> None:
        with self.app.extensions["db"].sessionmaker.begin() as session:
            state.add_fault(session, path, errcode, times, delay)

    def issue_code(self, openid: str) -> str:
        with self.app.extensions["db"].sessionmaker.begin() as session:
            return state.issue_code(session, openid)

    def set_consent(self, openid: str, template_id: str, accepted: bool = True) -> None:
        """The person's choice in the 订阅通知 popup, as WeChat keeps it (the fake sends accordingly)."""
        with self.app.extensions["db"].sessionmaker.begin() as session:
            state.set_consent(session, openid, template_id, accepted)

    def add_media(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """A temporary media file, as if someone had sent it to the account: its media id."""
        with self.app.extensions["db"].sessionmaker.begin() as session:
            return state.save_media(session, data, content_type)

    def tagged(self, name: str) -> list[str]:
        """The followers carrying the tag called `name` (none when there is no such tag)."""
        with self.app.extensions["db"].sessionmaker() as session:
            found = [tag["id"] for tag in state.tags(session) if tag["name"] == name]
            return state.tag_members(session, found[0]) if found else []

    def reset(self) -> None:
        with self.app.extensions["db"].sessionmaker.begin() as session:
            state.reset(session)


@contextmanager
def serve_fake_wechat(folder: Path, **config: Any) -> Iterator[FakeWeChat]:
    """Serve an app with the sandbox on, at http://127.0.0.1:<free port>, until the block ends."""

    holder: dict[str, Flask] = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    database_url = f"sqlite:///{folder / 'fake-wechat.sqlite3'}"
    engine = make_engine(database_url)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    app = holder["app"] = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "fake-secret-key",
            "WECHAT_SANDBOX": True,
            "PUBLIC_BASE_URL": url,
            "MEDIA_ROOT": str(folder / "media"),
            "RATELIMIT_ENABLED": False,
            "WECHAT_APPID": APPID,
            "WECHAT_SECRET": SECRET,
            **config,
        }
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeWeChat(app, url)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        app.extensions["db"].engine.dispose()
