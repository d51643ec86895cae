"""Photos the public pages show, by their random token: the thumbnail, or the EXIF-free copy."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_file

from infra.database import db_session
from infra.storage import media_storage
from models.photos import photo_by_token

blueprint = Blueprint("photos", __name__)


@blueprint.get("/p/<token>/<size>.jpg")
def photo(token: str, size: str) -> Response:
    if size not in ("thumb", "full"):
        abort(404)
    found = photo_by_token(db_session(), token)
    if found is None:
        abort(404)
    key = found.thumbnail_key if size == "thumb" else found.public_key
    try:
        stored = media_storage().open(key)
    except FileNotFoundError:
        abort(404)
    return send_file(stored, mimetype="image/jpeg", max_age=86400)
