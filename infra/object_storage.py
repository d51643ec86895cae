"""The media store in an S3-compatible bucket (MinIO, Ceph RGW, Alibaba OSS, Tencent COS, Huawei
OBS, AWS S3), through boto3.

Writes are atomic from a reader's side: an object appears whole when its PUT succeeds, never
half-written, and since keys are content addresses a key that exists already holds those bytes,
so `put` asks first (HEAD) and uploads only what is missing. Each object carries its SHA-256 in
its metadata (`x-amz-meta-sha256`), and its MD5 goes with the upload so the server refuses bytes
damaged on the way.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from models.storage import KEY, NOT_READABLE, StorageUnavailable, content_key, key_digest

log = logging.getLogger("guanhu.storage")

MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class BucketSettings:
    endpoint_url: str | None = None  # None: AWS itself
    region: str | None = None
    access_key_id: str | None = None  # None: boto3's own chain (environment, instance role)
    secret_access_key: str | None = None
    addressing_style: str = "auto"  # "path" for MinIO and Ceph, "virtual" for OSS
    signature_version: str = "s3v4"
    timeout: float = 10


def parse_media_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` → (bucket, prefix); ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"GUANHU_MEDIA_URL must look like s3://bucket/prefix, not {url!r}")
    return parts.netloc, parts.path.strip("/")


def make_client(settings: BucketSettings):
    config = Config(
        region_name=settings.region,
        signature_version=settings.signature_version,
        s3={"addressing_style": settings.addressing_style},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=settings.timeout,
        read_timeout=settings.timeout,
        max_pool_connections=32,
        # boto3 ≥ 1.36 adds CRC checksums to every upload by default, which several S3-compatible
        # stores refuse; only where the API requires one (we send Content-MD5 ourselves).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        config=config,
    )


class S3Storage:
    """Files as objects `<prefix>/<key>` in one bucket."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def from_url(cls, url: str, settings: BucketSettings) -> S3Storage:
        bucket, prefix = parse_media_url(url)
        return cls(make_client(settings), bucket, prefix)

    def _name(self, key: str) -> str:
        key_digest(key)  # only content keys reach the bucket
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, data: bytes, suffix: str) -> str:
        key = content_key(data, suffix)
        if not self.exists(key):
            self.write(key, data)
        return key

    def write(self, key: str, data: bytes) -> None:
        """Upload `data` as `key`, replacing what is there."""
        with _unavailable_on_failure():
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._name(key),
                Body=data,
                ContentType=mimetypes.guess_type(key)[0] or "application/octet-stream",
                ContentMD5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
            )

    def open(self, key: str) -> BinaryIO:
        with _unavailable_on_failure(NOT_READABLE):
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]

    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def head(self, key: str) -> dict[str, Any] | None:
        """The object's size and metadata, or None when there is no such object."""
        try:
            with _unavailable_on_failure():
                return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except FileNotFoundError:
            return None

    def sizes(self) -> Iterator[tuple[str, int]]:
        """Every stored key with its size in bytes (objects that are not content keys are skipped)."""
        with _unavailable_on_failure(NOT_READABLE):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
            )
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"].removeprefix(f"{self.prefix}/") if self.prefix else item["Key"]
                    if KEY.fullmatch(key):
                        yield key, item["Size"]

    def download_url(self, key: str, filename: str, seconds: int) -> str | None:
        params = {
            "Bucket": self.bucket,
            "Key": self._name(key),
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        }
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)


@contextmanager
def _unavailable_on_failure(message: str | None = None) -> Iterator[None]:
    """A missing object becomes FileNotFoundError; any other failure StorageUnavailable (logged),
    saying `message` (by default: nothing was saved)."""
    unavailable = StorageUnavailable(message) if message else StorageUnavailable()
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in MISSING and error.operation_name in ("GetObject", "HeadObject"):
            raise FileNotFoundError(code) from error
        log.warning("object storage refused %s: %s", error.operation_name, code)
        raise unavailable from error
    except BotoCoreError as error:
        log.warning("object storage unreachable: %s", error)
        raise unavailable from error
