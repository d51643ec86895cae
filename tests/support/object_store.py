"""A real S3-protocol server on loopback for the tests: moto's standalone server in a process of
its own (HTTP, SigV4, the S3 XML API), one per run, a fresh bucket per test."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from infra.object_storage import BucketSettings, make_client
from tests.support.processes import answering, free_port


@contextmanager
def s3_server() -> Iterator[str]:
    """Start moto's S3 server on a free loopback port; yield its endpoint URL; stop it."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with answering([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], endpoint, seconds=30):
        yield endpoint


def bucket_config(endpoint: str, bucket: str, prefix: str = "media") -> dict:
    """App settings that put media into `bucket` on the test server."""
    return {
        "MEDIA_URL": f"s3://{bucket}/{prefix}",
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "guanhu-test",
        "S3_SECRET_ACCESS_KEY": "guanhu-test-secret",
        "S3_ADDRESSING_STYLE": "path",
    }


def settings(endpoint: str) -> BucketSettings:
    config = bucket_config(endpoint, "unused")
    return BucketSettings(
        endpoint_url=endpoint,
        region=config["S3_REGION"],
        access_key_id=config["S3_ACCESS_KEY_ID"],
        secret_access_key=config["S3_SECRET_ACCESS_KEY"],
        addressing_style="path",
    )


def new_bucket(endpoint: str) -> SimpleNamespace:
    """A bucket of the test's own; `client` is a plain boto3 client to look inside it."""
    client = make_client(settings(endpoint))
    name = f"guanhu-{secrets.token_hex(6)}"
    client.create_bucket(Bucket=name)
    return SimpleNamespace(name=name, client=client, config=bucket_config(endpoint, name), endpoint=endpoint)
