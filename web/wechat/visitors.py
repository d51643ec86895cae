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


def inside_wechat() -> bool:
    """Whether the page was opened in WeChat's own browser (and there is an account to ask)."""
    return "MicroMessenger" in request.user_agent.string and bool(current_app.config.get("WECHAT_APPID"))


def learn_openid() -> Response | None:
    """Inside WeChat, send the visitor once through snsapi_base so the answer can be pushed to them."""
    if visitor_openid() or session.get(OAUTH_KEY) == "tried" or not inside_wechat():
        return None
    return start_oauth(OAUTH_KEY, request.path, "visitors.oauth_return")


def start_oauth(pending_key: str, next_path: str, return_endpoint: str) -> Response:
    """Send the visitor through WeChat's silent OAuth (snsapi_base), to come back to `return_endpoint`,
    which reads the openid with `finish_oauth(pending_key)`."""
    state = secrets.token_urlsafe(12)
    session[pending_key] = {"state": state, "next": next_path}
    back = current_app.config["PUBLIC_BASE_URL"] + url_for(return_endpoint)
    return redirect(wechat_client().oauth(back, state).authorize_url)


def finish_oauth(pending_key: str) -> tuple[str | None, str]:
    """The openid WeChat's OAuth gave (None when it failed) and the path the visitor set out from.
    A return that was not started here, or with a state that does not match, is refused."""
    pending = session.get(pending_key)
    if not isinstance(pending, dict) or not secrets.compare_digest(pending["state"], request.args.get("state", "")):
        abort(400)
    session.pop(pending_key)
    code = request.args.get("code", "")
    if code:
        try:
            return wechat_client().openid_from_code(code), pending["next"]
        except WeChatError as error:
            log.warning("oauth: no openid (%s)", error.message)
    return None, pending["next"]


@blueprint.get("/wx/oauth")
def oauth_return() -> Response:
    openid, next_path = finish_oauth(OAUTH_KEY)
    session[OAUTH_KEY] = "tried"
    if openid:
        session[VISITOR_KEY] = openid
    return redirect(next_path if next_path.startswith(RETURN_PATHS) else "/")
