"""复核: a town official's list of its villages' year-end self-evaluations and the review of one,
item by item, on the phone or the web."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from bot.after_commit.evaluation_results import push_reviewed
from infra.clock import now, timezone, today
from infra.database import after_commit, db_session
from models.errors import Invalid
from models.evaluations.entities import VillageEvaluation
from models.evaluations.results import check_year
from models.evaluations.review import Answer, get_for_review, get_reviewed, review, town_villages
from models.evaluations.scoring import town_standing
from models.people import Role
from web.auth import staff

blueprint = Blueprint("evaluation_review", __name__, url_prefix="/evaluations/review")

# Where each role reviews, scores or rates the year's evaluations (the menu's link).
DESKS = {
    Role.TOWN_OFFICIAL: ("evaluation_review.index", "复核各村自评"),
    Role.DISTRICT_ADMIN: ("evaluation_rating.index", "评定各乡镇"),
    Role.DEPARTMENT: ("evaluation_rating.department", "本行业评分"),
}


@blueprint.app_context_processor
def _review_desk() -> dict[str, tuple[str, str] | None]:
    user = current_user.user if current_user.is_authenticated else None
    return {"review_desk": DESKS.get(user.role) if user is not None and user.active else None}


def requested_year() -> int:
    """The year asked for (this year by default: the review is December's)."""
    this_year = today().year
    text = request.values.get("year", str(this_year))
    year = int(text) if text.isascii() and text.isdigit() else 0
    check_year(year, this_year)
    return year


@blueprint.get("")
@login_required
def index():
    year = requested_year()
    return render_template(
        "evaluations/review_list.html", year=year, villages=town_villages(db_session(), staff(), year)
    )


@blueprint.get("/<int:evaluation_id>")
@login_required
def form(evaluation_id: int):
    return _form(get_for_review(db_session(), staff(), evaluation_id), {}, {}, 200)


@blueprint.get("/<int:evaluation_id>/result")
@login_required
def result(evaluation_id: int):
    """The review as the village sees it (linked from the push)."""
    return _form(get_reviewed(db_session(), staff(), evaluation_id), {}, {}, 200, read_only=True)


def _form(evaluation: VillageEvaluation, errors: dict, typed: dict, status: int, read_only: bool = False):
    return render_template(
        "evaluations/review_form.html",
        evaluation=evaluation,
        errors=errors,
        typed=typed,
        standing=town_standing,
        read_only=read_only,
    ), status


@blueprint.post("/<int:evaluation_id>")
@login_required
def submit(evaluation_id: int):
    session, actor = db_session(), staff()
    evaluation = get_for_review(session, actor, evaluation_id)
    answers = {
        score.id: Answer(request.form.get(f"score-{score.id}", ""), request.form.get(f"reason-{score.id}", ""))
        for score in evaluation.scores
    }
    try:
        review(session, actor, evaluation, answers, timezone=timezone(), now=now())
    except Invalid as invalid:
        return _form(evaluation, invalid.fields, request.form.to_dict(), 422)
    after_commit(push_reviewed, evaluation.id)
    flash(f"已复核：{evaluation.village.name} {evaluation.score}分，等次「{evaluation.grade.label}」。")
    return redirect(url_for("evaluation_review.index", year=evaluation.year))
