"""Import of the staff roster a town keeps (姓名, 手机号, 角色, 镇, 村) from .xlsx.

The header may sit under title rows; 序号, 备注 and columns we do not know are passed over. Every
problem is reported as row + column + reason, as the register import does. Nothing is imported
unless every row is valid, or with `valid_only=True` the valid rows are. A row whose phone already
has the very same account counts as unchanged, so importing the same file again changes nothing.
Each new account gets a one-time link to set its password, to be given to its owner.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.access import managed_roles, region_in_scope
from models.assets.fields import text_of
from models.errors import Forbidden
from models.people import Role, User, VillagePost, account_problems
from models.regions import Region, RegionLevel
from models.spreadsheets import (
    FORMULA_REFUSED,
    RowError,
    SpreadsheetReport,
    UnreadableSpreadsheet,
    import_all_or_nothing,
    is_formula,
    is_signature,
    normalize_label,
    open_workbook,
)
from models.staff.operations import IssuedLink, StaffDetails, create_staff

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 20

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "电话"),
    "role": ("角色", "岗位", "职务"),
    "town": ("镇", "乡镇", "乡（镇）", "镇（街道）", "乡镇（街道）", "所在乡镇"),
    "village": ("村", "行政村", "村（社区）", "村（居）", "所在村"),
}
REQUIRED = ("name", "phone", "role", "town")
LABELS = {name: aliases[0] for name, aliases in COLUMNS.items()}
ALIASES = {normalize_label(alias): name for name, aliases in COLUMNS.items() for alias in aliases}

# What rosters write in 角色, beside our own labels; a village post names its role too.
ROLE_WORDS: dict[str, tuple[Role, VillagePost | None]] = {
    "村委干部": (Role.VILLAGE_CLERK, None),
    "村两委干部": (Role.VILLAGE_CLERK, None),
    "监督员": (Role.VILLAGE_SUPERVISOR, None),
    "管护责任人": (Role.CUSTODIAN, None),
    "乡镇干部": (Role.TOWN_OFFICIAL, None),
    **{post.label: (Role.VILLAGE_SUPERVISOR, post) for post in VillagePost},
}
ROSTER_ROLES = (Role.TOWN_OFFICIAL, Role.VILLAGE_CLERK, Role.VILLAGE_SUPERVISOR, Role.CUSTODIAN)


@dataclass
class RosterReport(SpreadsheetReport):
    created: list[IssuedLink] = field(default_factory=list)
    unchanged: int = 0
    THINGS: ClassVar[str] = "账号"

    def counts(self) -> str:
        return f"新增{len(self.created)}个账号，{self.unchanged}个已有相同账号未变"


def role_of(text: str) -> tuple[Role, VillagePost | None] | None:
    """The role (and village post) a roster's 角色 cell names, or None."""
    words = normalize_label(text)
    if words in ROLE_WORDS:
        return ROLE_WORDS[words]
    role = Role.from_label(words)
    return (role, None) if role in ROSTER_ROLES else None


def import_roster(
    session: Session,
    actor: User,
    source: str | os.PathLike | IO[bytes],
    now: dt.datetime,
    *,
    valid_only: bool = False,
    max_bytes: int = MAX_BYTES,
) -> RosterReport:
    """Import the roster in `source` as accounts `actor` manages; see the module docstring."""
    if not managed_roles(actor):
        raise Forbidden("只有区乡村振兴局和乡镇工作专班可以导入人员。")
    roster = _Roster(session, actor, now, valid_only)
    return import_all_or_nothing(session, open_workbook(source, max_bytes), roster.run)


