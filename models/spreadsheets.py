"""The .xlsx files people keep (a register, a staff roster): opening them safely, finding their
header among title rows, reporting each problem as row + column + reason in Chinese, and writing
rows whose text can never run as a formula.

Formulas, both ways. Every export writes each text as a string cell (never a formula, whatever it
begins with) and marks text beginning with = + - @ tab or CR with Excel's quote prefix (the cell
shows 'text), so that editing the cell does not turn it into a formula either. An import refuses a
cell holding a formula, row and column named: we would keep its source (=HYPERLINK(…)), not a value.
Text that merely begins with those characters is imported as it is: a dash for "none", +86 before
a phone number and a negative amount are real data, and nothing we show or export runs it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar, TypeVar
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.orm import Session

from models.assets.fields import text_of
from models.errors import DomainError
from models.xlsx_safety import SpreadsheetTooBig, check_archive

R = TypeVar("R", bound="SpreadsheetReport")
NOT_XLSX = (
    "这不是有效的 .xlsx 文件。如果是 .xls、.et 或 .csv 文件，请在表格软件中“另存为”Excel 工作簿（.xlsx）后再导入。"
)

# Lines under a table that name who filled it in, not a row of data.
SIGNATURE = re.compile(
    r"^(填表人|填报人|制表人|审核人|审批人|负责人|单位负责人|分管领导|联系人|填报日期|填表日期|日期)[:：]"
)


class UnreadableSpreadsheet(DomainError):
    """The file as a whole cannot be imported (not .xlsx, too big, no header …)."""

    status = 422


class OversizedSpreadsheet(UnreadableSpreadsheet):
    """The archive inflates far beyond any real workbook (a decompression bomb)."""

    status = 413


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it
    column: str  # the header as the file shows it
    reason: str


@dataclass
class SpreadsheetReport:
    """What an import read, did and found wrong; nothing was imported when it was `refused`."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: bool = False
    THINGS: ClassVar[str] = "内容"  # what the import makes, as the summary names it

    def counts(self) -> str:
        """What was made or changed, in words (each import says its own)."""
        raise NotImplementedError

    @property
    def summary(self) -> str:
        if self.refused:
            return f"共读取{self.rows}行，发现{len(self.errors)}处问题，未导入任何{self.THINGS}。请修改后重新导入。"
        text = f"共读取{self.rows}行：{self.counts()}。"
        if self.errors:
            text += f"另有{len(self.errors)}处问题，相应的行未导入。"
        return text


def open_workbook(source: str | os.PathLike | IO[bytes], max_bytes: int):
    """The workbook in `source`, opened to be streamed (read-only); refused when too big or not .xlsx."""
    if isinstance(source, str | os.PathLike):
        size = os.stat(source).st_size
    else:
        size = source.seek(0, os.SEEK_END)
        source.seek(0)
    if size > max_bytes:
        raise UnreadableSpreadsheet(
            f"文件有{size / 1024 / 1024:.1f} MB，超过了{max_bytes // (1024 * 1024)} MB 的上限。"
            "请删去多余的工作表、图片，或把表格分成几个文件导入。"
        )
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as file:
                check_archive(file)
        else:
            check_archive(source)
        return load_workbook(source, read_only=True, data_only=False)
    except SpreadsheetTooBig as error:
        raise OversizedSpreadsheet(str(error)) from None
    except (BadZipFile, InvalidFileException, KeyError, ParseError, EOFError):
        raise UnreadableSpreadsheet(NOT_XLSX) from None


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_REFUSED = "是公式，请在表格软件中复制后“选择性粘贴为数值”再导入"


def inert_cell(sheet: Any, value: Any) -> Any:
    """`value` as an export writes it: text as a string cell, quote-prefixed when it begins like a
    formula; numbers, dates and None as they are."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would make "=…" a formula and "#N/A" an error
    if value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def is_formula(cell: Any) -> bool:
    """Whether an imported cell holds a formula (refused with FORMULA_REFUSED)."""
    return cell is not None and cell.data_type == "f"


def import_all_or_nothing(session: Session, workbook: Any, read: Callable[[Any], R]) -> R:
    """`read(workbook)` inside a savepoint, kept only when its report is not `refused`. A file whose
    inside turns out broken while it is streamed is refused as not .xlsx; the workbook is closed."""
    savepoint = session.begin_nested()
    try:
        report = read(workbook)
    except (BadZipFile, ParseError, EOFError):
        savepoint.rollback()
        raise UnreadableSpreadsheet(NOT_XLSX) from None
    except BaseException:
        savepoint.rollback()
        raise
    finally:
        workbook.close()
    if report.refused:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report


def normalize_label(label: Any) -> str:
    """A header cell as compared with the names we know: no spaces, no leading *, full-width brackets."""
    text = re.sub(r"\s+", "", text_of(label)).lstrip("*")
    return text.replace("(", "（").replace(")", "）")


def is_signature(values: list[Any]) -> bool:
    """Whether a row's filled cells are all signature lines (填表人：… 日期：…)."""
    return all(SIGNATURE.match(text_of(value)) for value in values)
