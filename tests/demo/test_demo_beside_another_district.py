"""Loading the demo county into a database that already holds another district."""

from __future__ import annotations

from sqlalchemy import func, select

from models.assets.entities import Asset
from models.regions import Region
from web.cli import cli


def load(runner, *args: str):
    return runner.invoke(cli, ["demo", "load", *args])


def count(session, model, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_demo_load_if_empty_leaves_a_database_with_another_district_alone(runner, session, build):
    build.county("别的区")
    result = load(runner, "--if-empty")
    assert result.exit_code == 0, result.output
    assert "13900000001" not in result.output
    assert count(session, Asset) == 0
    assert count(session, Region, Region.name == "示范区") == 0
