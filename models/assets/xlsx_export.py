"""Export of the register (台账) as .xlsx: one header row of Chinese labels, values as people type
them, rows streamed from a server-side query into a write-only workbook so memory stays flat."""

from __future__ import annotations

from decimal import Decimal
from itertools import groupby
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models.assets.entities import Asset, AssetFunding, AssetSubtype
from models.assets.fields import FIELD_LABELS, FIELDS
from models.assets.operations import PLAIN_FIELDS, funding_text, shown_value
from models.assets.queries import RegisterFilter, matching_assets
from models.people import User
from models.regions import Region, RegionLevel
from models.spreadsheets import inert_cell

SHEET_TITLE = "资产台账"


LOCATION_LABELS = {"town": "镇（乡）", "village": "村（社区）"}


# Column order of our export: the code, where the asset is, then the fields in form order.
COLUMNS: list[str] = [FIELDS[0].name, "town", "village"] + [field.name for field in FIELDS[1:]]


COLUMN_LABELS: dict[str, str] = {**FIELD_LABELS, **LOCATION_LABELS}


# Written as numbers so that Excel can sum them; everything else is written as text.
NUMERIC = {
    "project_year",
    "original_value",
    "latitude",
    "longitude",
    "beneficiary_households",
    "beneficiary_poor_households",
}


BATCH = 2000


def export_query(actor: User | None, district: Region, wanted: RegisterFilter | None = None) -> Select:
    """The assets to export: those the actor may see (and the filter picks), or the district's."""
    if actor is None:
        return select(Asset).where(Asset.district_id == district.id)
    return matching_assets(actor, wanted or RegisterFilter())


def _cell(name: str, value: Any) -> Any:
    if value is None or name not in NUMERIC:
        return value
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _header(sheet) -> list[WriteOnlyCell]:
    bold = Font(bold=True)
    cells = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=COLUMN_LABELS[name])
        cell.font = bold
        cells.append(cell)
    return cells


def export_register(session: Session, query: Select, district: Region, target: str | IO[bytes]) -> int:
    """Write the assets `query` selects (see export_query) to `target`; returns how many."""
    villages = {
        v.id: v
        for v in session.scalars(
            select(Region).where(Region.district_id == district.id, Region.level == RegionLevel.VILLAGE)
        )
    }
    subtypes = {s.id: s.name for s in session.scalars(select(AssetSubtype))}
    # One streamed query: each asset's columns, repeated once per funding line (outer join).
    rows = session.execute(
        query.with_only_columns(
            Asset.id,
            Asset.subtype_id,
            Asset.village_id,
            *(getattr(Asset, name) for name in PLAIN_FIELDS),
            AssetFunding.source,
            AssetFunding.amount,
        )
        .outerjoin(AssetFunding)
        .order_by(Asset.code, Asset.id, AssetFunding.position)
        .execution_options(yield_per=BATCH)
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.append(_header(sheet))
    count = 0
    for _asset_id, group in groupby(rows, key=lambda row: row.id):
        lines = list(group)
        first = lines[0]
        village = villages[first.village_id]
        values = {name: shown_value(name, getattr(first, name)) for name in PLAIN_FIELDS}
        values.update(
            town=village.parent.name,
            village=village.name,
            subtype=subtypes[first.subtype_id],
            fundings=funding_text((line.source, line.amount) for line in lines if line.source is not None),
        )
        sheet.append([inert_cell(sheet, _cell(name, values[name])) for name in COLUMNS])
        count += 1
    workbook.save(target)
    return count
