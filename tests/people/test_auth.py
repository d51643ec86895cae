from models.people import Role
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


def test_changing_password_ends_other_sessions(client, session, county, build):
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    login(client, user)
    user.set_password("another-password")
    session.flush()
    assert client.get("/assets").status_code == 302


def test_open_redirect_after_login_is_ignored(client, county, build):
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x", data={"phone": user.phone, "password": "password-123", "csrf_token": token}
    )
    assert response.headers["Location"] == "/assets"


def test_repeated_wrong_passwords_are_rate_limited(app_factory, county, build):
    client = app_factory(RATELIMIT_ENABLED=True).test_client()
    user = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    token = csrf_token(client)
    statuses = [
        client.post("/login", data={"phone": user.phone, "password": "wrong-one", "csrf_token": token}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    limited = client.post("/login", data={"phone": user.phone, "password": "password-123", "csrf_token": token})
    assert limited.status_code == 429
    assert "操作太频繁" in limited.get_data(as_text=True)
