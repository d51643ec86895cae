"""帮助: what one can do here, told by role."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.replies import Reply
from bot.router import Context, router
from models.access import VILLAGE_STAFF

VILLAGER_HELP = (
    "您好！在这里可以：\n"
    "扫资产卡上的二维码，看这个资产由谁管护、现在怎么样。\n"
    "工作人员请在网页「绑定微信」取得绑定码，再发「绑定 绑定码」，例如：绑定 123456"
)
STAFF_HELP = "{name}您好（{role}）。您可以：\n发「我的任务」，看要处理的事；\n{record}扫资产卡上的二维码，看资产情况。"
RECORD_HELP = "扫本村资产卡或发「我的资产」，再发照片，保存管护记录；\n"  # village staff only


@router.command("帮助", "?", "？", "菜单")
@router.click("HELP")
def show_help(message: BaseMessage, ctx: Context) -> Reply:
    staff = ctx.staff()
    if staff is None:
        return VILLAGER_HELP
    record = RECORD_HELP if staff.role in VILLAGE_STAFF else ""
    return STAFF_HELP.format(name=staff.name, role=staff.role.label, record=record)
