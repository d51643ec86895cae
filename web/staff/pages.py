"""人员管理: the district office manages the accounts of its district, a town those of its villages.

Who may give which role where is models.access's; changing anything asks for a password session
(a WeChat session confirms the password first). A new account, or a reset, gets a one-time link
to set a password: sent to the person's bound WeChat, or shown here once to be passed on.
"""

from __future__ import annotations

import base64
import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, fresh_login_required, login_required

from bot.after_commit.staff import push_password_link
from bot.after_commit.wechat import sync_staff_tag
from infra.clock import now
from infra.database import after_commit, db_session
from infra.sign_in.sessions import end_sessions_of
from models.access import assignable_regions, get_managed_user, managed_roles, require_staff_manager
from models.assets.card_render import qr_image
from models.clock import local_time
from models.errors import Invalid
from models.paging import page_number
from models.people import Department, Role, User, VillagePost
from models.regions import Region
from models.staff.operations import (
    IssuedLink,
    StaffDetails,
    create_staff,
    deactivate_staff,
    issue_password_link,
    password_link,
    reactivate_staff,
    unbind_staff_wechat,
    update_staff,
)
from models.staff.queries import SignInRecency, StaffFilter, account_history, departments_of, search_staff
from web.auth import staff

blueprint = Blueprint("staff", __name__, url_prefix="/staff")
PER_PAGE = 20
FIELD_LABELS = {
    "name": "姓名",
    "phone": "手机号",
    "role": "角色",
    "region": "所属区域",
    "department": "部门",
    "village_post": "村级职务",
    "active": "状态",
    "password": "密码",
    "wechat": "微信",
}
ACTIONS = {
    "create": "新建账号",
    "update": "修改",
    "deactivate": "停用",
    "reactivate": "启用",
    "password_reset": "重置密码",
    "password_set": "设置密码",
    "password_change": "修改密码",
    "wechat_bind": "绑定微信",
    "wechat_unbind": "解除微信绑定",
}


@blueprint.app_context_processor
def _can_manage_staff() -> dict[str, bool]:
    return {"can_manage_staff": current_user.is_authenticated and bool(managed_roles(current_user.user))}


def _yes_no(name: str) -> bool | None:
    return {"1": True, "0": False}.get(request.args.get(name, ""))


def _filter() -> StaffFilter:
    region = request.args.get("region", "")
    return StaffFilter(
        text=request.args.get("q", "").strip()[:40] or None,
        role=Role.from_label(request.args.get("role", "")),
        region_id=int(region) if region.isdigit() and len(region) <= 9 else None,
        active=_yes_no("active"),
        wechat_bound=_yes_no("wechat"),
        signed_in=SignInRecency.from_label(request.args.get("signed_in", "")),
        page=page_number(request.args.get("page")),
        per_page=PER_PAGE,
    )


@blueprint.get("")
@login_required
def index():
    actor = staff()
    require_staff_manager(actor)
    wanted = _filter()
    return render_template(
        "staff/list.html",
        page=search_staff(db_session(), actor, wanted, now()),
        wanted=wanted,
        args=request.args,
        roles=managed_roles(actor),
        regions=assignable_regions(db_session(), actor),
        recencies=list(SignInRecency),
    )


def _choices(actor: User) -> dict:
    session = db_session()
    return {
        "roles": managed_roles(actor),
        "regions": assignable_regions(session, actor),
        "departments": departments_of(session, actor),
        "posts": list(VillagePost),
    }


def _posted_details(choices: dict) -> StaffDetails:
    """The form's details; a role, region or department that is not offered is refused as not found
    (another region's id reveals nothing), a missing one as invalid."""
    form = request.form
    errors = {}
    role = Role.from_label(form.get("role", ""))
    if role is None:
        errors["role"] = "请选择角色。"
    region = _chosen(form.get("region_id", ""), choices["regions"]) if form.get("region_id") else None
    if region is None:
        errors["region"] = "请选择所属区域。"
    department = _chosen(form.get("department_id", ""), choices["departments"]) if form.get("department_id") else None
    post = VillagePost.from_label(form.get("village_post", ""))
    if errors:
        raise Invalid(errors)
    return StaffDetails(
        name=form.get("name", ""),
        phone=form.get("phone", ""),
        role=role,
        region=region,
        department=department,
        village_post=post,
    )


