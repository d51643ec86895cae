"""The app factory, its configuration contract and the health check."""

import pytest

from infra.settings import InsecureConfig
from web import create_app


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("GUANHU_SECRET_KEY", raising=False)
    monkeypatch.setenv("GUANHU_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert app.config["SECRET_KEY"]
    again = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text() == app.config["SECRET_KEY"]
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_environment_configures_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("GUANHU_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("GUANHU_PUBLIC_BASE_URL", "https://zichan.example.gov.cn/")
    monkeypatch.setenv("GUANHU_TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("GUANHU_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")
    assert app.config["PUBLIC_BASE_URL"] == "https://zichan.example.gov.cn"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TIMEZONE"] == "Asia/Urumqi"
    assert app.config["SECRET_KEY"] == "from-the-environment"


# 32 random bytes, as `python -c 'import secrets; print(secrets.token_hex(32))'` gives them.
STRONG_KEY = "9c4e1f7a2b8d3e6f0a5c9b2d7e4f1a8c3b6d9e2f5a8c1b4d7e0f3a6c9b2e5d8f"
PRODUCTION = {
    "PRODUCTION": True,
    "PUBLIC_BASE_URL": "https://zichan.example.gov.cn",
    "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "WECHAT_SANDBOX": False,
}


@pytest.mark.parametrize(
    "setting, value, complaint",
    [
        ("SECRET_KEY", None, "GUANHU_SECRET_KEY"),
        ("WECHAT_SANDBOX", True, "SANDBOX"),
        ("PUBLIC_BASE_URL", "http://plain.example", "https"),
        ("DATABASE_URL", "sqlite:///x.sqlite3", "SQLite"),
    ],
)
def test_production_mode_refuses_insecure_settings(monkeypatch, setting, value, complaint):
    monkeypatch.delenv("GUANHU_SECRET_KEY", raising=False)
    config = {**PRODUCTION, "SECRET_KEY": STRONG_KEY, setting: value}
    with pytest.raises(InsecureConfig, match=complaint):
        create_app(config)


@pytest.mark.parametrize(
    "weak_key",
    [
        "abc",
        "s" * 64,  # long, but one letter
        "6f1c9e2b7a4d8e03f5b6c7d8e9fa0b1c",  # 16 random bytes as hex: half of what is needed
        "password" * 5,
    ],
)
def test_production_mode_refuses_a_secret_key_of_fewer_than_32_random_bytes(monkeypatch, weak_key):
    monkeypatch.delenv("GUANHU_SECRET_KEY", raising=False)
    config = {**PRODUCTION, "SECRET_KEY": weak_key}
    with pytest.raises(InsecureConfig, match="GUANHU_SECRET_KEY is weak: give at least 32 random bytes"):
        create_app(config)


@pytest.mark.parametrize("strong_key", [STRONG_KEY, "Wl3qg4Zt1uVKc9rJ0yQx-8nH2aPdLs7mFbE6oT5iUvY"])
def test_production_mode_starts_with_32_random_bytes_as_hex_or_base64(monkeypatch, strong_key):
    monkeypatch.delenv("GUANHU_SECRET_KEY", raising=False)
    assert create_app({**PRODUCTION, "SECRET_KEY": strong_key}).config["SECRET_KEY"] == strong_key


def test_health_check_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "up"}


def test_health_check_is_503_when_the_database_is_down(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"


def test_unknown_page_is_a_calm_chinese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_unexpected_error_shows_no_stack_trace(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出了点问题" in body and "secret internals" not in body and "Traceback" not in body
    assert response.headers["X-Request-Id"] in body


def test_oversized_request_is_refused_with_413(client):
    response = client.post("/login", data=b"x" * (33 * 1024 * 1024), content_type="application/octet-stream")
    assert response.status_code == 413
    assert "过大" in response.get_data(as_text=True)
