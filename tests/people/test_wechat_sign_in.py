"""Staff arrive signed in from WeChat: a staff page opened in WeChat without a session learns the
openid by OAuth (snsapi_base) and signs in the active account bound to it, marked as made by
WeChat, so that sensitive acts still ask for the password. Outside WeChat the password page stays."""

from __future__ import annotations

import pytest
from flask_login import current_user

from models.people import Role
from models.sign_in.sessions import SessionMethod
from models.wechat.binding import issue_bind_code, redeem_bind_code, unbind_wechat
from tests.support.pages import csrf_token, login
from tests.support.sign_in import WECHAT_BROWSER, through_wechat_oauth

OPENID = "o_custodian_wechat_1"


@pytest.fixture
def app(app_factory, fake):
    return app_factory(**fake.client_config())


@pytest.fixture
def custodian(session, county, build, clock):
    user = build.user(Role.CUSTODIAN, county.villages["石桥村"], name="李小军")
    redeem_bind_code(session, OPENID, issue_bind_code(session, user, clock.now()), clock.now())
    return user


def test_a_bound_custodian_opening_a_pushed_link_in_wechat_lands_signed_in_on_it(app, client, fake, custodian):
    back = through_wechat_oauth(client, fake, "/tasks?from=push", OPENID)
    assert back.status_code == 302 and back.headers["Location"] == "/tasks?from=push"
    page = client.get("/tasks?from=push", headers=WECHAT_BROWSER)
    assert page.status_code == 200 and "李小军" in page.get_data(as_text=True)
    with client:
        client.get("/tasks", headers=WECHAT_BROWSER)
        assert current_user.record.method is SessionMethod.WECHAT
        assert current_user.record.openid == OPENID


def test_outside_wechat_the_password_page_stays(client, custodian):
    answer = client.get("/tasks")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=")


def test_a_wechat_bound_to_nobody_is_sent_to_the_password_page(client, fake, custodian):
    back = through_wechat_oauth(client, fake, "/tasks", "o_a_villager")
    assert back.status_code == 302 and back.headers["Location"].startswith("/login?next=")
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert "这个微信还没有绑定工作人员账号" in page


def test_a_stopped_account_is_not_signed_in_by_its_wechat(client, session, fake, custodian):
    custodian.active = False
    session.flush()
    back = through_wechat_oauth(client, fake, "/tasks", OPENID)
    assert back.headers["Location"].startswith("/login?next=")


def test_a_session_made_by_wechat_ends_when_that_wechat_is_unbound(client, session, fake, custodian, clock):
    through_wechat_oauth(client, fake, "/tasks", OPENID)
    assert client.get("/tasks", headers=WECHAT_BROWSER).status_code == 200
    unbind_wechat(session, custodian, clock.now())
    session.flush()
    assert client.get("/tasks").status_code == 302


def test_a_return_from_oauth_that_was_not_started_here_is_refused(client, fake, custodian):
    answer = client.get("/login/wechat", query_string={"code": fake.issue_code(OPENID), "state": "made-up"})
    assert answer.status_code == 400
    assert client.get("/tasks").status_code == 302


def test_a_wechat_session_is_asked_for_the_password_before_exporting_the_register(client, fake, custodian):
    through_wechat_oauth(client, fake, "/tasks", OPENID)
    asked = client.get("/register/export")
    assert asked.status_code == 302 and asked.headers["Location"] == "/login/confirm?next=/register/export"
    token = csrf_token(client, "/login/confirm?next=/register/export")
    wrong = client.post("/login/confirm?next=/register/export", data={"password": "not-it-at-all", "csrf_token": token})
    assert wrong.status_code == 401 and "密码不正确" in wrong.get_data(as_text=True)
    right = client.post("/login/confirm?next=/register/export", data={"password": "password-123", "csrf_token": token})
    assert right.status_code == 302 and right.headers["Location"] == "/register/export"
    export = client.get("/register/export")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")


def test_a_password_session_exports_without_being_asked_again(client, custodian):
    login(client, custodian)
    assert client.get("/register/export").status_code == 200


def test_an_account_locked_by_wrong_passwords_still_signs_in_by_its_wechat(client, fake, custodian):
    token = csrf_token(client)
    statuses = [
        client.post("/login", data={"phone": custodian.phone, "password": "wrong-one", "csrf_token": token}).status_code
        for _ in range(6)
    ]
    assert statuses[-1] == 429
    back = through_wechat_oauth(client, fake, "/tasks", OPENID)
    assert back.headers["Location"] == "/tasks"
    assert client.get("/tasks", headers=WECHAT_BROWSER).status_code == 200


def test_signing_in_by_wechat_makes_a_new_csrf_token(app, client, fake, custodian):
    with client.session_transaction() as planted:
        planted["csrf_token"] = "planted-by-someone-else"
    through_wechat_oauth(client, fake, "/tasks", OPENID)
    with client.session_transaction() as held:
        assert held.get("csrf_token") != "planted-by-someone-else"
        assert held["visitor_openid"] == OPENID
