"""The templates of the sandbox's fake official account (公众平台 → 模板消息 / 订阅通知 → 我的模板).

The fake accepts sends of these and no others (WeChat answers 40037 to a template id the account
does not have), with their fields only, each within its type's length (47003 otherwise). The
app's settings use these ids when the sandbox is on and no template is configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.settings import SANDBOX_TEMPLATE_IDS


@dataclass(frozen=True)
class Template:
    title: str
    fields: tuple[str, ...]  # the keywords, e.g. thing1 (their type is the name without digits)
    subscribe: bool  # a 订阅通知 template (bizsend), else a 模板消息 template


REMINDER_FIELDS = ("thing1", "time2", "phrase3", "thing4")

TEMPLATES = {
    SANDBOX_TEMPLATE_IDS["reminder"]: Template("待办事项提醒", REMINDER_FIELDS, subscribe=False),
    SANDBOX_TEMPLATE_IDS["reminder_subscribe"]: Template("待办事项提醒", REMINDER_FIELDS, subscribe=True),
    SANDBOX_TEMPLATE_IDS["complaint_answer"]: Template(
        "反映办理结果通知", ("character_string1", "phrase2", "time3"), subscribe=False
    ),
    SANDBOX_TEMPLATE_IDS["damage_report"]: Template("资产损毁报告", ("thing1", "phrase2", "time3"), subscribe=False),
}


def subscribe_templates() -> dict[str, Template]:
    """The 订阅通知 templates a person can accept or refuse on the simulated phone."""
    return {template_id: template for template_id, template in TEMPLATES.items() if template.subscribe}
