"""Message handlers; importing this package registers every one of them with `bot.router.router`."""

from bot.handlers import assets, complaints, deadlines, fallback, help, maintenance, media, wechat  # noqa: F401
