"""Fixtures the complaint tests share."""

from __future__ import annotations

import pytest

from models.storage import LocalStorage


@pytest.fixture
def storage(tmp_path):
    """Where the complaints' photos go."""
    return LocalStorage(tmp_path / "media")
