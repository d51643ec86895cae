"""Reading the fields of an asset from what people type or what a spreadsheet holds.

One parser for the web form and the register import, so both accept and refuse the same things.
Each field parser takes a raw value (str, int, float, date or None) and returns the typed value or
raises FieldError with a short Chinese reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from models.assets.entities import (
    LINKAGE_FROM_YEAR,
    AssetClass,
    AssetStatus,
    AssetSubtype,
    DisposalMethod,
    FundingKind,
    FundingSource,
)

MOBILE = re.compile(r"^1\d{10}$")


LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


FUNDING_ITEM = re.compile(r"^(?P<source>[^\d\s（(]+)\s*[（(]?\s*(?P<amount>\d+(?:\.\d+)?)?\s*(?:万元|万)?\s*[）)]?$")


FIRST_YEAR, LAST_YEAR = 2000, 2100


class FieldError(ValueError):
    """The reason, in Chinese, why a value does not fit its field."""


@dataclass(frozen=True)
class FundingLine:
    source: FundingSource
    amount: Decimal | None  # yuan


def text_of(raw: Any) -> str:
    """A cell or form value as trimmed text; whole floats lose their '.0' (Excel stores 2019.0)."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    return str(raw).strip()


def _required_text(max_length: int) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = text_of(raw)
        if not value:
            raise FieldError("不能为空")
        if len(value) > max_length:
            raise FieldError(f"不能超过{max_length}个字")
        return value

    return parse


def _optional_text(max_length: int) -> Callable[[Any], str | None]:
    def parse(raw: Any) -> str | None:
        value = text_of(raw)
        if len(value) > max_length:
            raise FieldError(f"不能超过{max_length}个字")
        return value or None

    return parse


def parse_code(raw: Any) -> str:
    value = text_of(raw)
    if not value:
        raise FieldError("不能为空")
    if not CODE.match(value):
        raise FieldError("只能由字母、数字、-和_组成，最多40位")
    return value.upper()


def parse_year(raw: Any) -> int:
    value = text_of(raw).removesuffix("年").removesuffix("年度")
    if not value:
        raise FieldError("不能为空")
    if not value.isdigit() or not FIRST_YEAR <= int(value) <= LAST_YEAR:
        raise FieldError(f"应为{FIRST_YEAR}到{LAST_YEAR}之间的年份，如2019或2019年")
    return int(value)


