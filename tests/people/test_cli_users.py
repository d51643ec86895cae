"""`guanhu user create` and `guanhu db upgrade` from the command line."""

from sqlalchemy import select

from models.people import Role, User
from web.cli import cli


def test_user_create_makes_an_account_that_can_sign_in(runner, session, county):
    result = runner.invoke(
        cli,
        [
            "user",
            "create",
            "--phone",
            "13711112222",
            "--name",
            "韦春梅",
            "--role",
            "town_official",
            "--region",
            "示范区/青山镇",
            "--password",
            "long-enough-1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "已创建账号：韦春梅（乡镇工作专班，青山镇）" in result.output
    user = session.scalar(select(User).where(User.phone == "13711112222"))
    assert user.role is Role.TOWN_OFFICIAL and user.check_password("long-enough-1")


def test_user_create_explains_what_is_wrong(runner, session, county):
    result = runner.invoke(
        cli,
        [
            "user",
            "create",
            "--phone",
            "123",
            "--name",
            "韦春梅",
            "--role",
            "village_clerk",
            "--region",
            "示范区/青山镇",
            "--password",
            "short",
        ],
    )
    assert result.exit_code == 1
    assert "手机号应为11位数字" in result.output
    assert "村干部的所属区域应是村（社区），而不是乡镇" in result.output
    assert session.scalar(select(User.id)) is None


def test_user_create_with_unknown_region_names_it(runner, county):
    result = runner.invoke(
        cli,
        [
            "user",
            "create",
            "--phone",
            "13711112222",
            "--name",
            "韦春梅",
            "--role",
            "town_official",
            "--region",
            "示范区/不存在镇",
            "--password",
            "long-enough-1",
        ],
    )
    assert result.exit_code == 1
    assert "「不存在镇」不存在" in result.output


def test_department_account_needs_a_known_department(runner, county):
    result = runner.invoke(
        cli,
        [
            "user",
            "create",
            "--phone",
            "13711112223",
            "--name",
            "黄志强",
            "--role",
            "department",
            "--region",
            "示范区",
            "--department",
            "交通运输局",
            "--password",
            "long-enough-1",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        [
            "user",
            "create",
            "--phone",
            "13711112224",
            "--name",
            "黄志强",
            "--role",
            "department",
            "--region",
            "示范区",
            "--department",
            "宇航局",
            "--password",
            "long-enough-1",
        ],
    )
    assert result.exit_code == 1 and "没有名为「宇航局」的部门" in result.output
