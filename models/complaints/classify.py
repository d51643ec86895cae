"""Does a message typed into the chat read like a complaint ("路灯坏了")? Then the villager is told
how to report it. Words that say something is wrong, sorted by the complaint category they suggest."""

from __future__ import annotations

import unicodedata

from models.complaints.entities import ComplaintCategory

# Checked in this order: the first category with a word in the text wins.
SIGNS: tuple[tuple[ComplaintCategory, tuple[str, ...]], ...] = (
    (ComplaintCategory.OCCUPIED, ("占用", "占了", "霸占", "私用", "私占", "圈占", "挪用", "堆放", "乱堆", "被人占")),
    (
        ComplaintCategory.INCOME,
        ("分红", "收益", "没分钱", "分钱", "租金", "账目", "不公开", "没有公开", "克扣", "扣钱"),
    ),
    (
        ComplaintCategory.NEGLECT,
        ("没人管", "无人管", "没人修", "没人理", "没人打扫", "没有人管", "荒废", "长草", "杂草", "脏", "臭", "垃圾满"),
    ),
    (
        ComplaintCategory.DAMAGE,
        (
            "坏了",
            "坏掉",
            "损坏",
            "损毁",
            "破损",
            "破了",
            "烂了",
            "断了",
            "塌了",
            "塌方",
            "裂了",
            "裂缝",
            "漏水",
            "渗水",
            "漏了",
            "不亮",
            "不出水",
            "没水",
            "停水",
            "没电",
            "堵了",
            "堵塞",
            "倒了",
            "松了",
            "生锈",
            "不能用",
            "用不了",
            "路不通",
            "不通车",
            "危险",
        ),
    ),
)
MAX_CHARS = 200  # longer texts are not chat about a problem


def report_category(text: str) -> ComplaintCategory | None:
    """The complaint category a chat message suggests, or None when it does not read like one."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if not folded or len(folded) > MAX_CHARS:
        return None
    for category, words in SIGNS:
        if any(word in folded for word in words):
            return category
    return None
