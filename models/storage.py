"""Where files live: one small interface, a local directory by default.

Files are content-addressed (named by their SHA-256), so the same bytes are stored once and no
name a user chose ever reaches the file system. Nothing here serves files to the public: pages
serve them through a random token on the row that owns them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol


class MediaStorage(Protocol):
    def put(self, data: bytes, suffix: str) -> str:
        """Store `data`; return its key. Storing the same bytes again returns the same key."""

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...


SUFFIXES = {".jpg", ".png", ".webp", ".heic", ".pdf", ".xlsx", ".bin"}


def content_key(data: bytes, suffix: str) -> str:
    if suffix not in SUFFIXES:
        raise ValueError(f"unsupported suffix {suffix!r}")
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest}{suffix}"


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
