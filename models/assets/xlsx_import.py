"""Import of a register (台账) from .xlsx: our own export, or the shape counties keep today
(title rows, a two-row merged header, 序号, a 合计 row and signature lines at the bottom).

The file is streamed (openpyxl read-only) in batches. Every row is parsed by the one parser of
asset fields; every problem is reported as row + column + reason. By default nothing is imported
unless every row is valid; `valid_only=True` imports the valid rows. Assets are matched by code
within the district, so importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import IO, Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.access import (
    region_in_scope,
    require_can_place,
    require_register_editor,
    visible_assets,
)
from models.assets.entities import Asset, AssetSubtype
from models.assets.fields import FIELDS, FieldError, parse_asset_fields, parse_code, text_of
from models.assets.operations import code_in, create_assets, snapshot, update_asset
from models.assets.xlsx_export import COLUMN_LABELS
from models.errors import Forbidden
from models.people import Role, User
from models.regions import Region, RegionLevel, add_region
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

UnreadableRegister = UnreadableSpreadsheet  # the name the register's callers know it by

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


MAX_ROWS = 200_000


HEADER_SEARCH_ROWS = 20


BATCH = 1000


# Other names counties give our columns (compared after _normalize).
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("编号", "资产编码", "资产代码"),
    "town": ("镇", "乡镇", "乡（镇）", "镇（街道）", "乡镇（街道）", "所在乡镇"),
    "village": ("村", "行政村", "村（居）", "所在村"),
    "hamlet": ("屯", "组", "自然屯", "村民小组"),
    "asset_class": ("类别", "资产类型"),
    "subtype": ("子类", "资产小类", "资产细类"),
    "project_year": ("年度", "建设年份", "项目年度", "实施年度"),
    "original_value": ("资产原值", "原值", "原值（万元）", "资产价值（万元）", "资产金额（万元）"),
    "owner": ("产权单位", "所有权人", "产权所有人"),
    "custodian_name": ("管护责任人姓名", "姓名", "责任人"),
    "custodian_phone": ("管护责任人联系电话", "电话", "联系方式"),
    "operator": ("经营主体", "经营方式"),
    "status": ("状态", "运营状态"),
    "beneficiary_households": ("受益户数（户）", "受益农户数"),
    "beneficiary_poor_households": ("脱贫户数", "受益脱贫户数"),
    "card_on_wall": ("是否上墙", "资产卡上墙"),
}


IGNORED_LABELS = {"序号"}


TOTAL_ROW = re.compile(r"^(合计|总计|小计)")


ALIASES: dict[str, str] = {normalize_label(label): name for name, label in COLUMN_LABELS.items()}


ALIASES.update({normalize_label(alias): name for name, aliases in EXTRA_ALIASES.items() for alias in aliases})


def _required(parse: Any) -> bool:
    try:
        parse(None)
    except FieldError:
        return True
    return False


REQUIRED_COLUMNS = [name for name in COLUMN_LABELS if name in ("town", "village")] + [
    f.name for f in FIELDS if _required(f.parse)
]


@dataclass
class ImportReport(SpreadsheetReport):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown_villages: list[str] = field(default_factory=list)
    THINGS: ClassVar[str] = "资产"

    def counts(self) -> str:
        return f"新增{self.created}项，更新{self.updated}项，未变{self.unchanged}项"


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    label: str


def import_register(
    session: Session,
    actor: User | None,
    source: str | os.PathLike | IO[bytes],
    district: Region,
    now: dt.datetime,
    *,
    valid_only: bool = False,
    create_villages: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ImportReport:
    """Import the register in `source` into `district`; see the module docstring."""
    if actor is not None:
        require_register_editor(actor)
        if create_villages and actor.role is not Role.DISTRICT_ADMIN:
            raise Forbidden("只有区乡村振兴局可以在导入时新建村。")
    importer = _Importer(session, actor, district, now, valid_only, create_villages)
    return import_all_or_nothing(session, open_workbook(source, max_bytes), importer.run)


def _header_columns(top: tuple, sub: tuple | None) -> tuple[list[Column], list[str]]:
    """Columns named by a header row and, for a merged two-row header, the row under it."""
    columns, unknown = [], []
    parent = parent_shown = ""
    for index, cell in enumerate(top):
        below = normalize_label(sub[index].value) if sub and index < len(sub) else ""
        own = normalize_label(cell.value)
        if own or not below:
            parent, parent_shown = own, text_of(cell.value)
        sub_shown = text_of(sub[index].value) if below else ""
        shown = f"{parent_shown}（{sub_shown}）" if parent_shown and sub_shown else sub_shown or parent_shown
        candidates = [parent + below, below, parent] if below else [parent]
        name = next((ALIASES[c] for c in candidates if c in ALIASES), None)
        if name:
            columns.append(Column(index, name, shown))
        elif (below or own) and (below or own) not in IGNORED_LABELS and parent not in IGNORED_LABELS:
            unknown.append(shown)
    return columns, unknown


def _is_sub_header(row: tuple, top: tuple) -> bool:
    """Whether `row` holds the second line of a merged header (姓名 / 联系电话 under 管护责任人)."""
    parent, named = "", 0
    for index, cell in enumerate(row):
        own = normalize_label(top[index].value) if index < len(top) else ""
        text = normalize_label(cell.value)
        parent = own or parent
        if not text:
            continue
        if parent + text not in ALIASES and text not in ALIASES and text not in IGNORED_LABELS:
            return False
        named += 1
    return named > 0


class _Importer:
    def __init__(
        self,
        session: Session,
        actor: User | None,
        district: Region,
        now: dt.datetime,
        valid_only: bool,
        create_villages: bool,
    ):
        self.session, self.actor, self.district, self.now = session, actor, district, now
        self.valid_only, self.create_villages = valid_only, create_villages
        self.report = ImportReport()
        self.subtypes = {s.name: s for s in session.scalars(select(AssetSubtype))}
        self.towns: dict[str, Region] = {}
        self.villages: dict[tuple[str, str], Region] = {}
        for region in session.scalars(select(Region).where(Region.district_id == district.id)):
            if region.level is RegionLevel.TOWN:
                self.towns[region.name] = region
            elif region.level is RegionLevel.VILLAGE:
                self.villages[(region.parent.name, region.name)] = region
        self.seen: dict[str, int] = {}  # code → first row
        self.unknown: dict[str, None] = {}
        self.created_regions: list[str] = []
        self.absent: list[str] = []  # fields the file has no column for

    def run(self, workbook) -> ImportReport:
        for sheet in workbook.worksheets:
            found = self._find_header(sheet)
            if found:
                columns, rows = found
                break
        else:
            raise UnreadableRegister(
                f"没有找到表头：各工作表的前{HEADER_SEARCH_ROWS}行中，没有一行同时包含「资产编号」「资产名称」等列名。"
            )
        batch: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        for number, raw, formulas in self._asset_rows(rows, columns):
            batch.append((number, raw, formulas))
            if len(batch) >= BATCH:
                self._process(batch, columns)
                batch = []
        self._process(batch, columns)
        report = self.report
        if self.unknown:
            report.unknown_villages = list(self.unknown)
            report.notes.append(
                "以下村（社区）在系统中还没有："
                + "、".join(self.unknown)
                + "。请先在系统中添加，或勾选“自动创建不存在的村”后重新导入。"
            )
        if self.created_regions:
            report.notes.append("新建了以下乡镇、村：" + "、".join(self.created_regions) + "。")
        if report.errors and not self.valid_only:
            report.refused = True
            report.created = report.updated = report.unchanged = 0
        return report

    def _find_header(self, sheet) -> tuple[list[Column], Iterator] | None:
        rows = enumerate(sheet.iter_rows(), start=1)
        for number, row in rows:
            if number > HEADER_SEARCH_ROWS:
                return None
            columns, unknown = _header_columns(row, None)
            names = {c.name for c in columns}
            if "code" not in names or len(names) < 3:
                continue
            shape = f"读取工作表「{sheet.title}」，表头在第{number}行"
            following = next(rows, None)
            if following is not None and _is_sub_header(following[1], row):
                columns, unknown = _header_columns(row, following[1])
                shape += f"和第{following[0]}行"
            elif following is not None:
                rows = chain([following], rows)
            self._check_columns(columns)
            self.absent = [f.name for f in FIELDS if f.name not in {c.name for c in columns}]
            self.report.notes.append(shape + "。")
            if unknown:
                self.report.notes.append("以下列不是台账的字段，未导入：" + "、".join(unknown) + "。")
            return columns, rows
        return None

    @staticmethod
    def _check_columns(columns: list[Column]) -> None:
        by_name: dict[str, Column] = {}
        for column in columns:
            if column.name in by_name:
                raise UnreadableRegister(
                    f"表头中「{by_name[column.name].label}」和「{column.label}」是同一项内容，请删去其中一列。"
                )
            by_name[column.name] = column
        missing = [COLUMN_LABELS[name] for name in REQUIRED_COLUMNS if name not in by_name]
        if missing:
            raise UnreadableRegister("表头缺少必填的列：" + "、".join(missing) + "。")

    def _asset_rows(self, rows: Iterator, columns: list[Column]) -> Iterator[tuple[int, dict, dict]]:
        """(row number, raw values by field, formula reasons by field) of each asset row."""
        skipped = []
        for number, row in rows:
            filled = [cell.value for cell in row if cell.value is not None and cell.value != ""]
            if not filled:
                continue
            first = text_of(filled[0])
            if TOTAL_ROW.match(re.sub(r"\s+", "", first)):
                self.report.notes.append(f"第{number}行是合计行，合计行及以下的内容（落款等）未作为资产读取。")
                break
            if is_signature(filled):
                skipped.append(str(number))
                continue
            raw, formulas = {}, {}
            for column in columns:
                cell = row[column.index] if column.index < len(row) else None
                if is_formula(cell):
                    formulas[column.name] = FORMULA_REFUSED
                else:
                    raw[column.name] = None if cell is None else cell.value
            self.report.rows += 1
            if self.report.rows > MAX_ROWS:
                raise UnreadableRegister(f"一次最多导入{MAX_ROWS}行，请把台账分成几个文件。")
            yield number, raw, formulas
        if skipped:
            self.report.notes.append(f"第{'、'.join(skipped)}行是落款，已跳过。")

    def _existing(self, codes: set[str]) -> tuple[dict[str, Asset], set[str]]:
        """The assets with these codes that the actor may change, and all codes taken in the district."""
        in_district = (Asset.district_id == self.district.id, code_in(codes))
        taken = set(self.session.scalars(select(Asset.code).where(*in_district)))
        query = select(Asset) if self.actor is None else visible_assets(self.actor)
        mine = {a.code: a for a in self.session.scalars(query.where(*in_district))} if taken else {}
        return mine, taken

    def _process(self, batch: list[tuple[int, dict, dict]], columns: list[Column]) -> None:
        labels = {**COLUMN_LABELS, **{c.name: c.label for c in columns}}
        codes = set()
        for _number, raw, _formulas in batch:
            try:
                codes.add(parse_code(raw.get("code")))
            except FieldError:
                pass
        existing, taken = self._existing(codes)
        new, changed = [], []
        for number, raw, formulas in batch:
            reasons = dict(formulas)
            values, asset, village = self._parse_row(number, raw, reasons, existing, taken)
            for name, reason in reasons.items():
                self.report.errors.append(RowError(number, labels[name], reason))
            if reasons:
                continue
            if asset is None:
                new.append((values, village))
            else:
                changed.append((asset, values, village))
        if self.report.errors and not self.valid_only:
            return  # the import is refused anyway: keep checking rows, stop writing
        if new:
            create_assets(self.session, self.actor, new, self.now)
            self.report.created += len(new)
        for asset, values, village in changed:
            if update_asset(self.session, self.actor, asset, values, village, self.now, action="import"):
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self.session.flush()

    def _parse_row(
        self, number: int, raw: dict, reasons: dict[str, str], existing: dict[str, Asset], taken: set[str]
    ) -> tuple[dict, Asset | None, Region | None]:
        """Parsed values, the asset the row updates (if any) and its village; problems go to `reasons`."""
        asset = None
        try:
            code = parse_code(raw.get("code"))
        except FieldError:
            code = None
        if code is not None:
            if code in self.seen:
                reasons["code"] = f"与第{self.seen[code]}行的资产编号重复"
            else:
                self.seen[code] = number
            asset = existing.get(code)
            if asset is None and code in taken:
                reasons["code"] = f"资产编号{code}已被本区另一项资产使用"
        village = self._village(raw, reasons)
        if asset is not None and self.absent:
            # Fields the file has no column for keep what the register holds.
            held = snapshot(asset, asset.village)
            raw = {**{name: held[name] for name in self.absent}, **raw}
        values, field_reasons = parse_asset_fields(raw, self.subtypes)
        for name, reason in field_reasons.items():
            reasons.setdefault(name, reason)
        if self.actor is not None and village is not None and not reasons:
            try:
                require_can_place(self.actor, village, values["subtype"].id)
            except Forbidden as error:
                reasons["village" if not region_in_scope(self.actor, village) else "subtype"] = error.message
        return values, asset, village

    def _village(self, raw: dict, reasons: dict[str, str]) -> Region | None:
        town_name, village_name = text_of(raw.get("town")), text_of(raw.get("village"))
        if not town_name or not village_name:
            reasons["town" if not town_name else "village"] = "不能为空"
            return None
        village = self.villages.get((town_name, village_name))
        if village is not None:
            return village
        if not self.create_villages:
            self.unknown[f"{town_name}{village_name}"] = None
            reasons["village"] = f"系统中没有「{town_name}{village_name}」"
            return None
        town = self.towns.get(town_name)
        if town is None:
            town = self.towns[town_name] = add_region(self.session, town_name, RegionLevel.TOWN, self.district)
            self.created_regions.append(town_name)
        village = self.villages[(town_name, village_name)] = add_region(
            self.session, village_name, RegionLevel.VILLAGE, town
        )
        self.created_regions.append(f"{town_name}{village_name}")
        return village
