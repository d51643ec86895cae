"""`guanhu evaluation propose` prints the proposed scores in the issue's JSON shape."""

from __future__ import annotations

import json

from web.cli import cli


def test_propose_prints_each_sheet_of_the_villages_classes_with_items_and_evidence(runner, session, county, build):
    road = build.asset(county.villages["石桥村"])
    road.custodian_name = ""
    session.flush()
    result = runner.invoke(cli, ["evaluation", "propose", "--village", "石桥村", "--year", "2026"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["village"], shown["year"]) == ("青山镇石桥村", 2026)
    [sheet] = shown["sheets"]  # only public-benefit assets: only that sheet
    assert sheet["asset_class"] == "public_benefit" and len(sheet["items"]) == 8
    first = sheet["items"][0]
    assert set(first) == {"text", "points", "proposed", "rule", "evidence"}
    assert (first["text"], first["points"], first["proposed"]) == ("明确村级组织管护主体责任", 12.5, 0.0)
    assert first["evidence"][1] == {"label": "未明确", "count": 1, "kind": "asset", "ids": [road.id]}
    assert sheet["items"][3]["proposed"] is None  # 落实管护经费: no evidence, scored by hand


def test_propose_names_an_unknown_village(runner, county):
    result = runner.invoke(cli, ["evaluation", "propose", "--village", "无此村", "--year", "2026"])
    assert result.exit_code == 1 and "无此村" in result.output