def _chosen(value: str, offered: list[Region] | list[Department]) -> Region | Department:
    found = next((item for item in offered if str(item.id) == value), None)
    if found is None:
        abort(404)
    return found


def _form_page(user: User | None, form: dict, errors: dict[str, str], status: int = 200):
    session = db_session()
    return render_template(
        "staff/form.html",
        user=user,
        form=form,
        errors=errors,
        labels=FIELD_LABELS,
        history=account_history(session, user) if user else [],
        actions=ACTIONS,
        **_choices(staff()),
    ), status


def _form_of(user: User) -> dict[str, str]:
    return {
        "name": user.name,
        "phone": user.phone,
        "role": user.role.value,
        "region_id": str(user.region_id),
        "department_id": str(user.department_id or ""),
        "village_post": user.village_post.value if user.village_post else "",
    }


@blueprint.route("/new", methods=["GET", "POST"])
@fresh_login_required
def create():
    actor = staff()
    require_staff_manager(actor)
    if request.method == "GET":
        return _form_page(None, {}, {})
    try:
        issued = create_staff(db_session(), actor, _posted_details(_choices(actor)), now())
    except Invalid as error:
        db_session().rollback()
        return _form_page(None, request.form, error.fields, 422)
    return _issued_page(issued, new=True)


@blueprint.route("/<int:user_id>", methods=["GET", "POST"])
@fresh_login_required
def edit(user_id: int):
    actor, session = staff(), db_session()
    user = get_managed_user(session, actor, user_id)
    if request.method == "GET":
        return _form_page(user, _form_of(user), {})
    try:
        changes = update_staff(session, actor, user, _posted_details(_choices(actor)), now())
    except Invalid as error:
        session.rollback()
        return _form_page(user, request.form, error.fields, 422)
    flash(f"已保存{user.name}的账号。" if changes else "没有改动。")
    return redirect(url_for("staff.edit", user_id=user.id), 303)


# What each button on an account's page does: the operation, whether it ends the person's
# sessions, and what to say afterwards.
ACTS = {
    "deactivate": (deactivate_staff, True, "已停用{name}的账号：不能再登录，也不会再收到推送。"),
    "reactivate": (reactivate_staff, False, "已启用{name}的账号。"),
    "unbind": (unbind_staff_wechat, False, "已解除{name}的微信绑定：用那个微信不能再登录，也不会再收到推送。"),
}


@blueprint.post("/<int:user_id>/<any(deactivate, reactivate, unbind):act>")
@fresh_login_required
def change_state(user_id: int, act: str):
    operation, ends_sessions, done = ACTS[act]
    actor, session = staff(), db_session()
    user = get_managed_user(session, actor, user_id)
    openid = user.wechat_openid
    operation(session, actor, user, now())
    if ends_sessions:
        end_sessions_of(user.id)
    if openid:
        after_commit(sync_staff_tag, openid)  # the staff menu follows: gone when stopped or unbound
    flash(done.format(name=user.name))
    return redirect(url_for("staff.edit", user_id=user.id), 303)


@blueprint.post("/<int:user_id>/password")
@fresh_login_required
def reset_password(user_id: int):
    actor, session = staff(), db_session()
    user = get_managed_user(session, actor, user_id)
    to_wechat = request.form.get("delivery") == "wechat"
    issued = issue_password_link(session, actor, user, now(), to_wechat=to_wechat)
    end_sessions_of(user.id)
    if to_wechat:
        after_commit(push_password_link, issued.link.id, issued.token, actor.name)
        until = local_time(issued.link.expires_at, current_app.config["TIMEZONE"])
        flash(f"已把设置新密码的链接发到{user.name}绑定的微信（{until}前有效）。{user.name}的旧密码已失效。")
        return redirect(url_for("staff.edit", user_id=user.id), 303)
    return _issued_page(issued, new=False)


def _issued_page(issued: IssuedLink, new: bool):
    """The one-time link, shown this once (the answer to a POST: reloading it makes a new link)."""
    url = password_link(current_app.config["PUBLIC_BASE_URL"], issued.token)
    png = io.BytesIO()
    qr_image(url, 240).save(png, format="PNG")
    return render_template(
        "staff/issued.html",
        user=issued.link.user,
        link=issued.link,
        url=url,
        qr=base64.b64encode(png.getvalue()).decode(),
        new=new,
    )
