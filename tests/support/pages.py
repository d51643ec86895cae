"""Using the staff pages as a browser does: read the CSRF token a page hands out, sign in."""

from __future__ import annotations

import re
from html.parser import HTMLParser

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a page hands out, read from its HTML as a browser would."""
    page = client.get(path)
    match = CSRF_FIELD.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, user, password: str = "password-123") -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"phone": user.phone, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(page: str) -> str:
    """A page's text as a reader sees it: no tags, attributes or hidden form values (a CSRF token is
    random letters and digits, so a short code asserted absent could otherwise turn up inside one)."""
    parser = _TextOnly()
    parser.feed(page)
    return " ".join(parser.parts)
