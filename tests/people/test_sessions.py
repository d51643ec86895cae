"""Sessions are kept on the server (Redis when configured, else the database), so that signing out,
a new password or a stopped account ends them, even in a browser the cookie was copied to."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.people import Role
from models.sign_in.sessions import SessionMethod, StaffSession, session_hash
from tests.support.pages import csrf_token, login
from tests.support.sign_in import STORES, app_keeping_sign_ins_in

COOKIE = "guanhu_session"


@pytest.fixture(params=STORES)
def app(request, app_factory):
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    with app_keeping_sign_ins_in(request.param, app_factory, redis_url) as app:
        yield app


@pytest.fixture
def official(county, build):
    return build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"], name="覃志刚")


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return other


def session_id_in(app, client) -> str:
    """The session id the signed cookie carries (the only thing about the session it carries)."""
    cookie = app.session_interface.get_signing_serializer(app).loads(client.get_cookie(COOKIE).value)
    return cookie["_user_id"]


def test_a_cookie_copied_before_signing_out_no_longer_signs_in(app, client, official):
    login(client, official)
    stolen = copy_of(app, client)
    assert stolen.get("/assets").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/assets")})
    assert stolen.get("/assets").status_code == 302
    assert client.get("/assets").status_code == 302


def test_changing_the_password_ends_every_other_session_but_this_one(app, client, official):
    login(client, official)
    elsewhere = app.test_client()
    login(elsewhere, official)
    token = csrf_token(client, "/account/password")
    changed = client.post(
        "/account/password",
        data={"current": "password-123", "password": "a-new-one-456", "repeated": "a-new-one-456", "csrf_token": token},
    )
    assert changed.status_code == 303
    assert "其他手机或电脑上的登录已全部退出" in client.get(changed.headers["Location"]).get_data(as_text=True)
    assert elsewhere.get("/assets").status_code == 302
    assert client.get("/assets").status_code == 200
    login(elsewhere, official, "a-new-one-456")


def test_a_session_lasts_a_working_day(app, client, official, clock):
    login(client, official)
    clock.advance(hours=7, minutes=59)
    assert client.get("/assets").status_code == 200
    clock.advance(minutes=2)
    assert client.get("/assets").status_code == 302


def test_the_server_keeps_only_a_hash_of_the_session_id(app, client, session, official):
    login(client, official)
    session_id = session_id_in(app, client)
    store = app.extensions["staff_sessions"]
    if app.config["REDIS_URL"]:
        keys = {key.decode() for key in store.redis.scan_iter(store.prefix + "*")}
        assert store.prefix + session_hash(session_id) in keys
        assert not any(session_id in key for key in keys)
    else:
        [kept] = session.scalars(select(StaffSession).where(StaffSession.user_id == official.id))
        assert kept.id_hash == session_hash(session_id) != session_id
        assert kept.method is SessionMethod.PASSWORD


def test_signing_in_notes_when(app, client, session, official, clock):
    assert official.last_sign_in_at is None
    login(client, official)
    session.refresh(official)
    assert official.last_sign_in_at == clock.now()


def test_when_redis_does_not_answer_signing_in_says_the_system_is_busy(app_factory, county, build):
    app = app_factory(REDIS_URL="redis://127.0.0.1:1/0")
    client = app.test_client()
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    token = csrf_token(client)
    answer = client.post("/login", data={"phone": user.phone, "password": "password-123", "csrf_token": token})
    assert answer.status_code == 503
    assert "系统繁忙" in answer.get_data(as_text=True)
