"""Photos stored in and served from an S3-protocol server, against the local folder as the floor
(run: `.venv/bin/python -m bench.object_storage`).

The server is moto's (the tests' one, `python -m moto.server` on loopback), a pure-Python server:
a production store (MinIO, OSS, COS) answers faster, so the ratios here are an upper bound of
what the bucket costs. Two measurements, each side taken in turn round after round:
- store: one photo's three files (a 12-MP original, the 320-px thumbnail, the public copy), new
  bytes each round, through `MediaStorage.put` (HEAD, then PUT) — the folder's `put` is the floor;
- serve: `GET /p/<token>/full.jpg` and the staff's 12-MP original through the app (test client,
  no network between client and app), from an app on the folder (floor) and one on the bucket.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from bench.photos import make_photo
from infra.object_storage import S3Storage, make_client
from infra.storage import media_storage
from models import Base
from models.clock import SystemClock
from models.db import make_engine
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.people import Role
from models.photos import inspect_photo
from models.storage import LocalStorage
from tests.support import object_store
from tests.support.builders import Builders
from tests.support.pages import login
from web import create_app

STORE_ROUNDS = 20
SERVE_ROUNDS = 200
ORIGINAL_ROUNDS = 20


def timed(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def store(original: bytes, folder: Path, bucket) -> dict[str, list[float]]:
    facts = inspect_photo(original)
    sides = {
        "folder": LocalStorage(folder / "store"),
        "bucket": S3Storage(make_client(object_store.settings(bucket.endpoint)), bucket.name, "store"),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    for round_ in range(-1, STORE_ROUNDS):  # round -1 warms both up
        files = [original + bytes([round_ % 256]), facts.thumbnail + bytes([round_ % 256]), facts.public_copy]
        for name, storage in sides.items():
            spent = timed(lambda storage=storage, files=files: [storage.put(data, ".jpg") for data in files])
            if round_ >= 0:
                times[name].append(spent)
    return times


def app_on(folder: Path, name: str, original: bytes, **media) -> tuple:
    """An app with one maintenance record of one photo, on SQLite: (client signed in as its
    clerk, the photo's token)."""
    url = f"sqlite:///{folder / f'{name}.sqlite3'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    config = {"DATABASE_URL": url, "SECRET_KEY": "bench", "MEDIA_ROOT": str(folder / name), "RATELIMIT_ENABLED": False}
    app = create_app({**config, **media})
    clock = SystemClock()
    with app.extensions["db"].sessionmaker() as session:
        build = Builders(session, clock)
        village = build.county().villages["石桥村"]
        clerk = build.user(Role.VILLAGE_CLERK, village)
        record = record_maintenance(
            session,
            media_storage(app),
            clerk,
            build.asset(village),
            kind=MaintenanceKind.INSPECTION,
            photos=[original],
            now=clock.now(),
            timezone="Asia/Shanghai",
        )
        session.commit()
        token = record.photos[0].public_token
    client = app.test_client()
    login(client, clerk)
    return client, token


def serve(original: bytes, folder: Path, bucket) -> dict[str, dict[str, list[float]]]:
    sides = {
        "folder": app_on(folder, "served", original),
        "bucket": app_on(folder, "served-s3", original, **bucket.config),
    }
    paths = {
        "public copy": ("/p/{}/full.jpg", SERVE_ROUNDS),
        "original": ("/maintenance/photos/{}/original", ORIGINAL_ROUNDS),
    }
    times = {what: {name: [] for name in sides} for what in paths}
    for what, (path, rounds) in paths.items():
        for round_ in range(-1, rounds):
            for name, (client, token) in sides.items():
                url = path.format(token)
                spent = timed(lambda client=client, url=url: _fetch(client, url))
                if round_ >= 0:
                    times[what][name].append(spent)
    return times


def _fetch(client, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 200 and answer.data, url


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    make_photo(folder / "phone.jpg")
    original = (folder / "phone.jpg").read_bytes()
    with object_store.s3_server() as endpoint:
        bucket = object_store.new_bucket(endpoint)
        stored = store(original, folder, bucket)
        served = serve(original, folder, bucket)
    report(original, stored, served)


def report(original: bytes, stored: dict[str, list[float]], served: dict[str, dict[str, list[float]]]) -> None:
    print(f"12-MP phone JPEG, {len(original) / 1e6:.1f} MB; moto {version('moto')}, boto3 {version('boto3')}")
    _lines(f"store its 3 files, {STORE_ROUNDS} rounds", stored)
    for what, times in served.items():
        _lines(f"serve the {what}, {len(times['folder'])} rounds", times)


def _lines(title: str, times: dict[str, list[float]]) -> None:
    print(title)
    floor = statistics.median(times["folder"])
    for name, spent in times.items():
        spent = sorted(spent)
        median, p95 = statistics.median(spent), spent[int(len(spent) * 0.95)]
        print(f"  {name:7} median {median * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  × floor {median / floor:5.2f}")


if __name__ == "__main__":
    main()
