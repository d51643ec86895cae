"""`guanhu evaluation …`: the yearly evaluation for scripts."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from infra.clock import now, timezone
from infra.database import db_session, unit_of_work
from models.errors import DomainError
from models.evaluations.entities import Stage
from models.evaluations.proposals import as_json, propose
from models.regions import village_named

evaluation_group = AppGroup("evaluation", help="The yearly performance evaluation (绩效评价).")


@evaluation_group.command("propose")
@click.option("--village", required=True, help="村名，如 石桥村")
@click.option("--year", required=True, type=int, help="年度，如 2026")
@click.option("--district", help="区县名（村名在多个区县重名时）")
@click.option("--midyear", is_flag=True, help="年中自查（默认年终自评）")
def propose_command(village: str, year: int, district: str | None, midyear: bool) -> None:
    """Print the village's proposed scores and their evidence as JSON."""
    session = db_session()
    try:
        found = village_named(session, village, district)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    stage = Stage.SELF_CHECK if midyear else Stage.SELF_EVALUATION
    proposals = propose(session, found, year, stage, now(), timezone())
    unit_of_work().commit()  # the district's sheets for the year, made when first needed
    click.echo(json.dumps(as_json(found, year, proposals), ensure_ascii=False, indent=2))
