"""Settings: every default (for the embedded mode) in one place, then GUANHU_* from the
environment, then a test's mapping. Read them from `current_app.config`."""

from __future__ import annotations

import base64
import binascii
import contextlib
import math
import os
import re
import secrets
from collections import Counter
from pathlib import Path

from flask import Flask


class InsecureConfig(RuntimeError):
    """Production mode was asked for with settings that are only fit for a laptop."""


def load(app: Flask, test_config: dict | None) -> None:
    instance = Path(app.instance_path)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{instance / 'guanhu.sqlite3'}",
        PUBLIC_BASE_URL="http://127.0.0.1:5000",
        MEDIA_ROOT=str(instance / "media"),
        # None: files under MEDIA_ROOT (one host); s3://bucket/prefix: an S3-compatible bucket,
        # reached with the S3_* settings below (several hosts share it).
        MEDIA_URL=None,
        S3_ENDPOINT_URL=None,  # e.g. http://minio.internal:9000 or https://oss-cn-hangzhou.aliyuncs.com
        S3_REGION=None,
        S3_ACCESS_KEY_ID=None,
        S3_SECRET_ACCESS_KEY=None,
        S3_ADDRESSING_STYLE="auto",  # "path" (MinIO, Ceph) or "virtual" (OSS)
        S3_SIGNATURE_VERSION="s3v4",  # "s3" (V2) for a store that refuses V4 uploads
        S3_TIMEOUT=10,  # seconds to connect, and to wait for each answer
        # Staff downloading a photo's original (up to 20 MB) get a redirect to a presigned address
        # valid this long, so the bytes skip the app; 0: the app streams it.
        S3_PRESIGNED_SECONDS=0,
        REDIS_URL=None,
        METRICS_TOKEN=None,  # None: no /metrics; else Prometheus sends "Authorization: Bearer <token>"
        LOG_FORMAT=None,  # "json" (one object a line) or "text"; None: json in production, else text
        TIMEZONE="Asia/Shanghai",
        PRODUCTION=False,
        BEHIND_PROXY=False,
        WECHAT_SANDBOX=False,
        WECHAT_APPID=None,
        WECHAT_SECRET=None,
        WECHAT_TOKEN=None,
        WECHAT_AES_KEY=None,
        WECHAT_AES_KEY_PREVIOUS=None,  # tried when the current key fails, during a rotation
        WECHAT_MAX_BODY=64 * 1024,
        WECHAT_MAX_CLOCK_SKEW=300,
        # How long one SQLite statement of /wechat waits for another writer (milliseconds): the
        # claim, a handler's statements and its retries stay inside WeChat's 5 seconds.
        WECHAT_DB_WAIT_MS=700,
        # The job queue of the work after a WeChat reply (`infra.background`): redis://… when
        # `guanhu worker` processes share it; None: instance/queue.sqlite3 (memory:// in tests).
        QUEUE_URL=None,
        QUEUE_NAME="guanhu",
        QUEUE_RETRY_DELAYS=[10, 60, 300, 1800],  # seconds before each retry of a failed job; then parked
        QUEUE_LEASE_SECONDS=600,  # a job not ended this long after it started (its worker died) runs again
        QUEUE_WORKERS=2,  # threads of one `guanhu worker` (and of the dev server's worker)
        # None: a worker thread in each web process exactly when the queue is the instance's file.
        WORKER_IN_PROCESS=None,
        SUPERVISION_HOTLINE="12317",
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=None,  # None: secure exactly when PUBLIC_BASE_URL is https
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="guanhu_session",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        REMEMBER_COOKIE_DURATION=0,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        # No X-RateLimit-* headers: people read the 429 page, and the headers cost the counter
        # store two more round trips on every limited request.
        RATELIMIT_HEADERS_ENABLED=False,
        WECHAT_API_BASE_URL=None,  # None: WeChat's own, or the sandbox's fake when it is on
        WECHAT_MP_BASE_URL=None,
        WECHAT_OAUTH_BASE_URL=None,
        WECHAT_HTTP_TIMEOUT=5,
        WECHAT_BUSY_RETRY_DELAYS=[1, 3],  # seconds between retries when WeChat answers -1 (busy)
        WECHAT_MEDIA_RETRY_DELAYS=[1, 5, 15],  # seconds between tries to fetch a photo sent to us
        # The public pages and their rate limits (per visitor: openid, else address).
        PUBLIC_PAGE_CACHE_SECONDS=30,  # the anonymous asset page is reused this long (0: off)
        PUBLIC_PAGE_RATE_LIMIT="60 per minute",
        COMPLAINT_RATE_LIMIT="5 per hour",
        COMPLAINT_ASSET_RATE_LIMIT="30 per day",  # per asset, whoever files
        CARE_RATING_RATE_LIMIT="10 per day",  # yearly care ratings from one visitor (openid, else address)
        OBJECTION_NOTICE_RATE_LIMIT="50 per day",  # objections to one notice, whoever files
        MAINTENANCE_FORM_RATE_LIMIT="30 per hour",
        REGISTER_IMPORT_MAX_BYTES=32 * 1024 * 1024,
        # "url": a card's QR code is PUBLIC_BASE_URL/a/<token> (no account needed, no cap);
        # "wechat": a permanent parametric QR code of the official account (follow, then the bot answers).
        CARD_QR="url",
        # Complaints: time limits in days, and how an answer reaches the villager.
        COMPLAINT_ACCEPT_DAYS=3,
        COMPLAINT_ANSWER_DAYS=15,
        COMPLAINT_ANSWER_CHANNEL="template",  # or "custom" (customer-service message)
        COMPLAINT_ANSWER_TEMPLATE_ID=None,
        # The keywords of the template chosen in the official account's admin (模板消息 → 我的模板).
        COMPLAINT_TEMPLATE_FIELDS={"number": "character_string1", "status": "phrase2", "time": "time3"},
        DAMAGE_REPORT_TEMPLATE_ID=None,  # None: damage reports go as customer-service text
        DAMAGE_REPORT_TEMPLATE_FIELDS={"asset": "thing1", "status": "phrase2", "time": "time3"},
        # Deadline reminders: a template message or a subscription notification (订阅通知).
        WECHAT_REMINDER_CHANNEL="template",  # or "subscribe"
        WECHAT_REMINDER_TEMPLATE_ID="",
        # "count" is Chinese (共3项待办): a thing field; character_string takes only digits, letters, symbols.
        WECHAT_REMINDER_FIELDS={"task": "thing1", "due": "time2", "status": "phrase3", "count": "thing4"},
        REMINDER_DIGEST_TIME="08:30",  # local time of the morning digest
    )
    app.config.from_prefixed_env("GUANHU")
    if test_config:
        app.config.from_mapping(test_config)
    public_url = app.config["PUBLIC_BASE_URL"].rstrip("/")
    app.config["PUBLIC_BASE_URL"] = public_url
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = public_url.startswith("https://")
    app.config.setdefault("RATELIMIT_STORAGE_URI", _rate_limit_storage(app.config))
    _wechat_outbound(app)
    if app.config["PRODUCTION"]:
        _refuse_insecure(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)


