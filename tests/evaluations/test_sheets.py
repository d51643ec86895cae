"""Score sheets and grade bands as data: seeded from seed 000, a new year copied from the last."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.assets.entities import AssetClass
from models.evaluations.entities import Grade
from models.evaluations.sheets import DEFAULT_BANDS, ensure_bands, ensure_sheets, even_points, grade_for


def test_a_districts_first_sheets_hold_the_seeds_eight_items_each_summing_to_100(session, county, clock):
    sheets = ensure_sheets(session, county.district, 2026, clock.now())
    assert set(sheets) == {AssetClass.PUBLIC_BENEFIT, AssetClass.OPERATING}  # 到户类 is not evaluated
    for sheet in sheets.values():
        assert len(sheet.items) == 8 and sheet.total == Decimal(100)
        assert [item.position for item in sheet.items] == list(range(1, 9))
        assert {item.points for item in sheet.items} == {Decimal("12.5")}
    public = sheets[AssetClass.PUBLIC_BENEFIT].items
    assert public[0].text == "明确村级组织管护主体责任" and public[0].rule == "custodian_coverage"
    assert public[7].parameters == {"deduction": "2"}
    assert ensure_sheets(session, county.district, 2026, clock.now()) == sheets  # made once


def test_a_new_year_starts_as_a_copy_of_the_last(session, county, clock):
    old = ensure_sheets(session, county.district, 2024, clock.now())[AssetClass.PUBLIC_BENEFIT]
    old.items[0].text, old.items[0].points, old.items[1].points = "管护主体明确", Decimal("20"), Decimal("5")
    new = ensure_sheets(session, county.district, 2026, clock.now())[AssetClass.PUBLIC_BENEFIT]
    assert new.id != old.id and new.items[0].id != old.items[0].id
    assert (new.items[0].text, new.items[0].points, new.total) == ("管护主体明确", Decimal("20"), Decimal(100))


def test_grade_bands_are_data_per_district_and_year(session, county):
    assert ensure_bands(session, county.district, 2025) == DEFAULT_BANDS
    changed = {**DEFAULT_BANDS, Grade.EXCELLENT: Decimal(95)}
    assert grade_for(Decimal("92"), changed) is Grade.GOOD and grade_for(Decimal("92")) is Grade.EXCELLENT


@pytest.mark.parametrize(("count", "points"), [(8, ["12.5"] * 8), (3, ["33.4", "33.3", "33.3"]), (0, [])])
def test_points_split_evenly_to_100(count, points):
    assert even_points(count) == [Decimal(p) for p in points]
