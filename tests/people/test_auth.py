"""Signing in: the password page, its session cookie, argon2 hashes and their upgrade."""

from __future__ import annotations

from argon2 import Type, extract_parameters, profiles

from models import people
from models.people import Role, authenticate
from tests.support.builders import PASSWORD
from tests.support.pages import csrf_token, login


def test_login_with_right_password_opens_the_register(client, county, build):
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    login(client, user)
    page = client.get("/assets")
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)


def test_wrong_password_is_refused_in_chinese(client, county, build):
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    token = csrf_token(client)
    response = client.post("/login", data={"phone": user.phone, "password": "nope-nope", "csrf_token": token})
    assert response.status_code == 401
    assert "手机号或密码不正确" in response.get_data(as_text=True)
    assert client.get("/assets").status_code == 302


def test_login_form_without_csrf_token_is_refused(client, county, build):
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    response = client.post("/login", data={"phone": user.phone, "password": "password-123"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert client.get("/assets").status_code == 302


def test_session_cookie_is_httponly_and_lax(client, county, build):
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    token = csrf_token(client)
    response = client.post("/login", data={"phone": user.phone, "password": "password-123", "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over http here; https deployments get Secure


def test_password_is_stored_with_argon2(county, build):
    user = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    assert user.password_hash.startswith("$argon2id$")
    assert "password-123" not in user.password_hash


def test_production_passwords_are_argon2id_with_the_rfc_9106_low_memory_parameters(monkeypatch, session, county, build):
    monkeypatch.setattr(people, "password_hasher", people.PRODUCTION_PASSWORD_HASHER)
    user = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    made = extract_parameters(user.password_hash)
    wanted = profiles.RFC_9106_LOW_MEMORY
    assert (made.type, made.time_cost, made.memory_cost, made.parallelism) == (Type.ID, 3, 65536, 4)
    assert (made.time_cost, made.memory_cost, made.parallelism) == (
        wanted.time_cost,
        wanted.memory_cost,
        wanted.parallelism,
    )
    assert authenticate(session, user.phone, PASSWORD) is user
    assert authenticate(session, user.phone, "wrong-password") is None


def test_a_hash_made_with_weaker_parameters_is_upgraded_at_the_next_sign_in(monkeypatch, session, county, build):
    user = build.user(Role.CUSTODIAN, county.villages["石桥村"])  # the tests' cheap parameters
    assert extract_parameters(user.password_hash).time_cost == 1
    monkeypatch.setattr(people, "password_hasher", people.PRODUCTION_PASSWORD_HASHER)
    assert authenticate(session, user.phone, PASSWORD) is user
    assert extract_parameters(user.password_hash).time_cost == 3
    assert authenticate(session, user.phone, PASSWORD) is user


def test_open_redirect_after_login_is_ignored(client, county, build):
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x", data={"phone": user.phone, "password": "password-123", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"  # the home page
