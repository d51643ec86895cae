"""Bench of maintenance records from the field (run: `.venv/bin/python -m bench.field_records`).

20 bound custodians at once each scan their asset's card, send three 12-megapixel photos, choose
the kind and write a note, through the real `/wechat` endpoint on a threaded loopback server; the
same app serves the sandbox's fake WeChat API, so every photo is really downloaded over HTTP.
Measures every passive reply, and the time until all 20 records are saved (photos fetched,
checked, thumbnailed, stored). GUANHU_BENCH_DATABASE_URL picks PostgreSQL; SQLite otherwise.
Run twice in the same process: media in the local folder (the floor), then in an S3-protocol
server on loopback (the tests' moto server).
"""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path

import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from bench.database import ensure_database
from bench.photos import make_photo
from bot.crypto import signature
from bot.sandbox import state
from models import Base
from models.clock import SystemClock
from models.db import make_engine
from models.maintenance.entities import MaintenanceRecord
from models.people import Role
from tests.support import object_store
from tests.support.builders import Builders

STAFF = 20
PHOTOS = 3
TOKEN = "bench-token"  # noqa: S105  (a sandbox callback token)


def xml(openid: str, kind: str, **fields: str) -> str:
    body = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
    return (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{body}"
        f"<MsgId>{secrets.randbelow(10**18)}</MsgId></xml>"
    )


def post(url: str, message: str) -> float:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    query = {"timestamp": timestamp, "nonce": nonce, "signature": signature(TOKEN, timestamp, nonce)}
    began = time.perf_counter()
    answer = requests.post(f"{url}/wechat", params=query, data=message.encode(), timeout=30)
    answer.raise_for_status()
    return time.perf_counter() - began


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-field-"))
    run(folder / "local", "media in the local folder (the floor)", {})
    with object_store.s3_server() as endpoint:
        bucket = object_store.new_bucket(endpoint)
        run(folder / "s3", f"media in the S3-protocol server (moto {version('moto')} on loopback)", bucket.config)


def run(folder: Path, label: str, media: dict) -> None:
    from web import create_app

    folder.mkdir(parents=True)
    database_url = os.environ.get("GUANHU_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(ensure_database(database_url))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = holder["app"] = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "PUBLIC_BASE_URL": url,
            "WECHAT_SANDBOX": True,
            "WECHAT_TOKEN": TOKEN,
            "MEDIA_ROOT": str(folder / "media"),
            "RATELIMIT_ENABLED": False,
            "CLOCK": SystemClock(),
            "QUEUE_URL": f"sqlite:///{folder / 'queue.sqlite3'}",
            "WORKER_IN_PROCESS": True,
            **media,
        }
    )
    sessions = app.extensions["db"].sessionmaker
    tokens, media = [], []
    with sessions() as session:
        build = Builders(session, SystemClock())
        county = build.county()
        villages = list(county.villages.values())
        for number in range(STAFF):
            village = villages[number % len(villages)]
            tokens.append(build.asset(village).public_token)
            build.user(Role.CUSTODIAN, village).wechat_openid = f"oBenchStaff{number:017d}"
        for seed in range(PHOTOS):
            path = folder / f"photo{seed}.jpg"
            make_photo(path)
            media.append(state.save_media(session, path.read_bytes() + bytes([seed]), "image/jpeg"))
        session.commit()
    size_mb = (folder / "photo0.jpg").stat().st_size / 1e6
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    replies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(STAFF)

    def staff(number: int) -> None:
        openid = f"oBenchStaff{number:017d}"
        start.wait()
        times = [post(url, xml(openid, "event", Event="SCAN", EventKey=f"asset:{tokens[number]}"))]
        times += [post(url, xml(openid, "image", PicUrl="http://x", MediaId=media_id)) for media_id in media]
        times += [post(url, xml(openid, "text", Content="1")), post(url, xml(openid, "text", Content="路面完好"))]
        with lock:
            replies.extend(times)

    began = time.perf_counter()
    workers = [threading.Thread(target=staff, args=(n,)) for n in range(STAFF)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    sent = time.perf_counter() - began
    saved = 0
    while time.perf_counter() - began < 600:
        with sessions() as session:
            saved = session.scalar(select(func.count()).select_from(MaintenanceRecord))
            photos = sum(len(r.photos) for r in session.scalars(select(MaintenanceRecord)))
        if saved >= STAFF:
            break
        time.sleep(0.5)
    recorded = time.perf_counter() - began
    server.shutdown()
    app.extensions["db"].engine.dispose()
    replies.sort()
    print(f"-- {label}")
    print(
        f"{STAFF} staff x ({PHOTOS} photos of 12 MP, {size_mb:.1f} MB + scan, kind, note) at once; "
        f"{engine.dialect.name}; queue workers {app.config['QUEUE_WORKERS']}"
    )
    print(
        f"replies: {len(replies)}, median {statistics.median(replies) * 1000:.0f} ms, "
        f"p95 {replies[int(len(replies) * 0.95)] * 1000:.0f} ms, max {replies[-1] * 1000:.0f} ms "
        f"(all sent in {sent:.1f} s)"
    )
    print(f"records saved: {saved}/{STAFF} with {photos} photos, all within {recorded:.1f} s of the first message")


if __name__ == "__main__":
    main()
