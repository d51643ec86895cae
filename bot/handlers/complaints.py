"""Villagers reporting problems from the chat: 我要反映 tells how (with the report link of the asset
they scanned last, when there is one), 我的反映 lists their reports or finds one by its number, and
free text that reads like a problem ("路灯坏了") is answered with how to report it."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.handlers.fallback import not_understood
from bot.replies import Reply
from bot.router import Context, router
from models.access import VILLAGE_STAFF
from models.complaints.classify import report_category
from models.complaints.entities import Complaint, ComplaintCategory
from models.complaints.queries import of_visitor, tracking_number, visitors_own
from models.wechat.visitors import recently_scanned

HOW_TO_REPORT = (
    "反映问题请扫资产卡上的二维码，在打开的页面点「我要反映问题」，写几句话、拍张照片就行，可以匿名。\n"
    "提交后点菜单「我的反映」可以查看进展。"
)
RECENT_ASSET = "您最近扫过「{asset}」，反映它的问题请点：\n{url}\n其他资产的问题，请扫那个资产卡上的二维码。"
SOUNDS_LIKE = "您说的像是要反映问题（{category}）。\n"
STAFF_DAMAGE = "要报告资产损毁，请扫资产卡或发「我的资产」选资产，再选「损毁报告」，发照片和一句说明。"
MY_SHOWN = 4  # a text reply stays short; the page lists them all
MINE_HEADER = "您反映过的问题（最近{count}条）："
MINE_LINE = "{number} {status}（{about}）\n{url}"
MINE_ALL = "全部反映：{url}"
MINE_NONE = "您还没有在微信里反映过问题。留了手机号的反映，可以凭受理编号和手机号后四位在这里查：{url}"
NUMBER_FOUND = "{number} {status}（{about}）\n查看进展：{url}"
NUMBER_UNKNOWN = "没有找到您的第{number}号反映。在微信里提交的反映才能这样查到；留了手机号的，可以在这里查：{url}"
NOT_A_NUMBER = "请在「我的反映」后面写受理编号，例如：我的反映 13，或 我的反映 TS-2026-000013"


def report_hint(ctx: Context, category: ComplaintCategory | None) -> str:
    """How to report a problem; the report form of the asset they scanned last when there is one."""
    asset = recently_scanned(ctx.session, ctx.openid, ctx.now)
    if asset is None:
        return HOW_TO_REPORT
    query = f"?category={category.value}" if category else ""
    url = f"{ctx.public_base_url}/a/{asset.public_token}/report{query}"
    return RECENT_ASSET.format(asset=asset.name, url=url)


@router.command("我要反映", "反映问题")
@router.click("REPORT")
def how_to_report(message: BaseMessage, ctx: Context) -> Reply:
    return report_hint(ctx, report_category(ctx.argument))


def free_text(message: BaseMessage, ctx: Context) -> Reply:
    """Text that no command or open record takes: a problem told in words, or not understood."""
    category = report_category(message.content or "")
    if category is None:
        return not_understood(message, ctx)
    staff = ctx.staff()
    if staff is not None and staff.role in VILLAGE_STAFF:
        return STAFF_DAMAGE
    return SOUNDS_LIKE.format(category=category.label) + report_hint(ctx, category)


def _tracking_url(ctx: Context, complaint: Complaint) -> str:
    return f"{ctx.public_base_url}/t/{complaint.public_token}"


@router.command("我的反映")
@router.click("MY_COMPLAINTS")
def my_complaints(message: BaseMessage, ctx: Context) -> Reply:
    """The visitor's own reports (filed from this WeChat), or the one whose number they typed."""
    mine_url = f"{ctx.public_base_url}/mine"
    if ctx.argument:
        number = tracking_number(ctx.argument, ctx.today.year)
        if number is None:
            return NOT_A_NUMBER
        found = visitors_own(ctx.session, ctx.openid, number)
        if found is None:
            return NUMBER_UNKNOWN.format(number=ctx.argument[:20], url=mine_url)
        return NUMBER_FOUND.format(
            number=number, status=found.status.label, about=found.about, url=_tracking_url(ctx, found)
        )
    own = of_visitor(ctx.session, ctx.openid)
    if not own:
        return MINE_NONE.format(url=mine_url)
    lines = [
        MINE_LINE.format(number=c.tracking_number, status=c.status.label, about=c.about, url=_tracking_url(ctx, c))
        for c in own[:MY_SHOWN]
    ]
    return "\n".join([MINE_HEADER.format(count=len(lines)), *lines, MINE_ALL.format(url=mine_url)])
