"""Message handlers; importing this package registers every one of them with `bot.router.router`."""

from bot.handlers import (  # noqa: F401
    assets,
    complaints,
    deadlines,
    fallback,
    help,
    maintenance,
    media,
    subscriptions,
    wechat,
)
