"""Reading the .xlsx files people keep (a register, a staff roster): opening them safely, finding
their header among title rows, and reporting each problem as row + column + reason in Chinese."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar, TypeVar
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.orm import Session

from models.assets.fields import text_of
from models.errors import DomainError

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
        return load_workbook(source, read_only=True, data_only=False)
    except (BadZipFile, InvalidFileException, KeyError, ParseError, EOFError):
        raise UnreadableSpreadsheet(NOT_XLSX) from None


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
