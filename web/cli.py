"""The `guanhu` command: a Flask CLI group over the app factory.

Commands call the same domain operations as the web, in one session committed once.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo, get_debug_flag, run_command
from werkzeug.serving import is_running_from_reloader

from bot.after_commit.wechat import sync_staff_tag
from bot.client import WeChatError, wechat_client
from bot.menu import STAFF_MENU, VILLAGER_MENU, button_names, push_menus
from demo import county as demo
from infra.background import background
from infra.backup import BackupError, Summary, backup, restore
from infra.clock import now
from infra.database import after_commit, db_session, unit_of_work
from infra.media_migration import migrate
from infra.sign_in.sessions import end_sessions_of
from infra.storage import bucket_storage, media_storage
from jobs.scheduler import IN_PROCESS_FLAG, Runner, build_scheduler, start_in_process
from models.assets.card_render import sheets_pdf
from models.assets.cards import village_cards
from models.assets.xlsx_export import export_query, export_register
from models.assets.xlsx_import import import_register
from models.catalog import ensure_subtypes
from models.clock import local_time
from models.errors import DomainError, Invalid
from models.migrate import upgrade
from models.people import Role, User, create_user, department_named
from models.regions import Ambiguous, Region, RegionLevel, district_named, districts, region_by_path, village_named
from models.staff.operations import deactivate_staff, issue_password_link, password_link, reactivate_staff
from models.staff.queries import StaffFilter, account_by_phone, search_staff
from models.storage import LocalStorage
from models.wechat.visitors import reachable_staff_openids
from web import create_app
from web.assets.cards import qr_text
from web.evaluations.cli import evaluation_group

cli = FlaskGroup(create_app=create_app, help="资产管护通 (guanhu) — manage the service.")
cli.add_command(evaluation_group)


def fail(error: DomainError) -> NoReturn:
    """Print a domain error as the web would show it and exit non-zero."""
    lines = [error.message]
    if isinstance(error, Invalid):
        lines += [f"  - {reason}" for reason in error.fields.values()]
    if isinstance(error, Ambiguous):
        lines.append("（用 --district 指明区县）")
    raise click.ClickException("\n".join(lines))


db_group = AppGroup("db", help="Database schema.")
cli.add_command(db_group)


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema and load the shipped reference data."""
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    ensure_subtypes(db_session())
    unit_of_work().commit()
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
def user_create(
    phone: str, name: str, role_name: str, region_path: str, department_name: str | None, password: str
) -> None:
    """Create a staff account."""
    session = db_session()
    try:
        region = region_by_path(session, region_path)
        district = region.ancestor(RegionLevel.DISTRICT)
        department = department_named(session, district, department_name) if department_name else None
        user = create_user(
            session,
            phone=phone,
            name=name,
            password=password,
            role=Role(role_name),
            region=region,
            department=department,
            now=now(),
        )
    except DomainError as error:
        fail(error)
    unit_of_work().commit()
    click.echo(f"已创建账号：{user.name}（{user.role.label}，{region.name}），手机号 {user.phone}。")


def _account(phone: str) -> User:
    try:
        return account_by_phone(db_session(), phone)
    except DomainError as error:
        fail(error)


@user_group.command("list")
@click.option("--region", "region_path", help="只列出这个区域及其下的账号，如 示范区/青山镇")
@click.option("--role", "role_name", type=click.Choice([r.value for r in Role]), help="只列出这个角色")
def user_list(region_path: str | None, role_name: str | None) -> None:
    """List staff accounts: phone, name, role, region, status, WeChat, last sign-in."""
    session = db_session()
    try:
        region = region_by_path(session, region_path) if region_path else None
    except DomainError as error:
        fail(error)
    wanted = StaffFilter(
        role=Role(role_name) if role_name else None, region_id=region.id if region else None, per_page=1_000_000
    )
    timezone = current_app.config["TIMEZONE"]
    rows = [("手机号", "姓名", "角色", "区域", "状态", "微信", "最近登录")]
    for user in search_staff(session, None, wanted, now()).items:
        rows.append(
            (
                user.phone,
                user.name,
                user.role.label + (f"（{user.village_post.label}）" if user.village_post else ""),
                user.region.full_name or user.region.name,
                "在用" if user.active else "已停用",
                "已绑定" if user.wechat_openid else "未绑定",
                local_time(user.last_sign_in_at, timezone) if user.last_sign_in_at else "从未登录",
            )
        )
    echo_table(rows)
    click.echo(f"共{len(rows) - 1}个账号。")


