"""The `guanhu` command: a Flask CLI group over the app factory.

Commands call the same domain operations as the web, in one session committed once.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup
from sqlalchemy import select

from models.catalog import ensure_subtypes
from models.errors import DomainError, Invalid
from models.migrate import upgrade
from models.people import Department, Role, create_user
from models.regions import Region
from web import create_app
from web.clock import now
from web.database import db_session

cli = FlaskGroup(create_app=create_app, help="资产管护通 (guanhu) — manage the service.")


def fail(error: DomainError) -> None:
    """Print a domain error as the web would show it and exit non-zero."""
    lines = [error.message]
    if isinstance(error, Invalid):
        lines += [f"  - {reason}" for reason in error.fields.values()]
    raise click.ClickException("\n".join(lines))


db_group = AppGroup("db", help="Database schema.")
cli.add_command(db_group)


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema and load the shipped reference data."""
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    session = db_session()
    ensure_subtypes(session)
    session.commit()
    click.echo("数据库已升级到最新版本。")


user_group = AppGroup("user", help="Staff accounts.")
cli.add_command(user_group)


@user_group.command("create")
@click.option("--phone", required=True, help="手机号，即登录名")
@click.option("--name", required=True, help="姓名")
@click.option("--role", "role_name", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", "region_path", required=True, help="所属区域，如 示范区/青山镇/石桥村")
@click.option("--department", "department_name", help="行业主管部门名称（仅 department 角色）")
@click.password_option(help="登录密码（至少8位）")
def user_create(phone: str, name: str, role_name: str, region_path: str, department_name: str | None,
                password: str) -> None:
    """Create a staff account."""
    session = db_session()
    region = resolve_region(region_path)
    department = None
    if department_name:
        department = session.scalar(
            select(Department).where(Department.district_id == (region.district_id or region.id),
                                     Department.name == department_name)
        )
        if department is None:
            raise click.ClickException(f"本区没有名为「{department_name}」的部门。")
    try:
        user = create_user(session, phone=phone, name=name, password=password, role=Role(role_name),
                           region=region, department=department, now=now())
    except DomainError as error:
        fail(error)
    session.commit()
    click.echo(f"已创建账号：{user.name}（{user.role.label}，{region.name}），手机号 {user.phone}。")


def resolve_region(path: str) -> Region:
    """A region named by its path of names from the district down, e.g. 示范区/青山镇/石桥村."""
    session = db_session()
    region = None
    for name in filter(None, (part.strip() for part in path.split("/"))):
        query = select(Region).where(Region.name == name)
        query = query.where(Region.parent_id == region.id) if region else query.where(Region.parent_id.is_(None))
        region = session.scalar(query)
        if region is None:
            raise click.ClickException(f"找不到区域「{path}」：「{name}」不存在。")
    if region is None:
        raise click.ClickException("请给出区域，如 示范区/青山镇。")
    return region
