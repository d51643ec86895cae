"""The id that ties a request's log lines together, echoed in the X-Request-Id header."""

from __future__ import annotations

import secrets


def new_request_id(incoming: str) -> str:
    """The proxy's X-Request-Id when it is sane (nginx's $request_id, a UUID), else a new one."""
    sane = incoming.isascii() and incoming.replace("-", "").isalnum() and len(incoming) <= 64
    return incoming if sane else secrets.token_hex(8)
