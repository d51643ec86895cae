"""Photos are evidence: checked by content, kept untouched, served without EXIF, recycled ones found."""

import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from models import photos
from models.photos import Photo, PhotoRejected, inspect_photo, similar_photos, store_photo, store_photos
from models.storage import LocalStorage
from tests.support.photo_files import bomb_png, encoded, jpeg, scene

NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "media")


def test_jpeg_facts_come_from_its_exif():
    facts = inspect_photo(jpeg(taken="2026:05:30 09:15:00", gps=(21.95, 108.62)))
    assert facts.format == "JPEG"
    assert facts.taken_at == dt.datetime(2026, 5, 30, 1, 15, tzinfo=dt.UTC)
    assert abs(facts.latitude - Decimal("21.95")) < Decimal("0.0001")
    assert abs(facts.longitude - Decimal("108.62")) < Decimal("0.0001")


def test_public_copy_and_thumbnail_carry_no_exif():
    facts = inspect_photo(jpeg())
    for data in (facts.public_copy, facts.thumbnail):
        image = Image.open(io.BytesIO(data))
        assert not image.getexif().get_ifd(0x8825) and not image.getexif().get_ifd(0x8769)
        assert b"Exif" not in data[:200]
    assert max(Image.open(io.BytesIO(facts.thumbnail)).size) == 320


def test_orientation_is_fixed_in_the_copies():
    facts = inspect_photo(jpeg(size=(800, 600), orientation=6))  # camera held upright
    assert (facts.width, facts.height) == (600, 800)
    assert Image.open(io.BytesIO(facts.public_copy)).size == (600, 800)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])  # HEIF: what iPhones send as .heic
def test_other_phone_formats_are_accepted(fmt):
    assert inspect_photo(encoded(scene(2), fmt)).format == fmt


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"%PDF-1.4 not a photo at all", "不是可以识别的照片"),
        (b"", "照片是空的"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "不是可以识别的照片"),  # a JPEG header and nothing else
        (bomb_png(), "像素太大"),
        (b"\xff\xd8" + b"x" * (50 * 1024 * 1024), "照片太大"),
        (encoded(scene(3), "GIF"), "不是可以识别的照片"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(data, reason):
    with pytest.raises(PhotoRejected, match=reason):
        inspect_photo(data)


def test_a_7000_pixel_square_png_is_refused_before_it_is_decoded():
    small = encoded(Image.new("1", (7000, 7000)), "PNG")  # 49 megapixels in a few kilobytes
    assert len(small) < 150 * 1024
    with pytest.raises(PhotoRejected, match="照片像素太大"):
        inspect_photo(small)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_every_format_decoded_at_full_size_is_held_to_the_decode_limit(fmt, monkeypatch):
    monkeypatch.setattr(photos, "MAX_DECODED_PIXELS", 2_000_000)
    with pytest.raises(PhotoRejected, match="照片像素太大"):
        inspect_photo(encoded(Image.new("RGB", (1500, 1500)), fmt))
    assert inspect_photo(encoded(Image.new("RGB", (1400, 1400)), fmt)).format == fmt


def test_a_jpeg_counts_what_its_reduced_decoding_costs(monkeypatch):
    monkeypatch.setattr(photos, "MAX_DECODED_PIXELS", 4_000_000)
    facts = inspect_photo(encoded(Image.new("RGB", (4000, 3000)), "JPEG"))  # 12 MP, decoded at 1/2: 3 MP
    assert (facts.width, facts.height) == (4000, 3000)
    with pytest.raises(PhotoRejected, match="照片像素太大"):
        inspect_photo(encoded(Image.new("RGB", (4000, 3000)), "PNG"))


def test_the_photos_of_one_request_are_held_to_a_decode_limit_together(storage, session, monkeypatch):
    monkeypatch.setattr(photos, "MAX_REQUEST_DECODED_PIXELS", 3 * 800 * 600 - 1)
    with pytest.raises(PhotoRejected, match="合计太大"):
        store_photos(session, storage, [jpeg(seed) for seed in range(3)], now=NOW)
    assert session.scalar(select(func.count()).select_from(Photo)) == 0
    assert len(store_photos(session, storage, [jpeg(seed) for seed in range(2)], now=NOW)) == 2


def test_a_polyglot_file_never_reaches_the_public_untouched(storage, session):
    payload = b"<script>alert(1)</script><?php system($_GET['c']); ?>"
    photo = store_photo(session, storage, jpeg() + payload, now=NOW)
    with storage.open(photo.public_key) as public, storage.open(photo.thumbnail_key) as thumb:
        assert payload not in public.read() and payload not in thumb.read()
    with storage.open(photo.original_key) as original:
        assert original.read().endswith(payload)  # the original is kept untouched, as evidence


def test_original_is_kept_untouched_with_its_sha256(storage, session):
    data = jpeg(seed=4)
    photo = store_photo(session, storage, data, now=NOW, uploaded_by_openid="o_custodian")
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    with storage.open(photo.original_key) as original:
        assert original.read() == data
    assert photo.original_key.endswith(f"{photo.sha256}.jpg")
    assert photo.uploaded_by_openid == "o_custodian" and photo.uploaded_at == NOW


def test_the_same_bytes_are_stored_once(storage, session, tmp_path):
    data = jpeg(seed=5)
    first = store_photo(session, storage, data, now=NOW)
    second = store_photo(session, storage, data, now=NOW)
    assert first.original_key == second.original_key
    files = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(files) == 3  # original, thumbnail, public copy: once each


def test_a_recompressed_resized_copy_is_found_as_near_duplicate(storage, session):
    original = store_photo(session, storage, jpeg(seed=6, size=(1600, 1200)), now=NOW)
    image = Image.open(io.BytesIO(jpeg(seed=6, size=(1600, 1200)))).resize((640, 480))
    recycled = store_photo(session, storage, encoded(image, "JPEG", quality=55), now=NOW)
    unrelated = store_photo(session, storage, jpeg(seed=7), now=NOW)
    found = similar_photos(session, recycled)
    assert [photo.id for photo, _distance in found] == [original.id]
    assert similar_photos(session, unrelated) == []


def test_storage_refuses_keys_outside_its_root(storage):
    with pytest.raises(ValueError):
        storage.open("../../etc/passwd")
