"""The account's custom menu, as data: pushed by `guanhu wechat menu push`, shown by the sandbox."""

from __future__ import annotations

MENU = {
    "button": [
        {"type": "click", "name": "我的任务", "key": "MY_TASKS"},
        {"type": "scancode_push", "name": "扫一扫", "key": "SCAN"},
        {"type": "click", "name": "帮助", "key": "HELP"},
    ]
}


def click_buttons() -> list[dict[str, str]]:
    """The menu's CLICK buttons (name and key), top level and sub-menus alike."""
    buttons = []
    for button in MENU["button"]:
        for item in button.get("sub_button", [button]):
            if item.get("type") == "click":
                buttons.append({"name": item["name"], "key": item["key"]})
    return buttons
