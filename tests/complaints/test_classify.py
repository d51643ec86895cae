"""What reads like a problem in the chat, and which complaint category it suggests."""

from __future__ import annotations

import pytest

from models.complaints.classify import report_category
from models.complaints.entities import ComplaintCategory

DAMAGE, NEGLECT, OCCUPIED, INCOME = (
    ComplaintCategory.DAMAGE,
    ComplaintCategory.NEGLECT,
    ComplaintCategory.OCCUPIED,
    ComplaintCategory.INCOME,
)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("路灯坏了", DAMAGE),
        ("村口的路灯不亮三天了", DAMAGE),
        ("饮水工程的水管漏水", DAMAGE),
        ("水渠堵了，水漫到路上", DAMAGE),
        ("便民桥的栏杆断了一截", DAMAGE),
        ("公厕没人管，很脏", NEGLECT),
        ("文化广场长满杂草", NEGLECT),
        ("篮球场被人占用堆放杂物", OCCUPIED),
        ("冷库被私用了", OCCUPIED),
        ("光伏电站的分红今年没分钱", INCOME),
        ("合作社账目不公开", INCOME),
        ("路灯坏了！！", DAMAGE),
        ("ＬＥＤ路灯坏了", DAMAGE),  # full-width letters
    ],
)
def test_a_problem_told_in_words_is_recognised_with_its_category(text, category) -> None:
    assert report_category(text) is category


@pytest.mark.parametrize(
    "text",
    ["你好", "谢谢", "在吗", "请问村委会几点上班", "今天天气不错", "", "   ", "路灯坏了" + "，" * 200, "通知收到了"],
)
def test_other_words_are_not_taken_for_a_problem(text) -> None:
    assert report_category(text) is None
