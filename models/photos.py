"""Photos as evidence: checked by content, originals kept untouched, public copies without EXIF.

`inspect_photo` reads untrusted bytes and either refuses them with a Chinese reason or returns what
we need to keep: the SHA-256 of the original, capture time and GPS from EXIF, a perceptual hash,
an orientation-fixed thumbnail and a public copy re-encoded without metadata. `store_photo` saves
the files through the storage interface and writes the Photo row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import secrets
import warnings
from dataclasses import dataclass
from decimal import Decimal

import imagehash
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UTCDateTime, instant, intpk
from models.errors import DomainError
from models.storage import MediaStorage

pillow_heif.register_heif_opener()

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # what a file may say it holds (a JPEG is decoded smaller, see _decode)
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# What decoding may cost, in pixels decoded: per photo (an iPhone's 24-megapixel HEIC fits; a
# 7000×7000 PNG, 143 KB on disk and ~450 MB and 4 s to decode, does not), and per request, for
# all its photos together (about four such photos; phone JPEGs cost a tenth of that each).
MAX_DECODED_PIXELS = 25_000_000
MAX_REQUEST_DECODED_PIXELS = 100_000_000
FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "HEIF": ".heic"}
THUMBNAIL_SIDE = 320
PUBLIC_SIDE = 1600
# A perceptual hash is split into four 16-bit bands; two hashes within NEAR_DISTANCE bits share a
# band exactly (pigeonhole), so near-duplicate candidates come from an indexed equality lookup.
NEAR_DISTANCE = 3
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, DATETIME = 0x9003, 0x0132


class PhotoRejected(DomainError):
    status = 415


@dataclass(frozen=True)
class PhotoFacts:
    sha256: str
    format: str
    width: int
    height: int
    taken_at: dt.datetime | None  # naive local camera time becomes UTC+8 (China), see _taken_at
    latitude: Decimal | None
    longitude: Decimal | None
    phash: str
    thumbnail: bytes
    public_copy: bytes


def inspect_photo(data: bytes) -> PhotoFacts:
    """Check untrusted bytes by content and derive what we keep, or raise PhotoRejected."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected(f"照片太大了，单张不能超过{MAX_BYTES // 1024 // 1024}MB。")
    if not data:
        raise PhotoRejected("照片是空的，请重新拍一张。")
    image, (width, height) = _decode(data)
    exif = image.getexif()
    upright = ImageOps.exif_transpose(image)
    if upright is not image and upright.size != image.size:
        width, height = height, width  # turned upright by its EXIF orientation
    latitude, longitude = _gps(exif)
    picture = upright if upright.mode == "RGB" else upright.convert("RGB")
    picture.thumbnail((PUBLIC_SIDE, PUBLIC_SIDE))
    public_copy = _jpeg(picture, quality=82)
    picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return PhotoFacts(
        sha256=hashlib.sha256(data).hexdigest(),
        format=image.format,
        width=width,
        height=height,
        taken_at=_taken_at(exif),
        latitude=latitude,
        longitude=longitude,
        phash=str(imagehash.phash(picture)),
        thumbnail=_jpeg(picture, quality=75),
        public_copy=public_copy,
    )


TOO_MANY_PIXELS = "照片像素太大，无法处理，请用手机相机正常拍摄。"
TOO_MANY_TOGETHER = "这次上传的照片合计太大，请少选几张，或分几次上传。"
NOT_A_PHOTO = "这不是可以识别的照片，请上传 JPG、PNG、WebP 或 HEIC 格式的照片。"


def _opened(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """The photo opened (its header read, nothing decoded) and its full size; a JPEG is set to
    decode at 1/2, 1/4 or 1/8 scale, no smaller than the public copy. The image's `size` is then
    what decoding it costs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRejected(NOT_A_PHOTO) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoRejected(TOO_MANY_PIXELS)
    if image.format == "JPEG":
        shrink = PUBLIC_SIDE / max(width, height)
        image.draft("RGB", (math.ceil(width * shrink), math.ceil(height * shrink)))
    if image.size[0] * image.size[1] > MAX_DECODED_PIXELS:
        raise PhotoRejected(TOO_MANY_PIXELS)
    return image, (width, height)


def check_decode_cost(photos: list[bytes]) -> None:
    """Refuse, before any is decoded, photos that together would cost too much to decode (each
    photo's own limit is checked too: a refusal names the first photo over it)."""
    total = 0
    for data in photos:
        if not data or len(data) > MAX_BYTES:
            continue  # refused with its own reason when it is inspected
        total += math.prod(_opened(data)[0].size)
        if total > MAX_REQUEST_DECODED_PIXELS:
            raise PhotoRejected(TOO_MANY_TOGETHER)


def _decode(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """Decode the whole file (refusing what is not a photo, or costs too much) and give its full
    size. A JPEG's every block is still read at its reduced scale, so a broken file is refused,
    but a 12-megapixel photo stays fast and small."""
    with warnings.catch_warnings():  # a JPEG's header may have said one size and its frame another
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image, size = _opened(data)
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected(TOO_MANY_PIXELS) from None
        except (OSError, SyntaxError, ValueError):
            raise PhotoRejected(NOT_A_PHOTO) from None
    return image, size


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)  # a fresh file: no EXIF, no GPS
    return out.getvalue()


CAMERA_UTC_OFFSET = dt.timezone(dt.timedelta(hours=8))


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    """EXIF capture time. Cameras write local time without a zone; phones here are on UTC+8."""
    text = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not isinstance(text, str):
        return None
    try:
        local = dt.datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return local.replace(tzinfo=CAMERA_UTC_OFFSET).astimezone(dt.UTC)


def _gps(exif: Image.Exif) -> tuple[Decimal | None, Decimal | None]:
    gps = exif.get_ifd(GPS_IFD)
    try:
        latitude = _degrees(gps[2], gps.get(1, "N"), "S")
        longitude = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude


def _degrees(parts, reference: str, negative: str) -> Decimal:
    degrees, minutes, seconds = (Decimal(str(float(part))) for part in parts)
    value = degrees + minutes / 60 + seconds / 3600
    if str(reference).strip("\x00 ").upper() == negative:
        value = -value
    return value.quantize(Decimal("0.000001"))


class Photo(Base):
    """A stored photo: the untouched original, a thumbnail and a public copy, with its facts."""

    __tablename__ = "photos"
    __table_args__ = tuple(Index(f"ix_photos_phash_band{i}", f"phash_band{i}") for i in range(4))

    id: Mapped[intpk]
    public_token: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_key: Mapped[str] = mapped_column(String(100))
    thumbnail_key: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(10))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    phash: Mapped[str] = mapped_column(String(16))
    phash_band0: Mapped[int] = mapped_column(Integer)
    phash_band1: Mapped[int] = mapped_column(Integer)
    phash_band2: Mapped[int] = mapped_column(Integer)
    phash_band3: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[instant]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_by_openid: Mapped[str | None] = mapped_column(String(64))


def _bands(phash: str) -> list[int]:
    return [int(phash[i * 4 : (i + 1) * 4], 16) for i in range(4)]


def store_photo(
    session: Session,
    storage: MediaStorage,
    data: bytes,
    *,
    now: dt.datetime,
    uploaded_by_id: int | None = None,
    uploaded_by_openid: str | None = None,
) -> Photo:
    """Check, store and record one photo (files first: a failed flush leaves only orphan files)."""
    facts = inspect_photo(data)
    photo = Photo(
        public_token=secrets.token_urlsafe(16),
        sha256=facts.sha256,
        original_key=storage.put(data, FORMATS[facts.format]),
        thumbnail_key=storage.put(facts.thumbnail, ".jpg"),
        public_key=storage.put(facts.public_copy, ".jpg"),
        format=facts.format,
        width=facts.width,
        height=facts.height,
        taken_at=facts.taken_at,
        latitude=facts.latitude,
        longitude=facts.longitude,
        phash=facts.phash,
        uploaded_at=now,
        uploaded_by_id=uploaded_by_id,
        uploaded_by_openid=uploaded_by_openid,
    )
    for index, band in enumerate(_bands(facts.phash)):
        setattr(photo, f"phash_band{index}", band)
    session.add(photo)
    session.flush()
    return photo


def store_photos(
    session: Session,
    storage: MediaStorage,
    photos: list[bytes],
    *,
    now: dt.datetime,
    uploaded_by_id: int | None = None,
    uploaded_by_openid: str | None = None,
) -> list[Photo]:
    """Check, store and record the photos of one request, all or none: their decoding cost
    together is bounded before the first is decoded."""
    check_decode_cost(photos)
    return [
        store_photo(
            session, storage, data, now=now, uploaded_by_id=uploaded_by_id, uploaded_by_openid=uploaded_by_openid
        )
        for data in photos
    ]


def photo_by_token(session: Session, token: str) -> Photo | None:
    """The photo a public page shows under this random token, or None."""
    if not token or len(token) > 32:
        return None
    return session.scalar(select(Photo).where(Photo.public_token == token))


def similar_photos(session: Session, photo: Photo) -> list[tuple[Photo, int]]:
    """Other photos that are the same or nearly the same picture, with their hash distance."""
    bands = _bands(photo.phash)
    candidates = session.scalars(
        select(Photo).where(
            Photo.id != photo.id,
            or_(*(getattr(Photo, f"phash_band{i}") == band for i, band in enumerate(bands))),
        )
    )
    target = imagehash.hex_to_hash(photo.phash)
    found = []
    for candidate in candidates:
        distance = target - imagehash.hex_to_hash(candidate.phash)
        if distance <= NEAR_DISTANCE:
            found.append((candidate, distance))
    return sorted(found, key=lambda pair: pair[1])
