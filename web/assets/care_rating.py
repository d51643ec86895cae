"""评价管护: from an asset's public page, a villager says once a year how well it is cared for.
Inside WeChat the answer is keyed by their openid (learnt silently); outside, by this browser, and
each address may answer only a few times a day."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from infra.clock import now, today
from infra.database import db_session
from models.errors import Invalid
from models.evaluations.care_ratings import AlreadyRated, care_counts, rate_care
from web.assets.public import found_asset
from web.security import limiter
from web.wechat.visitors import learn_openid, visitor_key, visitor_openid

blueprint = Blueprint("care_rating", __name__)
DEVICE_KEY = "care_device"  # a random token kept in this browser's (signed) session cookie
CHOICES = (("satisfied", "满意"), ("mostly_satisfied", "基本满意"), ("unsatisfied", "不满意"))


@blueprint.get("/a/<token>/care")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def form(token: str):
    found = found_asset(token)
    learn = learn_openid()
    if learn:
        return learn
    return _page(found, {}, {}, 200)


def _page(found, form, errors: dict[str, str], status: int, message: str | None = None):
    return render_template(
        "assets/care_rating.html",
        asset=found,
        counts=care_counts(db_session(), found.id, today().year),
        choices=CHOICES,
        form=form,
        errors=errors,
        message=message,
        year=today().year,
    ), status


@blueprint.post("/a/<token>/care")
@limiter.limit(lambda: current_app.config["CARE_RATING_RATE_LIMIT"], key_func=visitor_key)
def rate(token: str):
    found = found_asset(token)
    device = session.setdefault(DEVICE_KEY, secrets.token_urlsafe(16))
    try:
        rate_care(
            db_session(),
            found,
            rating=request.form.get("rating", ""),
            word=request.form.get("word", ""),
            openid=visitor_openid(),
            device_token=device,
            year=today().year,
            now=now(),
        )
    except Invalid as invalid:
        return _page(found, request.form, invalid.fields, 422)
    except AlreadyRated as already:
        return _page(found, {}, {}, 409, already.message)
    return redirect(url_for("care_rating.form", token=token, thanks=1), 303)
