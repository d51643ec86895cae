"""The two apps our WeChat endpoint is measured against (served by gunicorn in the bench).

`floor`: a bare Flask route answering a fixed XML reply (no signature, parsing or database).
`make_robot(session_file)`: WeRoBot's echo robot (checks the signature, parses, echoes the text),
with WeRoBot's default session storage (SQLite) in `session_file`, or without sessions when None.
"""

from __future__ import annotations

from flask import Flask, Response

TOKEN = "bench-token"  # noqa: S105  (a throwaway token for the bench)
FIXED_REPLY = (
    "<xml><ToUserName><![CDATA[o1]]></ToUserName><FromUserName><![CDATA[gh_bench]]></FromUserName>"
    "<CreateTime>1780000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[您好]]></Content></xml>"
)

floor = Flask("wechat_floor")


@floor.post("/wechat")
def fixed_reply() -> Response:
    return Response(FIXED_REPLY, mimetype="application/xml")


def make_robot(session_file: str | None = None):
    from werobot import WeRoBot
    from werobot.session.sqlitestorage import SQLiteStorage

    robot = WeRoBot(token=TOKEN, SESSION_STORAGE=SQLiteStorage(session_file) if session_file else False)

    @robot.text
    def echo(message):
        return message.content

    return robot.wsgi
