"""Who is this visitor: inside WeChat, their openid, learnt once and silently by OAuth (snsapi_base).

Pages that can use it (the complaint and objection forms, 我的反映, the maintenance form) send a visitor through
`learn_openid` once; the openid then lets us push an answer to them, or recognise bound staff.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Response, abort, current_app, redirect, request, session, url_for
from flask_limiter.util import get_remote_address

from bot.client import WeChatError, wechat_client

blueprint = Blueprint("visitors", __name__)
log = logging.getLogger("guanhu.web")

VISITOR_KEY = "visitor_openid"  # the WeChat openid learnt by snsapi_base
OAUTH_KEY = "visitor_oauth"  # {state, next} while OAuth is under way; "tried" after a failure
RETURN_PATHS = ("/a/", "/v/", "/mine")  # where OAuth may send the visitor back to


def visitor_openid() -> str | None:
    return session.get(VISITOR_KEY)


def visitor_key() -> str:
    """Who the visitor is for rate limits: their openid, else their address."""
    return visitor_openid() or get_remote_address()


def learn_openid() -> Response | None:
    """Inside WeChat, send the visitor once through snsapi_base so the answer can be pushed to them."""
    if visitor_openid() or session.get(OAUTH_KEY) == "tried":
        return None
    if "MicroMessenger" not in request.user_agent.string or not current_app.config.get("WECHAT_APPID"):
        return None
    state = secrets.token_urlsafe(12)
    session[OAUTH_KEY] = {"state": state, "next": request.path}
    back = current_app.config["PUBLIC_BASE_URL"] + url_for("visitors.oauth_return")
    return redirect(wechat_client().oauth(back, state).authorize_url)


@blueprint.get("/wx/oauth")
def oauth_return() -> Response:
    pending = session.get(OAUTH_KEY)
    if not isinstance(pending, dict) or not secrets.compare_digest(pending["state"], request.args.get("state", "")):
        abort(400)
    session[OAUTH_KEY] = "tried"
    code = request.args.get("code", "")
    if code:
        try:
            session[VISITOR_KEY] = wechat_client().openid_from_code(code)
        except WeChatError as error:
            log.warning("oauth: no openid (%s)", error.message)
    return redirect(pending["next"] if pending["next"].startswith(RETURN_PATHS) else "/")
