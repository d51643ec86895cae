"""Where files live: one small interface, a local directory by default (an S3-compatible bucket
in production: infra/object_storage.py).

Files are content-addressed (named by their SHA-256), so the same bytes are stored once and no
name a user chose ever reaches the file system. Nothing here serves files to the public: pages
serve them through a random token on the row that owns them. A file is stored before the row
that names it is committed, so a failed store leaves no row pointing at a missing file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from models.errors import DomainError


class MediaStorage(Protocol):
    def put(self, data: bytes, suffix: str) -> str:
        """Store `data`; return its key. Storing the same bytes again returns the same key."""

    def open(self, key: str) -> BinaryIO:
        """The stored file, to read once; raises FileNotFoundError when there is none."""

    def exists(self, key: str) -> bool: ...

    def download_url(self, key: str, filename: str, seconds: int) -> str | None:
        """An address that serves the file directly for `seconds`, or None when only the app can."""


class StorageUnavailable(DomainError):
    """The store cannot be reached or refused a write: nothing was saved, the sender may retry."""

    status = 503

    def __init__(self, message: str = "文件存储暂时连不上，这次没有保存，请稍后再试。"):
        super().__init__(message)


NOT_READABLE = "文件存储暂时连不上，照片暂时打不开，请稍后再试。"  # StorageUnavailable while reading


SUFFIXES = {".jpg", ".png", ".webp", ".heic", ".pdf", ".xlsx", ".bin"}
KEY = re.compile(r"(?P<fan>[0-9a-f]{2})/(?P<digest>[0-9a-f]{64})(?P<suffix>\.[a-z]+)")


def content_key(data: bytes, suffix: str) -> str:
    if suffix not in SUFFIXES:
        raise ValueError(f"unsupported suffix {suffix!r}")
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest}{suffix}"


def key_digest(key: str) -> str:
    """The SHA-256 a content key names; ValueError for anything that is not such a key."""
    match = KEY.fullmatch(key)
    if match is None or match["suffix"] not in SUFFIXES or not match["digest"].startswith(match["fan"]):
        raise ValueError(f"not a content key: {key[:80]!r}")
    return match["digest"]


class LocalStorage:
    """Files under a root directory, written atomically (temp file + rename)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("key outside the storage root")
        return path

    def put(self, data: bytes, suffix: str) -> str:
        key = content_key(data, suffix)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def download_url(self, key: str, filename: str, seconds: int) -> str | None:
        return None

    def keys(self) -> Iterator[str]:
        """Every stored key, in a stable order (files half-written by `put` are not keys)."""
        for path in sorted(self.root.glob("??/*")):
            key = path.relative_to(self.root).as_posix()
            if KEY.fullmatch(key):
                yield key
