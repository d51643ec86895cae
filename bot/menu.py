"""The account's menus, as data, and pushing them: villagers see one menu, staff another.

WeChat shows a personalised menu (个性化菜单, `menu/addconditional`) to the followers who carry its
match rule's tag; everyone else sees the default menu. So the default menu is the villagers', the
staff menu matches the staff tag, and staff are tagged when they bind their WeChat and untagged
when unbound (`bot.after_commit.wechat.sync_staff_tag`). `guanhu wechat menu push` pushes both and
puts the tag right for everyone bound now.
"""

from __future__ import annotations

from typing import Any

from bot.client import WeChatAPIClient

VILLAGER_MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": "我要反映", "key": "REPORT"},
        {"type": "click", "name": "我的反映", "key": "MY_COMPLAINTS"},
        {"type": "click", "name": "帮助", "key": "HELP"},
    ]
}
STAFF_MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": "我的任务", "key": "MY_TASKS"},
        {"type": "scancode_push", "name": "扫一扫", "key": "SCAN"},
        {"type": "click", "name": "帮助", "key": "HELP"},
    ]
}


def menu_for(staff: bool) -> dict[str, Any]:
    return STAFF_MENU if staff else VILLAGER_MENU


def click_buttons(menu: dict[str, Any]) -> list[dict[str, str]]:
    """The menu's CLICK buttons (name and key), top level and sub-menus alike."""
    buttons = []
    for button in menu["button"]:
        for item in button.get("sub_button", [button]):
            if item.get("type") == "click":
                buttons.append({"name": item["name"], "key": item["key"]})
    return buttons


def button_names(menu: dict[str, Any]) -> str:
    return "、".join(button["name"] for button in menu["button"])


def push_menus(client: WeChatAPIClient, staff_openids: set[str]) -> tuple[int, int]:
    """Replace the account's menus with these two, and tag exactly `staff_openids` as staff:
    (tagged now, untagged now)."""
    client.replace_menus(VILLAGER_MENU, STAFF_MENU)
    tagged = set(client.staff_tagged())
    added, removed = sorted(staff_openids - tagged), sorted(tagged - staff_openids)
    client.tag_staff(added)
    client.untag_staff(removed)
    return len(added), len(removed)
