"""帮助: what one can do here, told by role."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.replies import Reply
from bot.router import Context, router
from models.access import VILLAGE_STAFF

VILLAGER_HELP = (
    "您好！村里扶贫项目资产（道路、水渠、路灯、饮水工程等）由谁管护、管得怎样，在这里都能看到。您可以：\n"
    "1. 扫资产卡上的二维码：看这个资产由谁管护、现在怎么样；发现问题，点页面上的「我要反映问题」，"
    "写几句话、拍张照片就行，可以匿名。\n"
    "2. 点菜单「我要反映」：看怎么反映问题。\n"
    "3. 点菜单「我的反映」：查看您反映过的问题和答复；也可以发「我的反映 13」查第13号。\n"
    "工作人员请在网页「绑定微信」取得绑定码，再发「绑定 绑定码」，例如：绑定 123456"
)
STAFF_HELP = (
    "{name}您好（{role}）。您可以：\n"
    "1. 发「我的任务」或点菜单「我的任务」，看要处理的事；\n"
    "{record}"
    "{scan}. 点菜单「扫一扫」扫资产卡，看资产情况。"
)
RECORD_HELP = "2. 扫本村资产卡或发「我的资产」，再发照片，保存管护记录；\n"  # village staff only


@router.command("帮助", "?", "？", "菜单")
@router.click("HELP")
def show_help(message: BaseMessage, ctx: Context) -> Reply:
    staff = ctx.staff()
    if staff is None:
        return VILLAGER_HELP
    records = staff.role in VILLAGE_STAFF
    return STAFF_HELP.format(
        name=staff.name, role=staff.role.label, record=RECORD_HELP if records else "", scan=3 if records else 2
    )
