"""Field sessions: a staff member's chat tied to one asset for 30 minutes, collecting a record.

A bound staff member scans an asset's card (or picks it from 我的资产); for the next 30 minutes
(renewed by every message) their photos and words belong to that asset. The kind is chosen by a
number or a word; photos arrive as WeChat media ids and are fetched after the reply; when the
record is complete it is saved with `record_maintenance`, all photos or none.

The photo rows are written by background jobs while messages keep arriving, so every step that
changes a session starts with a write (`open_session`'s UPDATE), which takes the row lock on
PostgreSQL and the write lock on SQLite: one person's messages apply one after another.
"""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image, UnidentifiedImageError
from sqlalchemy import (
    delete,
    exists,
    select,
    update,
)
from sqlalchemy.orm import Session

from models.access import require_can_record_maintenance
from models.assets.entities import Asset, AssetStatus
from models.errors import DomainError, Invalid
from models.maintenance.entities import (
    RULES,
    EvidenceRules,
    FieldPhoto,
    FieldSession,
    MaintenanceKind,
    MaintenanceRecord,
    PhotoState,
    SessionState,
)
from models.maintenance.operations import record_maintenance
from models.people import User
from models.photos import FORMATS, MAX_BYTES, PhotoRejected, inspect_photo
from models.storage import MediaStorage

LIFETIME = dt.timedelta(minutes=30)


ASSETS_OFFERED = 15  # 我的资产 lists at most this many (a passive reply is cut at 2048 bytes)


FINISH_WORDS = ("完成", "好了", "提交", "保存")


def lock(session: Session, openid: str, now: dt.datetime) -> None:
    """Renew the person's open session for another 30 minutes, as the transaction's first write.

    It takes the row lock on PostgreSQL and the write lock on SQLite before anything is read
    (SQLite refuses a transaction that read, then writes after another one committed).
    """
    session.execute(
        update(FieldSession)
        .where(FieldSession.openid == openid, FieldSession.expires_at > now)
        .values(expires_at=now + LIFETIME)
        .execution_options(synchronize_session=False)
    )


def open_session(session: Session, openid: str, now: dt.datetime) -> FieldSession | None:
    """The person's open session, renewed for another 30 minutes; None when there is none."""
    lock(session, openid, now)
    found = session.scalar(select(FieldSession).where(FieldSession.openid == openid))
    if found is not None:
        session.refresh(found)
        if found.expires_at <= now:
            session.delete(found)
            session.flush()
            return None
    return found


def start(session: Session, user: User, asset: Asset, openid: str, now: dt.datetime) -> FieldSession:
    """Tie the person's next photos and words to `asset`; an unfinished session is dropped."""
    require_can_record_maintenance(user, asset)
    return _new_session(session, user, openid, now, asset=asset)


def offer_assets(session: Session, user: User, openid: str, now: dt.datetime) -> FieldSession:
    """Start a session that waits for the person to pick one of their village's assets by number."""
    assets = list(
        session.scalars(
            select(Asset)
            .where(Asset.village_id == user.region_id, Asset.status != AssetStatus.DISPOSED)
            .order_by(Asset.code)
            .limit(ASSETS_OFFERED)
        )
    )
    return _new_session(session, user, openid, now, choices=[asset.id for asset in assets])


