"""Backups that restore: `guanhu backup OUT` and `guanhu restore IN` (into an empty deployment).

A backup is a folder:
  backup.json          what it holds: the database kind, each table's row count, the media kind
  database.sqlite3     SQLite: a copy made with SQLite's online backup API
  database.pgdump      PostgreSQL: `pg_dump --format=custom`
  media/               the local media folder's files, each checked against its SHA-256
  media.tsv            a bucket's objects instead (key, size, SHA-256): the bucket keeps its own
                       copies (versioning, replication); restore checks that it still holds them

The row counts are taken in the same snapshot as the dump, so a restore is checked against them
exactly while the app keeps writing. The database goes first, the media after: a file is stored
before the row naming it commits, so every file the dump names is already there to be copied.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from infra.object_storage import S3Storage
from models.db import make_engine
from models.storage import LocalStorage, MediaStorage, key_digest

MANIFEST = "backup.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_FOLDER = "media"
MEDIA_LIST = "media.tsv"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Summary:
    tables: int
    rows: int
    files: int

    def text(self, done: str) -> str:
        return f"{done}：{self.tables} 张表共 {self.rows} 行，{self.files} 个媒体文件（均已按 SHA-256 核对）。"


def backup(database_url: str, storage: MediaStorage, out: Path) -> Summary:
    with _database_reachable():
        return _backup(database_url, storage, out)


def restore(database_url: str, storage: MediaStorage, folder: Path) -> Summary:
    with _database_reachable():
        return _restore(database_url, storage, folder)


@contextmanager
def _database_reachable() -> Iterator[None]:
    try:
        yield
    except OperationalError as error:
        raise BackupError(f"连不上数据库：{str(error.orig).strip()}") from None
    except sqlite3.OperationalError as error:
        raise BackupError(f"打不开 SQLite 数据库文件：{error}") from None


def _backup(database_url: str, storage: MediaStorage, out: Path) -> Summary:
    """Written into OUT.incomplete and renamed at the end: a folder named OUT is a whole backup."""
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"备份目录 {out} 已存在且不是空的：请给一个新目录，以免混入旧备份。")
    work = out.with_name(f"{out.name}.incomplete")
    shutil.rmtree(work, ignore_errors=True)  # what a run cut short left
    work.mkdir(parents=True)
    try:
        summary = _write_backup(database_url, storage, work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if out.exists():
        out.rmdir()
    work.rename(out)
    return summary


def _write_backup(database_url: str, storage: MediaStorage, out: Path) -> Summary:
    if _is_sqlite(database_url):
        counts = _dump_sqlite(database_url, out / SQLITE_FILE)
    else:
        counts = _dump_postgresql(database_url, out / PG_FILE)
    if not counts:
        raise BackupError("数据库里还没有任何表，没有可备份的内容：请检查 GUANHU_DATABASE_URL。")
    if isinstance(storage, LocalStorage):
        files = _copy_media(storage, out / MEDIA_FOLDER)
    else:
        files = _list_bucket(storage, out / MEDIA_LIST)
    manifest = {
        "database": "sqlite" if _is_sqlite(database_url) else "postgresql",
        "media": "folder" if isinstance(storage, LocalStorage) else "bucket",
        "rows": counts,
        "files": files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return Summary(len(counts), sum(counts.values()), files)


def _restore(database_url: str, storage: MediaStorage, folder: Path) -> Summary:
    manifest = _read_manifest(folder)
    kind = "sqlite" if _is_sqlite(database_url) else "postgresql"
    if manifest["database"] != kind:
        raise BackupError(f"这份备份来自 {manifest['database']} 数据库，不能恢复到 {kind} 数据库。")
    _refuse_unless_empty(database_url)
    if manifest["media"] == "folder":  # first: files no row names yet are harmless, the reverse is not
        files = _restore_media(folder / MEDIA_FOLDER, storage)
    else:
        files = _check_bucket(folder / MEDIA_LIST, storage)
    if kind == "sqlite":
        _restore_sqlite(folder / SQLITE_FILE, database_url)
    else:
        restore_options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        _run(["pg_restore", *restore_options], database_url, [str(folder / PG_FILE)])
    engine = make_engine(database_url)
    with engine.connect() as connection:
        counts = row_counts(connection)
    engine.dispose()
    if counts != manifest["rows"]:
        wrong = [name for name in manifest["rows"] if counts.get(name) != manifest["rows"][name]]
        raise BackupError(f"恢复后的行数与备份不符：{'、'.join(wrong)}。请勿使用这个数据库。")
    return Summary(len(counts), sum(counts.values()), files)


def row_counts(connection: Connection) -> dict[str, int]:
    """Every table's row count (the schema's version table included)."""
    names = sorted(inspect(connection).get_table_names())
    return {name: connection.scalar(select(func.count()).select_from(table(name))) for name in names}


def _is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def _sqlite_path(database_url: str) -> Path:
    return Path(make_url(database_url).database or "")


def _dump_sqlite(database_url: str, target: Path) -> dict[str, int]:
    source = sqlite3.connect(f"{_sqlite_path(database_url).resolve().as_uri()}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: a consistent snapshot while others write
    finally:
        source.close()
        copy.close()
    engine = make_engine(f"sqlite:///{target}")
    with engine.connect() as connection:
        counts = row_counts(connection)
    engine.dispose()
    return counts


def _dump_postgresql(database_url: str, target: Path) -> dict[str, int]:
    """Counts rows in a snapshot exported to pg_dump, so both see the same moment."""
    engine = make_engine(database_url, isolation_level="REPEATABLE READ")
    with engine.connect() as connection:
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        counts = row_counts(connection)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}"], database_url)
        connection.rollback()
    engine.dispose()
    return counts


def _run(command: list[str], database_url: str, tail: list[str] | None = None) -> None:
    """Run a PostgreSQL client on `database_url` (its password through the environment, never argv)."""
    url = make_url(database_url)
    environment = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    address = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"找不到 {command[0]}：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client）。"
        )
    done = subprocess.run(  # noqa: S603
        [*command, f"--dbname={address}", *(tail or [])], env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败：{done.stderr.strip()[-2000:]}")


def _refuse_unless_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    engine.dispose()
    if tables:
        raise BackupError(
            f"目标数据库不是空的（已有 {len(tables)} 张表）：恢复只能做到新建的空数据库里，不会覆盖现有数据。"
        )


def _restore_sqlite(source: Path, database_url: str) -> None:
    target = _sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    backup_copy = sqlite3.connect(source)
    restored = sqlite3.connect(target)
    try:
        backup_copy.backup(restored)
    finally:
        backup_copy.close()
        restored.close()


def _copy_media(storage: LocalStorage, target: Path) -> int:
    copied = 0
    for key in storage.keys():
        data = _checked(storage.root / key, key)
        (target / key).parent.mkdir(parents=True, exist_ok=True)
        (target / key).write_bytes(data)
        copied += 1
    return copied


def _restore_media(source: Path, storage: MediaStorage) -> int:
    restored = 0
    for key in LocalStorage(source).keys():
        storage.put(_checked(source / key, key), Path(key).suffix)
        restored += 1
    return restored


def _checked(path: Path, key: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != key_digest(key):
        raise BackupError(f"媒体文件 {key} 的内容与其 SHA-256 不符（文件已损坏）。")
    return data


def _list_bucket(storage: S3Storage, target: Path) -> int:
    """Keys are content addresses, so each object's SHA-256 is the one its key names."""
    rows = [f"{key}\t{size}\t{key_digest(key)}\n" for key, size in storage.sizes()]
    target.write_text("key\tsize\tsha256\n" + "".join(rows))
    return len(rows)


def _check_bucket(listing: Path, storage: MediaStorage) -> int:
    if not isinstance(storage, S3Storage):
        raise BackupError("这份备份的照片在存储桶里：请先配置同一个存储桶（GUANHU_MEDIA_URL）再恢复。")
    held = dict(storage.sizes())
    lines = listing.read_text().splitlines()[1:]
    missing = [key for key, size, _digest in (line.split("\t") for line in lines) if held.get(key) != int(size)]
    if missing:
        shown = "、".join(missing[:20]) + ("……" if len(missing) > 20 else "")
        raise BackupError(f"存储桶里缺少或大小不符的照片 {len(missing)} 个：{shown}")
    return len(lines)


def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{folder} 不是一份完整的备份（缺少或读不了 {MANIFEST}）。") from None
