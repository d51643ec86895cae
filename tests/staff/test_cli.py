"""`guanhu user list|disable|enable|reset-password` beside `user create`."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.client import STAFF_TAG, wechat_client
from models import audit
from models.people import Role, authenticate
from models.staff.entities import PasswordLink
from models.wechat.binding import USER_ENTITY, issue_bind_code, redeem_bind_code
from tests.support.builders import PASSWORD
from tests.support.pages import login
from web.cli import cli


def test_user_list_shows_every_account_with_its_state(runner, session, county, build, clerk, clock):
    build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"], name="梁秀兰").last_sign_in_at = clock.now()
    session.flush()
    result = runner.invoke(cli, ["user", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["手机号", "姓名", "角色", "区域", "状态", "微信", "最近登录"]
    assert [line.split()[1] for line in lines[1:-1]] == ["莫海燕", "梁秀兰"]
    assert "从未登录" in lines[1] and "2026-06-01 10:00" in lines[2]
    assert lines[-1] == "共2个账号。"
    only_town = runner.invoke(cli, ["user", "list", "--region", "示范区/青山镇"])
    assert "莫海燕" in only_town.output and "梁秀兰" not in only_town.output


def test_user_disable_stops_the_account_and_its_sessions_and_enable_restarts_it(runner, client, session, clerk):
    login(client, clerk)
    result = runner.invoke(cli, ["user", "disable", clerk.phone])
    assert result.exit_code == 0, result.output
    assert "已停用 莫海燕（" in result.output
    assert client.get("/assets").status_code == 302
    again = runner.invoke(cli, ["user", "disable", clerk.phone])
    assert again.exit_code == 1 and "莫海燕的账号已经停用" in again.output
    result = runner.invoke(cli, ["user", "enable", clerk.phone])
    assert result.exit_code == 0 and "已启用" in result.output
    session.expire_all()
    assert [e.actor_name for e in audit.history(session, USER_ENTITY, clerk.id)] == ["系统", "系统"]
    login(client, clerk)


def test_user_disable_and_enable_move_the_staff_menu(app_factory, session, clerk, fake, clock):
    app = app_factory(**fake.client_config())
    redeem_bind_code(session, "o_moh", issue_bind_code(session, clerk, clock.now()), clock.now())
    with app.app_context():
        wechat_client().tag_staff(["o_moh"])
    runner = app.test_cli_runner()

    assert runner.invoke(cli, ["user", "disable", clerk.phone]).exit_code == 0
    assert fake.tagged(STAFF_TAG) == []
    assert runner.invoke(cli, ["user", "enable", clerk.phone]).exit_code == 0
    assert fake.tagged(STAFF_TAG) == ["o_moh"]


def test_user_reset_password_prints_a_one_time_link(runner, client, session, clerk):
    result = runner.invoke(cli, ["user", "reset-password", clerk.phone])
    assert result.exit_code == 0, result.output
    link = re.search(r"http://guanhu\.test(/account/set-password/\S+)", result.output).group(1)
    session.expire_all()
    assert authenticate(session, clerk.phone, PASSWORD) is None
    assert session.scalar(select(PasswordLink.user_id)) == clerk.id
    assert client.get(link).status_code == 200


def test_an_unknown_phone_is_named(runner, county):
    result = runner.invoke(cli, ["user", "disable", "13800000000"])
    assert result.exit_code == 1 and "没有手机号为 13800000000 的账号" in result.output