def _new_session(
    session: Session,
    user: User,
    openid: str,
    now: dt.datetime,
    *,
    asset: Asset | None = None,
    choices: list[int] | None = None,
) -> FieldSession:
    session.execute(delete(FieldSession).where(FieldSession.openid == openid))
    field = FieldSession(
        openid=openid,
        user_id=user.id,
        asset=asset,
        choices=choices or [],
        state=SessionState.COLLECTING,
        started_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(field)
    session.flush()
    return field


def offered_assets(session: Session, field: FieldSession) -> list[Asset]:
    by_id = {asset.id: asset for asset in session.scalars(select(Asset).where(Asset.id.in_(field.choices)))}
    return [by_id[asset_id] for asset_id in field.choices if asset_id in by_id]


def choose_asset(session: Session, field: FieldSession, number: int) -> Asset | None:
    """Tie the session to the `number`-th offered asset; None when there is no such number."""
    offered = offered_assets(session, field)
    if not 1 <= number <= len(offered):
        return None
    asset = offered[number - 1]
    require_can_record_maintenance(field.user, asset)
    field.asset, field.choices = asset, []
    session.flush()
    return asset


def parse_kind(text: str) -> MaintenanceKind | None:
    """The kind named by a reply: its number (1–4), its word, or both ("1 日常巡查")."""
    words = "".join(text.split()).translate(str.maketrans("１２３４", "1234"))
    kinds = list(MaintenanceKind)
    for number, kind in enumerate(kinds, start=1):
        if words in (str(number), kind.label, f"{number}{kind.label}", kind.value):
            return kind
    return None


def is_finish_word(text: str) -> bool:
    return "".join(text.split()).rstrip("。!！") in FINISH_WORDS


def set_kind(session: Session, field: FieldSession, kind: MaintenanceKind) -> None:
    field.kind = kind
    session.flush()


def add_notes(session: Session, field: FieldSession, text: str, rules: EvidenceRules = RULES) -> None:
    """Add a few words to the record (several messages are joined)."""
    text = text.strip()
    notes = f"{field.notes}\n{text}" if field.notes else text
    if len(notes) > rules.max_notes:
        raise Invalid({"notes": f"说明不能超过{rules.max_notes}个字。"}, f"说明太长了，最多{rules.max_notes}个字。")
    field.notes = notes
    session.flush()


class TooManyPhotos(DomainError):
    pass


def add_photo(
    session: Session, field: FieldSession, media_id: str, now: dt.datetime, rules: EvidenceRules = RULES
) -> FieldPhoto | None:
    """Note a photo sent by media id (fetched later); None when this media id was noted before."""
    if any(photo.media_id == media_id for photo in field.photos):
        return None
    if len(field.live_photos()) >= rules.max_photos:
        raise TooManyPhotos(f"一条记录最多{rules.max_photos}张照片，这张没有收下。")
    photo = FieldPhoto(media_id=media_id, number=len(field.photos) + 1, state=PhotoState.PENDING, received_at=now)
    field.photos.append(photo)
    session.flush()
    return photo


def photo_suffix(data: bytes) -> str:
    """The file suffix of a photo from its first bytes (the full check is made when saving)."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected(f"照片太大了，单张不能超过{MAX_BYTES // 1024 // 1024}MB。")
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            return FORMATS[image.format]
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise PhotoRejected("这不是可以识别的照片，请重新拍一张发来。") from None


def photo_arrived(session: Session, photo_id: int, storage_key: str | None) -> bool:
    """Record a fetched photo (or, with no key, one that could not be fetched); False when its
    session is gone. A single UPDATE, so it is the transaction's first write."""
    state = PhotoState.READY if storage_key else PhotoState.FAILED
    result = session.execute(
        update(FieldPhoto)
        .where(FieldPhoto.id == photo_id, FieldPhoto.state == PhotoState.PENDING)
        .values(state=state, storage_key=storage_key)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def await_resend(session: Session, field_session_id: int) -> None:
    """A photo of a submitted record could not be taken: the record waits for the sender again."""
    session.execute(
        update(FieldSession)
        .where(FieldSession.id == field_session_id, FieldSession.state == SessionState.SUBMITTED)
        .values(state=SessionState.COLLECTING)
        .execution_options(synchronize_session=False)
    )


def submit(session: Session, field: FieldSession) -> None:
    """The record is complete: save it as soon as every photo has arrived."""
    field.state = SessionState.SUBMITTED
    session.flush()


def claim_for_saving(session: Session, field_session_id: int) -> bool:
    """True for exactly one caller, once the session is submitted and no photo is still arriving.

    Called after each change is committed (a photo arrived, the record was submitted): the last
    of them finds nothing pending, and the conditional UPDATE lets only one of them through.
    """
    pending = exists().where(FieldPhoto.field_session_id == FieldSession.id, FieldPhoto.state == PhotoState.PENDING)
    result = session.execute(
        update(FieldSession)
        .where(FieldSession.id == field_session_id, FieldSession.state == SessionState.SUBMITTED, ~pending)
        .values(state=SessionState.SAVING)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def take_for_saving(session: Session, field_session_id: int, now: dt.datetime) -> FieldSession:
    """The session just claimed for saving (`claim_for_saving`), locked first (its renewal is the
    transaction's first write) and then read afresh."""
    session.execute(
        update(FieldSession)
        .where(FieldSession.id == field_session_id)
        .values(expires_at=now + LIFETIME)
        .execution_options(synchronize_session=False)
    )
    return session.get_one(FieldSession, field_session_id, populate_existing=True)


def save(
    session: Session, storage: MediaStorage, field: FieldSession, now: dt.datetime, timezone: str
) -> MaintenanceRecord:
    """Save the record with every photo that arrived, and end the session.

    Raises (with nothing kept) when the sender may no longer record this asset, a photo is
    refused or the record is invalid; `reopen` then lets the sender fix it.
    """
    photos, missing = [], []
    for photo in field.ready_photos():
        try:
            with storage.open(photo.storage_key) as handle:
                photos.append(handle.read())
        except FileNotFoundError:
            missing.append(photo.number)
    if missing:
        raise PhotosMissing(missing)
    record = record_maintenance(
        session,
        storage,
        field.user,
        field.asset,
        kind=field.kind,
        photos=photos,
        now=now,
        timezone=timezone,
        notes=field.notes,
    )
    session.delete(field)
    session.flush()
    return record


class PhotosMissing(DomainError):
    """Photos noted as arrived are not in the store (a host kept them in a folder of its own)."""

    def __init__(self, numbers: list[int]):
        super().__init__(f"第{'、'.join(map(str, numbers))}张照片找不到了，已去掉。")
        self.numbers = numbers


def refused_photo_numbers(storage: MediaStorage, field: FieldSession) -> list[int]:
    """Numbers of the received photos that the full check refuses (after `save` raised)."""
    refused = []
    for photo in field.ready_photos():
        with storage.open(photo.storage_key) as handle:
            try:
                inspect_photo(handle.read())
            except PhotoRejected:
                refused.append(photo.number)
    return refused


def reopen(session: Session, field_session_id: int, drop_numbers: list[int]) -> FieldSession | None:
    """Back to collecting after a failed save, without the photos that were refused."""
    field = session.get(FieldSession, field_session_id)
    if field is None:
        return None
    for photo in list(field.photos):
        if photo.number in drop_numbers:
            photo.state = PhotoState.FAILED
    field.state = SessionState.COLLECTING
    session.flush()
    return field


def end(session: Session, field_session_id: int) -> None:
    session.execute(delete(FieldSession).where(FieldSession.id == field_session_id))
