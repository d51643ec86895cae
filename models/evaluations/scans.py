"""The scan of the stamped paper a supervisor may attach to a signature: a PDF or a JPEG."""

from __future__ import annotations

from models.errors import Invalid
from models.storage import MediaStorage

MAX_SCAN_BYTES = 10 * 1024 * 1024
SIGNATURES = ((b"%PDF-", ".pdf"), (b"\xff\xd8\xff", ".jpg"))


def store_scan(storage: MediaStorage, data: bytes | None) -> str | None:
    """Store the scan and return its key (None when no file was given)."""
    if not data:
        return None
    if len(data) > MAX_SCAN_BYTES:
        raise Invalid({"scan": f"扫描件不能超过{MAX_SCAN_BYTES // 1024 // 1024}MB。"})
    suffix = next((suffix for magic, suffix in SIGNATURES if data.startswith(magic)), None)
    if suffix is None:
        raise Invalid({"scan": "扫描件应为PDF或JPEG文件。"})
    return storage.put(data, suffix)