@user_group.command("disable")
@click.argument("phone")
def user_disable(phone: str) -> None:
    """Stop an account: it signs in no more (its sessions end) and gets no pushes. Nothing is deleted."""
    _change_account(phone, deactivate_staff, "已停用 {name}（{phone}）的账号，其登录已全部退出。", ends_sessions=True)


@user_group.command("enable")
@click.argument("phone")
def user_enable(phone: str) -> None:
    """Start a stopped account again."""
    _change_account(phone, reactivate_staff, "已启用 {name}（{phone}）的账号。")


def _change_account(phone: str, operation: Callable[..., None], done: str, ends_sessions: bool = False) -> None:
    user = _account(phone)
    try:
        operation(db_session(), None, user, now())
    except DomainError as error:
        fail(error)
    if ends_sessions:
        end_sessions_of(user.id)
    if user.wechat_openid:
        after_commit(sync_staff_tag, user.wechat_openid)  # the staff menu follows
    unit_of_work().commit()
    click.echo(done.format(name=user.name, phone=user.phone))


@user_group.command("reset-password")
@click.argument("phone")
def user_reset_password(phone: str) -> None:
    """Print a one-time link to set a new password (the old one stops working, sessions end)."""
    user = _account(phone)
    try:
        issued = issue_password_link(db_session(), None, user, now())
    except DomainError as error:
        fail(error)
    end_sessions_of(user.id)
    unit_of_work().commit()
    until = local_time(issued.link.expires_at, current_app.config["TIMEZONE"])
    url = password_link(current_app.config["PUBLIC_BASE_URL"], issued.token)
    click.echo(f"{user.name}（{user.phone}）的原密码已失效，登录已全部退出。")
    click.echo(f"请把这个链接转告本人，{until} 前有效，只能用一次：")
    click.echo(url)


demo_group = AppGroup("demo", help="The demo county (示范区).")
cli.add_command(demo_group)


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="数据库里已有任何区县时什么也不做")
@click.option("--seed", type=int, default=demo.DEFAULT_SEED, show_default=True, help="随机种子")
def demo_load(if_empty: bool, seed: int) -> None:
    """Load the demo county with staff of every role and ~300 assets (fictional names only)."""
    session = db_session()
    if if_empty and districts(session):
        click.echo("数据库里已有数据，未加载示范数据。")
    else:
        try:
            loaded = demo.load_demo(session, media_storage(), now(), seed=seed)
        except DomainError as error:
            fail(error)
        unit_of_work().commit()
        click.echo(
            f"已加载示范数据：{loaded.district.name}，{len(loaded.villages)}个村，"
            f"{len(loaded.assets)}项资产，{len(loaded.users)}个账号，"
            f"近一年{loaded.records}条管护记录、{loaded.complaints}条群众反映。"
        )
    if demo.is_loaded(session):
        click.echo(f"打开 {current_app.config['PUBLIC_BASE_URL']} 登录，示范账号：")
        rows = [("角色", "区域", "手机号", "密码")]
        rows += [(a.title, a.place_text, a.phone, demo.PASSWORD) for a in demo.ACCOUNTS]
        echo_table(rows)


def echo_table(rows: list[tuple[str, ...]]) -> None:
    """Print rows as aligned columns; CJK characters take two columns in a terminal."""

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True))
        click.echo("  " + "  ".join(cells).rstrip())


wechat_group = AppGroup("wechat", help="The WeChat official account.")
menu_group = AppGroup("menu", help="The account's custom menu.")
wechat_group.add_command(menu_group)
cli.add_command(wechat_group)


