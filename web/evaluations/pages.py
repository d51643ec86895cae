"""The village's evaluation on the phone and the web: a year's self-check or self-evaluation across
one's villages, the clerk's form item by item, the two supervisors' signatures (or sending it
back), and reopening after a signature. Pushes follow once the step has committed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from bot.after_commit.evaluations import push_evaluation_step
from infra.clock import now, timezone, today
from infra.database import after_commit, db_session
from infra.storage import media_storage
from models.deadlines.tasks import Subject
from models.errors import Invalid, NotFound
from models.evaluations.entities import Stage, Status, VillageEvaluation
from models.evaluations.form import (
    ScoreEntry,
    open_evaluation,
    problems_before_signing,
    refresh_proposals,
    save_scores,
    submit,
)
from models.evaluations.overview import get_visible_evaluation, openable_evidence, stage_overview
from models.evaluations.recipients import REOPENED, REPORTED, SENT_BACK, TO_SIGN
from models.evaluations.results import check_year
from models.evaluations.rules import TARGET_LABELS
from models.evaluations.scans import store_scan
from models.evaluations.signing import reopen, send_back, sign
from models.evaluations.targets import target_of
from models.people import Role
from models.regions import Region, RegionLevel
from web.auth import staff
from web.deadlines import subject_url

blueprint = Blueprint("evaluation_pages", __name__, url_prefix="/evaluations")
STAGES = {"self-check": Stage.SELF_CHECK, "self-evaluation": Stage.SELF_EVALUATION}
STAGE_PATHS = {stage: path for path, stage in STAGES.items()}


@blueprint.app_template_global()
def stage_path(stage: Stage) -> str:
    return STAGE_PATHS[stage]


@blueprint.app_template_global()
def evidence_url(kind: str, record_id: int) -> str:
    """The page of a record behind a proposed score: an asset, a damage report, a complaint."""
    return subject_url(Subject(kind, record_id, ""))


@blueprint.app_context_processor
def _target_labels() -> dict:
    return {"target_labels": TARGET_LABELS}


@blueprint.app_template_global()
def this_year() -> int:
    return today().year


def _stage(path: str) -> Stage:
    if path not in STAGES:
        raise NotFound()
    return STAGES[path]


@blueprint.get("/<int:year>/self-check", defaults={"path": "self-check"}, endpoint="self_check_page")
@blueprint.get("/<int:year>/self-evaluation", defaults={"path": "self-evaluation"}, endpoint="self_evaluation_page")
@login_required
def stage_page(year: int, path: str):
    check_year(year, today().year)
    session, actor, stage = db_session(), staff(), _stage(path)
    rows = stage_overview(session, actor, year, stage)
    if actor.role.region_level is RegionLevel.VILLAGE and rows and rows[0][1] is not None:
        return redirect(url_for("evaluation_pages.form", evaluation_id=rows[0][1].id))
    return render_template(
        "evaluations/stage.html", year=year, stage=stage, rows=rows, may_start=actor.role is Role.VILLAGE_CLERK
    )


@blueprint.post("/<int:year>/<path>/start")
@login_required
def start(year: int, path: str):
    check_year(year, today().year)
    session, actor = db_session(), staff()
    village = session.get_one(Region, actor.region_id)
    evaluation = open_evaluation(session, actor, village, year, _stage(path), now=now(), timezone=timezone())
    return redirect(url_for("evaluation_pages.form", evaluation_id=evaluation.id), 303)


@blueprint.get("/form/<int:evaluation_id>")
@login_required
def form(evaluation_id: int):
    return _form_page(evaluation_id, {}, 200)


def _form_page(evaluation_id: int, errors: dict[str, str], status: int, entered: dict | None = None):
    session, actor = db_session(), staff()
    evaluation = get_visible_evaluation(session, actor, evaluation_id)
    clerk = actor.role is Role.VILLAGE_CLERK and actor.region_id == evaluation.village_id
    if clerk and evaluation.editable and not errors:
        refresh_proposals(session, evaluation, now=now(), timezone=timezone())
    signed = {s.user_id for s in evaluation.valid_signatures}
    signer = actor.village_post is not None and actor.region_id == evaluation.village_id
    return render_template(
        "evaluations/form.html",
        evaluation=evaluation,
        target=target_of(session, evaluation.village, evaluation.year),
        openable=openable_evidence(session, actor, evaluation),
        clerk=clerk,
        may_sign=signer and evaluation.status is Status.SIGNING and actor.id not in signed,
        may_reopen=_may_reopen(actor, evaluation),
        remaining=problems_before_signing(evaluation) if clerk and evaluation.editable else {},
        errors=errors,
        entered=entered or {},
    ), status


def _may_reopen(actor, evaluation: VillageEvaluation) -> bool:
    if actor.role not in (Role.VILLAGE_CLERK, Role.TOWN_OFFICIAL, Role.DISTRICT_ADMIN):
        return False
    if evaluation.status is Status.SIGNING:
        return bool(evaluation.valid_signatures)
    return evaluation.status in (Status.ON_NOTICE, Status.REPORTED)


def _entries() -> dict[int, ScoreEntry]:
    entries = {}
    for name in request.form:
        if name.startswith("score-") and name[6:].isdigit():
            key = name[6:]
            entries[int(key)] = ScoreEntry(
                request.form.get(name, ""),
                request.form.get(f"reason-{key}", ""),
                request.form.get(f"shortfall-{key}", ""),
            )
    return entries


@blueprint.post("/form/<int:evaluation_id>/scores")
@login_required
def save(evaluation_id: int):
    session, actor = db_session(), staff()
    evaluation = get_visible_evaluation(session, actor, evaluation_id)
    try:
        changed = save_scores(session, actor, evaluation, _entries(), now())
        if request.form.get("then") == "submit":
            submit(session, actor, evaluation, now())
            after_commit(push_evaluation_step, evaluation.id, TO_SIGN)
            flash("已提交，等待村务监督委员会主任和合作社监事会主任签字。")
        else:
            flash(f"已保存{changed}项。")
    except Invalid as invalid:
        return _form_page(evaluation_id, invalid.fields, 422, request.form)
    return redirect(url_for("evaluation_pages.form", evaluation_id=evaluation.id), 303)


@blueprint.post("/form/<int:evaluation_id>/sign")
@login_required
def sign_page(evaluation_id: int):
    session, actor = db_session(), staff()
    evaluation = get_visible_evaluation(session, actor, evaluation_id)
    try:
        upload = request.files.get("scan")
        scan_key = store_scan(media_storage(), upload.read() if upload else None)
        sign(session, actor, evaluation, scan_key=scan_key, today=today(), now=now())
    except Invalid as invalid:
        return _form_page(evaluation_id, invalid.fields, 422)
    if evaluation.status is Status.REPORTED:
        after_commit(push_evaluation_step, evaluation.id, REPORTED)
    flash(f"已签字（{evaluation.status.label}）。")
    return redirect(url_for("evaluation_pages.form", evaluation_id=evaluation.id), 303)


@blueprint.post("/form/<int:evaluation_id>/send-back")
@login_required
def send_back_page(evaluation_id: int):
    session, actor = db_session(), staff()
    evaluation = get_visible_evaluation(session, actor, evaluation_id)
    try:
        send_back(session, actor, evaluation, request.form.get("reason", ""), now())
    except Invalid as invalid:
        return _form_page(evaluation_id, invalid.fields, 422)
    after_commit(push_evaluation_step, evaluation.id, SENT_BACK)
    flash("已退回村干部修改。")
    return redirect(url_for("evaluation_pages.form", evaluation_id=evaluation.id), 303)


@blueprint.post("/form/<int:evaluation_id>/reopen")
@login_required
def reopen_page(evaluation_id: int):
    session, actor = db_session(), staff()
    evaluation = get_visible_evaluation(session, actor, evaluation_id)
    try:
        told = reopen(session, actor, evaluation, request.form.get("reason", ""), now())
    except Invalid as invalid:
        return _form_page(evaluation_id, invalid.fields, 422)
    after_commit(push_evaluation_step, evaluation.id, REOPENED, *told)
    flash("已重新打开，原签字作废。")
    return redirect(url_for("evaluation_pages.form", evaluation_id=evaluation.id), 303)


@blueprint.get("/form/<int:evaluation_id>/signatures/<int:signature_id>/scan")
@login_required
def scan(evaluation_id: int, signature_id: int):
    evaluation = get_visible_evaluation(db_session(), staff(), evaluation_id)
    signature = next((s for s in evaluation.signatures if s.id == signature_id and s.scan_key), None)
    if signature is None:
        abort(404)
    with media_storage().open(signature.scan_key) as handle:
        data = handle.read()
    mimetype = "application/pdf" if signature.scan_key.endswith(".pdf") else "image/jpeg"
    return Response(data, mimetype=mimetype, headers={"X-Content-Type-Options": "nosniff"})
