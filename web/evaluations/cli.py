"""`guanhu evaluation …`: the yearly evaluation for scripts."""

from __future__ import annotations

import json
from collections.abc import Callable

import click
from flask.cli import AppGroup

from infra.clock import now, timezone, today
from infra.database import db_session, unit_of_work
from models.errors import DomainError
from models.evaluations.bulletin import bulletin
from models.evaluations.entities import Stage
from models.evaluations.proposals import as_json, propose
from models.evaluations.report_pdf import print_bulletin, print_report
from models.evaluations.report_xlsx import write_bulletin, write_report
from models.evaluations.reports import district_report, town_report, village_report
from models.regions import district_named, find_child, village_named

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


@evaluation_group.command("report")
@click.option("--district", help="区县名（只有一个区县时可省略）")
@click.option("--year", required=True, type=int, help="年度，如 2026")
@click.option("--town", help="只出这个镇（乡）的自评材料")
@click.option("--village", help="只出这个村的评价")
@click.option("--bulletin", "as_bulletin", is_flag=True, help="出区级通报（评定结果的好、较差名单）")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def report_command(
    district: str | None, year: int, town: str | None, village: str | None, as_bulletin: bool, out: str
) -> None:
    """Write the evaluation's report as OUT.xlsx or OUT.pdf: every village's items, scores and grade
    (or, with --bulletin, the district's 通报 of the rating)."""
    session = db_session()
    suffix = out.rsplit(".", 1)[-1].lower() if "." in out else ""
    if suffix not in ("xlsx", "pdf"):
        raise click.ClickException("输出文件须以 .xlsx 或 .pdf 结尾。")
    try:
        found = district_named(session, district)
        if as_bulletin:
            notice = bulletin(session, found, year, today())
            _write(out, suffix, lambda: print_bulletin(notice), lambda: write_bulletin(notice, out))
            click.echo(f"已写入 {out}：{notice.title}。")
            return
        region = find_child(session, found, town) if town else None
        if town and region is None:
            raise click.ClickException(f"{found.name}没有镇（乡）「{town}」。")
        if village:
            report = village_report(session, village_named(session, village, found.name), year)
        elif region is not None:
            report = town_report(session, region, year)
        else:
            report = district_report(session, found, year, items=suffix == "xlsx")
    except DomainError as error:
        raise click.ClickException(error.message) from None
    _write(out, suffix, lambda: print_report(report), lambda: write_report(report, out))
    click.echo(f"已写入 {out}：{report.title}，{len(report.villages)}个村。")


def _write(out: str, suffix: str, printed: Callable[[], bytes], written: Callable[[], None]) -> None:
    """OUT as the PDF `printed` makes, or the .xlsx `written` writes there."""
    if suffix == "pdf":
        with open(out, "wb") as target:
            target.write(printed())
    else:
        written()
