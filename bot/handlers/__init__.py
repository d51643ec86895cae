"""Message handlers; importing this package registers every one of them with `bot.router.router`."""

from bot.handlers import binding, fallback, field, help, media, scan, subscription, tasks  # noqa: F401