def _rate_limit_storage(config) -> str:
    """Where rate limits are counted so that every worker sees the same counts: Redis when it is
    configured, else the database (infra/rate_limits.py); in memory only in the embedded mode,
    SQLite's single process."""
    if config["REDIS_URL"]:
        return config["REDIS_URL"]
    return "memory://" if config["DATABASE_URL"].startswith("sqlite") else "guanhu+database://"


SANDBOX_CREDENTIALS = {
    "WECHAT_APPID": "wxsandbox0000001",
    "WECHAT_SECRET": "sandbox-secret",
    "WECHAT_TOKEN": "sandbox-token",
}
# The templates the sandbox's fake account has (their fields: bot/sandbox/templates.py), used
# when the sandbox is on and no template id is configured: pushes then work out of the box.
SANDBOX_TEMPLATE_IDS = {
    "reminder": "sbx-tpl-reminder",  # 模板消息
    "reminder_subscribe": "sbx-sub-reminder",  # 订阅通知, for WECHAT_REMINDER_CHANNEL=subscribe
    "complaint_answer": "sbx-tpl-complaint-answer",
    "damage_report": "sbx-tpl-damage-report",
}


def _wechat_outbound(app: Flask) -> None:
    """Where outbound WeChat calls go: WeChat itself, or the sandbox's fake API when it is on."""
    config = app.config
    on = config["WECHAT_SANDBOX"]
    sandbox = f"{config['PUBLIC_BASE_URL']}/sandbox/wechat-api" if on else None
    official = {
        "WECHAT_API_BASE_URL": "https://api.weixin.qq.com",
        "WECHAT_MP_BASE_URL": "https://mp.weixin.qq.com",
        "WECHAT_OAUTH_BASE_URL": "https://open.weixin.qq.com",
    }
    for key, url in official.items():
        if not config.get(key):
            config[key] = sandbox or url
        config[key] = config[key].rstrip("/")
    if on:  # the sandbox works out of the box; its fake WeChat knows these credentials and templates
        subscribe = config["WECHAT_REMINDER_CHANNEL"] == "subscribe"
        defaults = {
            **SANDBOX_CREDENTIALS,
            "WECHAT_REMINDER_TEMPLATE_ID": SANDBOX_TEMPLATE_IDS["reminder_subscribe" if subscribe else "reminder"],
            "COMPLAINT_ANSWER_TEMPLATE_ID": SANDBOX_TEMPLATE_IDS["complaint_answer"],
            "DAMAGE_REPORT_TEMPLATE_ID": SANDBOX_TEMPLATE_IDS["damage_report"],
        }
        for key, value in defaults.items():
            config[key] = config.get(key) or value


