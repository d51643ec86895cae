"""我的任务: what a staff member should see to, as the domain defines it (`models.deadlines.tasks`)."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.replies import STAFF_ONLY, Reply
from bot.router import Context, router
from models.deadlines.tasks import NAMES_SHOWN, AssetsNeedingCare, MyTasks, Task, waiting_for

NOTHING_TO_DO = "{name}您好，目前没有要处理的事。"
TASKS_HEADER = "{name}您好，要处理的事："
DEADLINES_SHOWN = 8  # a text reply stays short; the web page lists them all
MORE_DEADLINES = "另有{count}项，请在网页“我的任务”中查看"


# The evaluation's steps link to their page in the chat too (the subject's kind → its path).
EVALUATION_PATHS = {
    "targets": "/evaluations/{year}/targets",
    "self_check": "/evaluations/{year}/self-check",
    "self_evaluation": "/evaluations/{year}/self-evaluation",
}


def deadline_line(task: Task, public_base_url: str = "") -> str:
    deadline = task.deadline
    if task.escalated:
        line = f"【督办】{deadline.title}（{task.owner}，{task.state}）"
    else:
        line = f"{deadline.title}（{task.state}）"
    if public_base_url and task.subject is not None and task.subject.kind in EVALUATION_PATHS:
        path = EVALUATION_PATHS[task.subject.kind].format(year=task.subject.id)
        line += f" {task.subject.action}：{public_base_url}{path}"
    return line


def assets_line(group: AssetsNeedingCare) -> str:
    more = "等" if group.count > NAMES_SHOWN else ""
    return f"{group.label}{group.count}处：{'、'.join(group.names)}{more}"


def task_lines(tasks: MyTasks, public_base_url: str = "") -> list[str]:
    lines = [deadline_line(task, public_base_url) for task in tasks.deadlines[:DEADLINES_SHOWN]]
    if len(tasks.deadlines) > DEADLINES_SHOWN:
        lines.append(MORE_DEADLINES.format(count=len(tasks.deadlines) - DEADLINES_SHOWN))
    return lines + [assets_line(group) for group in tasks.assets]


@router.command("我的任务", "任务")
@router.click("MY_TASKS")
def my_tasks(message: BaseMessage, ctx: Context) -> Reply:
    staff = ctx.staff()
    if staff is None:
        return STAFF_ONLY
    tasks = waiting_for(ctx.session, staff, ctx.today)
    if tasks.empty:
        return NOTHING_TO_DO.format(name=staff.name)
    return "\n".join([TASKS_HEADER.format(name=staff.name), *task_lines(tasks, ctx.public_base_url)])
