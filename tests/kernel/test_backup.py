"""`guanhu backup` and `guanhu restore`: the drill (demo county, back up, wipe, restore: every row
count and every photo's SHA-256 match) on the test's database kind, a bucket's manifest, refusals."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from infra.backup import row_counts
from models.clock import FixedClock
from models.db import make_engine
from models.storage import LocalStorage
from tests.support import photo_files
from tests.support.clock import TEST_NOW
from tests.support.live_server import own_database
from web import create_app
from web.cli import cli


def deployment(url: str, media: Path, **overrides):
    return create_app(
        {
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(media),
            "SECRET_KEY": "backup-test",
            "CLOCK": FixedClock(TEST_NOW),
            "PUBLIC_BASE_URL": "http://guanhu.test",
            **overrides,
        }
    )


def guanhu(app, *arguments: str):
    result = app.test_cli_runner().invoke(cli, list(arguments))
    app.extensions["db"].engine.dispose()
    return result


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = row_counts(connection)
    engine.dispose()
    return found


def photos(media: Path) -> dict[str, str]:
    folder = LocalStorage(media)
    return {key: hashlib.sha256((media / key).read_bytes()).hexdigest() for key in folder.keys()}


def wipe(url: str, media: Path) -> None:
    shutil.rmtree(media, ignore_errors=True)
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def test_the_demo_county_backed_up_wiped_and_restored_is_the_same(database_url, tmp_path):
    url, media, out = own_database(database_url, tmp_path, "drill"), tmp_path / "media", tmp_path / "backup"
    app = deployment(url, media)
    for step in (["db", "upgrade"], ["demo", "load"]):
        assert guanhu(app, *step).exit_code == 0
    rows, files = counts(url), photos(media)
    assert rows["assets"] > 100 and rows["alembic_version"] == 1 and len(files) > 10

    backed_up = guanhu(app, "backup", str(out))
    assert backed_up.exit_code == 0, backed_up.output
    assert f"{len(rows)} 张表共 {sum(rows.values())} 行，{len(files)} 个媒体文件" in backed_up.output

    over = guanhu(deployment(url, media), "restore", str(out))
    assert over.exit_code == 1
    assert "目标数据库不是空的" in over.output

    wipe(url, media)
    restored = guanhu(deployment(url, media), "restore", str(out))
    assert restored.exit_code == 0, restored.output
    assert counts(url) == rows
    assert photos(media) == files


def test_a_bucket_is_listed_with_sizes_and_checked_on_restore(database_url, tmp_path, bucket):
    url, out = own_database(database_url, tmp_path, "drill_bucket"), tmp_path / "backup"
    app = deployment(url, tmp_path / "unused", **bucket.config)
    assert guanhu(app, "db", "upgrade").exit_code == 0
    with app.app_context():
        keys = [app.extensions["storage"].put(photo_files.jpeg(seed), ".jpg") for seed in (1, 2)]

    assert guanhu(app, "backup", str(out)).exit_code == 0
    listed = (out / "media.tsv").read_text().splitlines()
    sizes = {key: len(photo_files.jpeg(seed)) for key, seed in zip(keys, (1, 2), strict=True)}
    assert sorted(listed[1:]) == sorted(f"{key}\t{sizes[key]}\t{key[3:67]}" for key in keys)

    rows = counts(url)
    wipe(url, tmp_path / "unused")
    assert guanhu(deployment(url, tmp_path / "unused", **bucket.config), "restore", str(out)).exit_code == 0
    assert counts(url) == rows

    wipe(url, tmp_path / "unused")
    bucket.client.delete_object(Bucket=bucket.name, Key=f"media/{keys[0]}")
    missing = guanhu(deployment(url, tmp_path / "unused", **bucket.config), "restore", str(out))
    assert missing.exit_code == 1
    assert f"存储桶里缺少或大小不符的照片 1 个：{keys[0]}" in missing.output
    assert counts(url) == {}  # nothing restored while photos are missing


def test_a_damaged_file_in_the_backup_is_named_and_nothing_is_restored(database_url, tmp_path):
    url, media, out = own_database(database_url, tmp_path, "drill_damaged"), tmp_path / "media", tmp_path / "backup"
    app = deployment(url, media)
    assert guanhu(app, "db", "upgrade").exit_code == 0
    key = LocalStorage(media).put(photo_files.jpeg(3), ".jpg")
    assert guanhu(app, "backup", str(out)).exit_code == 0
    (out / "media" / key).write_bytes(b"changed on the backup disk")

    wipe(url, media)
    damaged = guanhu(deployment(url, media), "restore", str(out))
    assert damaged.exit_code == 1
    assert f"媒体文件 {key} 的内容与其 SHA-256 不符（文件已损坏）" in damaged.output
    assert counts(url) == {}


@pytest.mark.parametrize(
    ("command", "prepare", "message"),
    [
        ("backup", lambda folder: (folder / "old.txt").write_text("x"), "已存在且不是空的"),
        ("restore", lambda folder: None, "不是一份完整的备份"),
    ],
)
def test_a_wrong_folder_is_refused_in_chinese(runner, tmp_path, command, prepare, message):
    folder = tmp_path / "folder"
    folder.mkdir()
    prepare(folder)
    result = runner.invoke(cli, [command, str(folder)])
    assert result.exit_code == 1
    assert message in result.output


@pytest.mark.parametrize(
    ("database", "message"),
    [
        ("sqlite:///{tmp}/missing/guanhu.sqlite3", "打不开 SQLite 数据库文件"),
        ("sqlite:///{tmp}/empty.sqlite3", "数据库里还没有任何表"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/guanhu", "连不上数据库"),
    ],
    ids=["sqlite-missing", "sqlite-empty", "postgresql-unreachable"],
)
def test_a_database_that_cannot_be_backed_up_leaves_no_folder(app_factory, tmp_path, database, message):
    (tmp_path / "empty.sqlite3").touch()
    app = app_factory(DATABASE_URL=database.format(tmp=tmp_path))
    result = app.test_cli_runner().invoke(cli, ["backup", str(tmp_path / "backup")])
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "backup").exists() and not (tmp_path / "backup.incomplete").exists()