def _refuse_insecure(app: Flask) -> None:
    problems = []
    if not app.config.get("SECRET_KEY"):
        problems.append("GUANHU_SECRET_KEY is not set")
    elif not strong_secret(str(app.config["SECRET_KEY"])):
        problems.append(
            "GUANHU_SECRET_KEY is weak: give at least 32 random bytes, "
            "e.g. python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if app.config["WECHAT_SANDBOX"]:
        problems.append("GUANHU_WECHAT_SANDBOX is on")
    if app.debug:
        problems.append("debug mode is on")
    if not app.config["PUBLIC_BASE_URL"].startswith("https://"):
        problems.append("GUANHU_PUBLIC_BASE_URL is not https")
    if app.config["DATABASE_URL"].startswith("sqlite"):
        problems.append("GUANHU_DATABASE_URL points at SQLite")
    if problems:
        raise InsecureConfig("refusing to start in production mode: " + "; ".join(problems))


MIN_SECRET_BYTES = 32


def strong_secret(key: str) -> bool:
    """Whether `key` holds at least 32 bytes of key material (64 hex digits, 43 characters of
    base64, or 32 bytes of other text) that look random: their characters' spread, counted as
    Shannon entropy, is worth at least 128 bits (a repeated or one-letter key is far below)."""
    material = _key_material(key)
    if len(material) < MIN_SECRET_BYTES:
        return False
    counts = Counter(key)
    bits_per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return bits_per_char * len(key) >= 128


def _key_material(key: str) -> bytes:
    """The bytes a key stands for: hex and base64 keys decoded, any other text as UTF-8."""
    if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", key):
        return bytes.fromhex(key)
    if re.fullmatch(r"[A-Za-z0-9_\-+/]+={0,2}", key):
        padded = key + "=" * (-len(key) % 4)
        with contextlib.suppress(binascii.Error, ValueError):
            return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    return key.encode()


def _instance_secret(instance: Path) -> str:
    """The secret kept in instance/secret_key, made on first run (embedded mode only)."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
