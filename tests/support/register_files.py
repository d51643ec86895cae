"""Registers as .xlsx files: the sample a county keeps, and workbooks made on the spot."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook

from models.assets.xlsx_export import COLUMN_LABELS, COLUMNS

SAMPLE = Path(__file__).parents[1] / "fixtures" / "county-register.xlsx"


def workbook_bytes(rows: list[list], header: list[str] | None = None) -> io.BytesIO:
    """An .xlsx with our export's header (or `header`) and `rows` under it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or [COLUMN_LABELS[name] for name in COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def register_row(build, **overrides) -> list:
    """One valid row in our export's column order (town 青山镇, village 石桥村)."""
    raw = {"town": "青山镇", "village": "石桥村", **build.raw_asset()}
    raw.update(overrides)
    return [raw.get(name) for name in COLUMNS]