@menu_group.command("push")
def wechat_menu_push() -> None:
    """Push the villagers' and the staff's menus (bot/menu.py) to WeChat (or to the sandbox's fake),
    and tag every bound member of staff so that they see theirs."""
    try:
        added, removed = push_menus(wechat_client(), set(reachable_staff_openids(db_session())))
    except WeChatError as error:
        raise click.ClickException(f"菜单没有推送成功：{error.message}") from error
    click.echo(f"菜单已推送：村民看到 {button_names(VILLAGER_MENU)}；工作人员看到 {button_names(STAFF_MENU)}。")
    click.echo(f"工作人员标签：新加{added}人，去掉{removed}人。")


register_group = AppGroup("register", help="The asset register (台账) as .xlsx.")
cli.add_command(register_group)


def _district(name: str | None) -> Region:
    """The district called `name`, or the only district when no name is given."""
    try:
        return district_named(db_session(), name)
    except DomainError as error:
        fail(error)


@register_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--district", "district_name", help="区县名称，如 示范区（只有一个区县时可省略）")
@click.option("--valid-only", is_flag=True, help="仅导入无误的行，其余行报告问题")
@click.option("--create-villages", is_flag=True, help="自动创建台账中出现而系统中没有的乡镇和村")
def register_import(path: str, district_name: str | None, valid_only: bool, create_villages: bool) -> None:
    """Import a register from an .xlsx file (ours, or a county's own)."""
    session = db_session()
    try:
        report = import_register(
            session,
            None,
            path,
            _district(district_name),
            now(),
            valid_only=valid_only,
            create_villages=create_villages,
        )
    except DomainError as error:
        fail(error)
    for note in report.notes:
        click.echo(note)
    for error in report.errors:
        click.echo(f"第{error.row}行「{error.column}」：{error.reason}", err=True)
    if report.refused:
        raise click.ClickException(report.summary)
    unit_of_work().commit()
    click.echo(report.summary)


@register_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--district", "district_name", help="区县名称，如 示范区（只有一个区县时可省略）")
def register_export(path: str, district_name: str | None) -> None:
    """Export a whole district's register to an .xlsx file."""
    session = db_session()
    district = _district(district_name)
    count = export_register(session, export_query(None, district), district, path)
    click.echo(f"已导出{count}项资产到 {path}。")


@cli.command("scheduler")
@click.option("--once", is_flag=True, help="每个定时任务运行一次后退出")
def scheduler_command(once: bool) -> None:
    """Run the scheduler (reminders, digests) as its own process: one per deployment."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        Runner(app).tick_all()
        return
    scheduler, runner = build_scheduler(app, blocking=True)
    click.echo(f"定时任务已启动（{runner.holder}），按 Ctrl+C 停止。")
    try:
        scheduler.start()
    finally:
        runner.release()


@cli.command("worker")
@click.option("--threads", type=int, default=None, help="同时处理的任务数（默认 GUANHU_QUEUE_WORKERS）")
def worker_command(threads: int | None) -> None:
    """Run the work queued after WeChat replies (photos, records, pushes): any number, on any host."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    workers = threads or app.config["QUEUE_WORKERS"]
    # An idle worker looks at a SQLite queue every 0.1 s, slowing to every 0.5 s (Redis blocks instead).
    consumer = background(app).huey.create_consumer(
        workers=workers, worker_type="thread", periodic=False, max_delay=0.5
    )
    click.echo(f"任务队列处理已启动（{workers}个线程），按 Ctrl+C 停止。")
    consumer.run()


PUBLIC_BASE_URL_VARIABLE = "GUANHU_PUBLIC_BASE_URL"


def served_address(host: str, port: int, https: bool) -> str:
    """The address the development server answers at (loopback when it listens on every interface)."""
    if host in ("0.0.0.0", "::"):  # noqa: S104  (naming the wildcard, not binding it)
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if https else 'http'}://{host}:{port}"


