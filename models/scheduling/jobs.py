"""The scheduled jobs by name and the lease the one scheduler holds."""

from __future__ import annotations

SCHEDULER_LEASE = "scheduler"  # the lease the one scheduler process holds


# The scheduled jobs by name, in the order they run each tick, with the names staff read.
JOB_LABELS = {
    "calendars": "生成年度任务",
    "notices": "公示期满定结果",  # before the sources: a decided notice's deadline closes
    "sources": "同步办理时限",  # before the pushes that read them
    "urgent": "紧急事项推送",
    "digests": "每日提醒推送",
    "retries": "重发推送",
    "claims": "清理消息去重记录",
    "marks": "清理过期计数",
}

# The work queued after a WeChat reply, by its function's name, with the names staff read.
QUEUED_JOB_LABELS = {
    "fetch_photo": "下载微信照片",
    "save_when_ready": "保存管护记录",
    "push_damage_report": "推送损毁报告",
    "sync_staff_tag": "更新员工菜单",
    "count_bind_failure": "记录绑定码错误",
    "tell": "发送消息",
}
