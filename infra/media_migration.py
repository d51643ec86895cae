"""Moving a local media folder into an S3-compatible bucket (`guanhu media migrate --to s3://…`).

Resumable: an object already in the bucket whose SHA-256 matches is left alone, so a run cut
short is simply run again. Verified: each local file must hash to the name it is stored under
(a damaged file is reported, not copied), and each copy is read back from the bucket and hashed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from infra.object_storage import S3Storage
from models.storage import LocalStorage, StorageUnavailable, key_digest

DAMAGED = "本地文件内容与文件名的 SHA-256 不符（文件已损坏），没有复制"
MISMATCH = "上传后从存储桶读回的内容 SHA-256 不一致"


@dataclass
class Migration:
    copied: int = 0  # uploaded now, read back and matched
    present: int = 0  # already in the bucket with the same SHA-256
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, why)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def summary(self, source: str, target: str) -> str:
        seen = self.copied + self.present + len(self.failed)
        lines = [
            f"媒体迁移：{source} → {target}",
            f"已处理 {seen} 个文件：新复制并核对 {self.copied} 个，"
            f"存储桶中原已有且 SHA-256 一致 {self.present} 个，失败 {len(self.failed)} 个。",
        ]
        lines += [f"  失败 {key}：{why}" for key, why in self.failed]
        if self.interrupted:
            lines.append("中断：存储桶连不上。再次运行同一命令会接着迁移，已核对的文件不会重复上传。")
        elif self.failed:
            lines.append("有文件没有迁移，请处理上面列出的问题后再次运行。")
        else:
            lines.append("全部迁移完成，每个文件都已按 SHA-256 核对。")
        return "\n".join(lines)


def migrate(source: LocalStorage, target: S3Storage, progress: Callable[[int], None] = lambda _n: None) -> Migration:
    """Copy every file of `source` into `target`; stops (interrupted) when the bucket is unreachable."""
    result = Migration()
    for done, key in enumerate(source.keys(), start=1):
        try:
            _copy(source, target, key, result)
        except StorageUnavailable:
            result.interrupted = True
            break
        progress(done)
    return result


def _copy(source: LocalStorage, target: S3Storage, key: str, result: Migration) -> None:
    with source.open(key) as handle:
        data = handle.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != key_digest(key):
        result.failed.append((key, DAMAGED))
    elif _holds(target, key, digest, len(data)):
        result.present += 1
    else:
        target.write(key, data)
        if _stored_digest(target, key) == digest:
            result.copied += 1
        else:
            result.failed.append((key, MISMATCH))


def _holds(target: S3Storage, key: str, digest: str, size: int) -> bool:
    """Whether the bucket has `key` with these bytes: by the SHA-256 we wrote in its metadata
    when it has one, else by reading it back (an object copied there by another tool)."""
    head = target.head(key)
    if head is None or head["ContentLength"] != size:
        return False
    recorded = head.get("Metadata", {}).get("sha256")
    return recorded == digest if recorded else _stored_digest(target, key) == digest


def _stored_digest(target: S3Storage, key: str) -> str:
    digest = hashlib.sha256()
    with target.open(key) as stored:
        for chunk in iter(lambda: stored.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
