"""Registers as .xlsx files: the sample a county keeps, and workbooks made on the spot."""

from __future__ import annotations

import io
import zipfile
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


def with_shared_strings(workbook: io.BytesIO, entries: int, *, deflate: bool = True) -> io.BytesIO:
    """`workbook` with its shared strings replaced by `entries` copies of one letter: deflated, a
    decompression bomb a few hundred kilobytes small; stored, merely too many strings."""
    table = b"".join(
        [
            b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main">',
            b"<si><t>a</t></si>" * entries,
            b"</sst>",
        ]
    )
    out = io.BytesIO()
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            if member.filename != "xl/sharedStrings.xml":
                target.writestr(member, source.read(member))
        method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        target.writestr("xl/sharedStrings.xml", table, compress_type=method, compresslevel=9 if deflate else None)
    out.seek(0)
    return out