def _decimal(value: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise FieldError("应为数字") from None
    if not number.is_finite():
        raise FieldError("应为数字")
    return number


def wan_to_yuan(wan: Decimal) -> Decimal:
    return (wan * 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_wan(raw: Any) -> Decimal:
    """An amount in 万元 as registers write it ('27.67', 27.67, '27.67万元'); returns yuan."""
    if isinstance(raw, bool):
        raise FieldError("应为数字（万元）")
    value = text_of(raw).removesuffix("万元").removesuffix("万").strip()
    if not value:
        raise FieldError("不能为空")
    try:
        number = _decimal(value)
    except FieldError:
        raise FieldError("应为数字（单位万元），如 18.3") from None
    if number < 0:
        raise FieldError("不能为负数")
    if number >= Decimal("1e8"):
        raise FieldError("数额过大，请确认单位是万元")
    return wan_to_yuan(number)


def _count(raw: Any, required: bool) -> int | None:
    value = text_of(raw).removesuffix("户")
    if not value:
        if required:
            raise FieldError("不能为空")
        return None
    if not value.isdigit():
        raise FieldError("应为不小于0的整数")
    number = int(value)
    if number > 10_000_000:
        raise FieldError("数值过大")
    return number


def parse_households(raw: Any) -> int:
    return _count(raw, required=False) or 0


def parse_optional_count(raw: Any) -> int | None:
    return _count(raw, required=False)


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = text_of(raw)
    if value in ("是", "已", "1", "true", "True", "y", "on"):
        return True
    if value in ("否", "未", "0", "false", "False", "n", "", "off"):
        return False
    raise FieldError("应填“是”或“否”")


def _labelled(enum_class, what: str, required: bool = True):
    def parse(raw: Any):
        value = text_of(raw)
        if not value:
            if required:
                raise FieldError("不能为空")
            return None
        member = enum_class.from_label(value)
        if member is None:
            raise FieldError(f"不是已知的{what}，可填：" + "、".join(m.label for m in enum_class))
        return member

    return parse


def parse_phone(raw: Any) -> str:
    value = text_of(raw).replace(" ", "")
    if not value:
        raise FieldError("不能为空")
    if not (MOBILE.match(value) or LANDLINE.match(value)):
        raise FieldError("应为11位手机号或带区号的固定电话")
    return value


def parse_date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    value = text_of(raw)
    if not value:
        return None
    match = re.match(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$", value)
    try:
        if not match:
            raise ValueError
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise FieldError("应为日期，如2024-06-30") from None


def _coordinate(low: float, high: float, what: str):
    def parse(raw: Any) -> Decimal | None:
        value = text_of(raw)
        if not value:
            return None
        try:
            number = _decimal(value)
        except FieldError:
            raise FieldError(f"{what}应为数字") from None
        if not low <= number <= high:
            raise FieldError(f"{what}应在{low}到{high}之间")
        return number.quantize(Decimal("0.000001"))

    return parse


def parse_funding(raw: Any) -> list[FundingLine]:
    """资金来源: sources separated by 、，;/ each optionally followed by its amount in 万元."""
    value = text_of(raw)
    if not value:
        raise FieldError("不能为空")
    lines, seen = [], set()
    for item in filter(None, (part.strip() for part in re.split(r"[、，,；;/]", value))):
        match = FUNDING_ITEM.match(item)
        source = FundingSource.from_label(match["source"]) if match else None
        if source is None:
            raise FieldError(f"「{item}」不是已知的资金来源，可填：" + "、".join(s.label for s in FundingSource))
        if source in seen:
            raise FieldError(f"「{source.label}」重复填写")
        seen.add(source)
        amount = wan_to_yuan(_decimal(match["amount"])) if match["amount"] else None
        lines.append(FundingLine(source, amount))
    if not lines:
        raise FieldError("不能为空")
    return lines


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    parse: Callable[[Any], Any]


FIELDS: list[Field] = [
    Field("code", "资产编号", parse_code),
    Field("name", "资产名称", _required_text(120)),
    Field("asset_class", "资产类别", _labelled(AssetClass, "资产类别")),
    Field("subtype", "资产子类", _required_text(40)),
    Field("project_name", "项目名称", _required_text(200)),
    Field("project_year", "建设年度", parse_year),
    Field("funding_kind", "资金性质", _labelled(FundingKind, "资金性质", required=False)),
    Field("original_value", "资产原值（万元）", parse_wan),
    Field("fundings", "资金来源", parse_funding),
    Field("hamlet", "屯（组）", _optional_text(60)),
    Field("latitude", "纬度", _coordinate(3, 54, "纬度")),
    Field("longitude", "经度", _coordinate(73, 136, "经度")),
    Field("owner", "产权归属", _required_text(120)),
    Field("ownership_confirmed", "是否确权", parse_bool),
    Field("custodian_body", "管护主体", _required_text(120)),
    Field("custodian_name", "管护责任人", _required_text(40)),
    Field("custodian_phone", "联系电话", parse_phone),
    Field("operator", "经营主体及方式", _optional_text(200)),
    Field("status", "资产状态", _labelled(AssetStatus, "资产状态")),
    Field("beneficiary_households", "受益户数", parse_households),
    Field("beneficiary_poor_households", "其中脱贫户数", parse_optional_count),
    Field("card_on_wall", "资产卡是否上墙", parse_bool),
    Field("disposed_on", "处置日期", parse_date),
    Field("disposal_method", "处置方式", _labelled(DisposalMethod, "处置方式", required=False)),
    Field("notes", "备注", _optional_text(2000)),
]


FIELD_LABELS = {field.name: field.label for field in FIELDS}


def parse_asset_fields(raw: dict[str, Any], subtypes: dict[str, AssetSubtype]) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values and per-field Chinese reasons for a mapping of raw values by field name.

    Fields missing from `raw` are parsed as empty. Cross-field rules are checked once every
    field parses.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        try:
            values[field.name] = field.parse(raw.get(field.name))
        except FieldError as error:
            errors[field.name] = str(error)
    if errors:
        return values, errors
    subtype = subtypes.get(values["subtype"])
    if subtype is None:
        errors["subtype"] = "不是已知的资产子类"
    elif subtype.asset_class is not values["asset_class"]:
        errors["subtype"] = f"「{subtype.name}」属于{subtype.asset_class.label}资产，与资产类别不符"
    else:
        values["subtype"] = subtype
    if values["asset_class"] is AssetClass.OPERATING and not values["operator"]:
        errors["operator"] = "经营性资产须填写经营主体及方式"
    poor = values["beneficiary_poor_households"]
    if poor is not None and poor > values["beneficiary_households"]:
        errors["beneficiary_poor_households"] = "脱贫户数不能多于受益户数"
    disposed = values["status"] is AssetStatus.DISPOSED
    if not disposed and (values["disposed_on"] or values["disposal_method"]):
        errors["disposed_on"] = "只有状态为“已处置”的资产才能填写处置日期和方式"
    if (values["latitude"] is None) != (values["longitude"] is None):
        errors["longitude"] = "经度和纬度要同时填写"
    total = sum((line.amount for line in values["fundings"] if line.amount is not None), Decimal(0))
    if total > values["original_value"] and all(line.amount is not None for line in values["fundings"]):
        errors["fundings"] = "各资金来源金额之和不能大于资产原值"
    if values["funding_kind"] is None:
        linkage = values["project_year"] >= LINKAGE_FROM_YEAR
        values["funding_kind"] = FundingKind.LINKAGE if linkage else FundingKind.POVERTY_ALLEVIATION
    return values, errors
