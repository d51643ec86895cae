"""Photos the public pages show, by their random token: the thumbnail, or the EXIF-free copy.

A key names its content (its SHA-256), so the hash is the ETag: a phone asking again whether its
copy is current is answered 304 without the file being read (from a bucket, a round trip saved).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, send_file

from infra.database import db_session
from infra.storage import media_storage
from models.photos import photo_by_token
from models.storage import key_digest

blueprint = Blueprint("photos", __name__)

KEPT_SECONDS = 86400


@blueprint.get("/p/<token>/<size>.jpg")
def photo(token: str, size: str) -> Response:
    if size not in ("thumb", "full"):
        abort(404)
    found = photo_by_token(db_session(), token)
    if found is None:
        abort(404)
    key = found.thumbnail_key if size == "thumb" else found.public_key
    etag = key_digest(key)
    if etag in request.if_none_match:
        unchanged = Response(status=304)
        unchanged.set_etag(etag)
        unchanged.cache_control.public, unchanged.cache_control.max_age = True, KEPT_SECONDS
        return unchanged
    try:
        stored = media_storage().open(key)
    except FileNotFoundError:
        abort(404)
    return send_file(stored, mimetype="image/jpeg", max_age=KEPT_SECONDS, etag=etag)
