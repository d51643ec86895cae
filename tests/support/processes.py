"""Servers the tests start as processes of their own, on free loopback ports."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def answering(command: list[str], url: str, *, env: dict | None = None, seconds: float = 60) -> Iterator[None]:
    """Start `command`; return once `url` answers (any status); stop it afterwards."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                requests.get(url, timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start: {' '.join(command)}") from None
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(30)
