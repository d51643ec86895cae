"""The embedded database's engine: a SQLite file with foreign keys, a write-ahead log, and that
log copied back in large steps (bench/README.md, WeChat endpoint)."""

from __future__ import annotations

from models.db import make_engine


def test_a_sqlite_file_gets_foreign_keys_wal_and_large_checkpoints(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/guanhu.sqlite3")
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "journal_mode", "synchronous", "wal_autocheckpoint")
        }
    engine.dispose()
    assert pragma == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 1, "wal_autocheckpoint": 4000}