class _Roster:
    def __init__(self, session: Session, actor: User, now: dt.datetime, valid_only: bool):
        self.session, self.actor, self.now, self.valid_only = session, actor, now, valid_only
        self.report = RosterReport()
        district_id = actor.region.own_district_id
        self.regions = {
            (region.parent.name if region.level is RegionLevel.VILLAGE else region.name, _village_name(region)): region
            for region in session.scalars(select(Region).where(Region.district_id == district_id))
        }
        self.phones: dict[str, int] = {}  # phone → first row with it
        self.posts: dict[tuple[int, VillagePost], int] = {}  # (village, post) → first row holding it

    def run(self, workbook) -> RosterReport:
        for sheet in workbook.worksheets:
            found = self._find_header(sheet)
            if found:
                break
        else:
            raise UnreadableSpreadsheet(
                f"没有找到表头：各工作表的前{HEADER_SEARCH_ROWS}行中，没有一行同时包含「姓名」「手机号」「角色」「镇」。"
            )
        columns, rows = found
        for number, raw, formulas in self._rows(rows, columns):
            self._import_row(number, raw, formulas)
        if self.report.errors and not self.valid_only:
            self.report.refused, self.report.created = True, []
        return self.report

    def _find_header(self, sheet) -> tuple[dict[str, int], Iterator] | None:
        rows = enumerate(sheet.iter_rows(), start=1)
        for number, row in rows:
            if number > HEADER_SEARCH_ROWS:
                return None
            columns: dict[str, int] = {}
            for index, label in enumerate(row):
                name = ALIASES.get(normalize_label(label.value))
                if name and name not in columns:
                    columns[name] = index
            if {"name", "phone"} <= columns.keys():
                missing = [LABELS[name] for name in REQUIRED if name not in columns]
                if missing:
                    raise UnreadableSpreadsheet("表头缺少必填的列：" + "、".join(missing) + "。")
                self.report.notes.append(f"读取工作表「{sheet.title}」，表头在第{number}行。")
                return columns, rows
        return None

    def _rows(self, rows: Iterator, columns: dict[str, int]) -> Iterator[tuple[int, dict[str, str], dict[str, str]]]:
        """(row number, text by column, formula reasons by column) of each person's row."""
        for number, row in rows:
            filled = [cell.value for cell in row if cell.value is not None and text_of(cell.value) != ""]
            if not filled or is_signature(filled):
                continue
            self.report.rows += 1
            if self.report.rows > MAX_ROWS:
                raise UnreadableSpreadsheet(f"一次最多导入{MAX_ROWS}行，请把名单分成几个文件。")
            cells = {name: row[index] if index < len(row) else None for name, index in columns.items()}
            formulas = {name: FORMULA_REFUSED for name, cell in cells.items() if is_formula(cell)}
            raw = {name: "" if name in formulas else text_of(cell and cell.value) for name, cell in cells.items()}
            yield number, raw, formulas

    def _import_row(self, number: int, raw: dict[str, str], formulas: dict[str, str]) -> None:
        if formulas:
            for name, reason in formulas.items():
                self.report.errors.append(RowError(number, LABELS[name], reason))
            return
        reasons: dict[str, str] = {}
        details = self._details(raw, reasons)
        already_there = details is not None and self._check(number, details, reasons)
        for name, reason in reasons.items():
            self.report.errors.append(RowError(number, LABELS[name], reason))
        if details is None or reasons:
            return
        if already_there:
            self.report.unchanged += 1
        elif self.valid_only or not self.report.errors:  # a refused import keeps checking, stops writing
            self.report.created.append(create_staff(self.session, self.actor, details, self.now))

    def _details(self, raw: dict[str, str], reasons: dict[str, str]) -> StaffDetails | None:
        found_role = role_of(raw["role"]) if raw["role"] else None
        if found_role is None:
            known = "、".join(role.label for role in ROSTER_ROLES)
            reasons["role"] = f"应填{known}之一" if raw["role"] else "不能为空"
            return None
        role, post = found_role
        village = raw.get("village", "")
        if role.region_level is RegionLevel.VILLAGE and not village:
            reasons["village"] = f"{role.label}须填写所在村"
            return None
        if role.region_level is RegionLevel.TOWN and village:
            reasons["village"] = f"{role.label}是乡镇的账号，村一栏应空着"
            return None
        region = self.regions.get((raw["town"], village if role.region_level is RegionLevel.VILLAGE else ""))
        if region is None:
            reasons["village" if village else "town"] = f"系统中没有「{raw['town']}{village}」"
            return None
        phone = re.sub(r"[\s-]", "", raw["phone"])  # 139 0000 0001, 139-0000-0001
        return StaffDetails(name=raw["name"], phone=phone, role=role, region=region, village_post=post)

    def _check(self, number: int, details: StaffDetails, reasons: dict[str, str]) -> bool:
        """Puts what is wrong with the row into `reasons`; True when its account exists already."""
        if not region_in_scope(self.actor, details.region):
            reasons["town"] = "不在您管辖的范围内"
            return False
        if details.role not in managed_roles(self.actor):
            reasons["role"] = f"您不能设置{details.role.label}账号"
            return False
        if details.phone in self.phones:
            reasons["phone"] = f"与第{self.phones[details.phone]}行的手机号重复"
            return False
        self.phones[details.phone] = number
        existing = self.session.scalar(select(User).where(User.phone == details.phone))
        if existing is not None:
            if not _same_account(existing, details):
                place = existing.region.full_name or existing.region.name
                reasons["phone"] = (
                    f"已有账号：{existing.name}（{existing.role.label}，{place}）；如需修改请在人员管理中编辑"
                )
            return True
        problems = account_problems(
            self.session,
            phone=details.phone,
            name=details.name,
            role=details.role,
            region=details.region,
            department=None,
            village_post=details.village_post,
        )
        for name, reason in problems.items():
            reasons.setdefault(_column_of(name), reason.rstrip("。"))
        if details.village_post is not None:
            held = (details.region.id, details.village_post)
            if held in self.posts:
                reasons.setdefault("role", f"与第{self.posts[held]}行都是本村的{details.village_post.label}")
            self.posts.setdefault(held, number)
        return False


def _village_name(region: Region) -> str:
    return region.name if region.level is RegionLevel.VILLAGE else ""


def _column_of(problem: str) -> str:
    """The roster column an account problem (models.people.account_problems) belongs to."""
    return {"phone": "phone", "name": "name", "region": "village"}.get(problem, "role")


def _same_account(user: User, details: StaffDetails) -> bool:
    return (user.name, user.role, user.region_id, user.village_post) == (
        details.name.strip(),
        details.role,
        details.region.id,
        details.village_post,
    )