@click.pass_context
def _run_with_scheduler(ctx: click.Context, **options) -> None:
    """`guanhu run`: links and QR codes follow the address it serves unless GUANHU_PUBLIC_BASE_URL
    is set, and it also starts the scheduler when GUANHU_SCHEDULER_IN_PROCESS=1 (make run)."""
    address = served_address(options["host"], options["port"], https=options["cert"] is not None)
    os.environ.setdefault(PUBLIC_BASE_URL_VARIABLE, address)  # read by the app, and the reloader's child
    reload = options["reload"] if options["reload"] is not None else get_debug_flag()
    if os.environ.get(IN_PROCESS_FLAG) == "1" and (not reload or is_running_from_reloader()):
        start_in_process(ctx.ensure_object(ScriptInfo).load_app())
    ctx.invoke(run_command, **options)


def _run_command() -> click.Command:
    return click.Command(
        "run",
        params=run_command.params,
        callback=_run_with_scheduler,
        help=run_command.help,
        short_help=run_command.short_help,
    )


cli.add_command(_run_command())


cards_group = AppGroup("cards", help="Asset cards (资产卡).")
cli.add_command(cards_group)


@cards_group.command("print")
@click.option("--village", required=True, help="村名，如 石桥村")
@click.option("--district", help="区县名（村名在多个区县重名时）")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def cards_print(village: str, district: str | None, out: str) -> None:
    """Print a village's asset cards as A4 sheets (2 × 4 per page) to OUT (a PDF)."""
    session = db_session()
    try:
        found = village_named(session, village, district)
    except DomainError as error:
        fail(error)
    assets = village_cards(session, None, found.id)
    if not assets:
        raise click.ClickException(f"「{found.full_name}」还没有在用的资产。")
    sheets = sheets_pdf(
        ((asset, qr_text(asset)) for asset in assets),
        current_app.config["SUPERVISION_HOTLINE"],
        title=f"{found.full_name}资产卡",
    )
    unit_of_work().commit()  # WeChat QR codes made for the cards, if any
    with open(out, "wb") as handle:
        handle.write(sheets.pdf)
    click.echo(f"已生成 {out}：{found.full_name} {len(assets)} 张资产卡，{sheets.pages} 页A4。")


media_group = AppGroup("media", help="Stored photos and files.")
cli.add_command(media_group)


@media_group.command("migrate")
@click.option("--to", "target_url", required=True, help="目标存储桶，如 s3://guanhu-media/photos")
@click.option("--from", "source", type=click.Path(file_okay=False), help="本地媒体目录（默认 GUANHU_MEDIA_ROOT）")
def media_migrate(target_url: str, source: str | None) -> None:
    """Copy a local media folder into an S3-compatible bucket (resumable, verified by SHA-256)."""
    try:
        target = bucket_storage(current_app, target_url)
    except ValueError:
        raise click.ClickException("--to 应形如 s3://存储桶/前缀，例如 s3://guanhu-media/photos") from None
    folder = Path(source or current_app.config["MEDIA_ROOT"])
    if not folder.is_dir():
        raise click.ClickException(f"本地媒体目录 {folder} 不存在。")

    def progress(done: int) -> None:
        if done % 1000 == 0:
            click.echo(f"已处理 {done} 个文件……")

    result = migrate(LocalStorage(folder), target, progress)
    summary = result.summary(str(folder), target_url)
    if not result.ok:
        raise click.ClickException(summary)
    click.echo(summary)


@cli.command("backup")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def backup_command(out: Path) -> None:
    """Back up the database (a consistent dump) and the media into the new folder OUT."""
    _backup_step(backup, out, f"已备份到 {out}")


@cli.command("restore")
@click.argument("source", metavar="IN", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(source: Path) -> None:
    """Restore a backup folder IN into this deployment, whose database must be empty."""
    _backup_step(restore, source, f"已从 {source} 恢复")


def _backup_step(step: Callable[..., Summary], folder: Path, done: str) -> None:
    try:
        summary = step(current_app.config["DATABASE_URL"], media_storage(), folder)
    except BackupError as error:
        raise click.ClickException(error.message) from None
    except DomainError as error:  # the bucket cannot be reached
        fail(error)
    click.echo(summary.text(done))
