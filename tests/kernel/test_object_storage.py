"""The media store in an S3-compatible bucket, against a real S3-protocol server on loopback:
content keys, HEAD before PUT, missing objects, a store that fails leaving no row behind, photos
served through the app's tokens and originals streamed or handed out by a presigned address."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from infra.object_storage import S3Storage, make_client, parse_media_url
from infra.storage import media_storage
from models.maintenance.entities import MaintenanceRecord
from models.people import Role
from models.photos import Photo
from models.storage import LocalStorage, StorageUnavailable, content_key
from tests.support import object_store, photo_files
from tests.support.pages import csrf_token, login, visible_text


@pytest.fixture
def storage(bucket) -> S3Storage:
    return S3Storage(make_client(object_store.settings(bucket.endpoint)), bucket.name, "county/media")


def put_requests(storage: S3Storage) -> list[str]:
    """The PutObject calls `storage` sends from now on (botocore's own event hooks)."""
    sent: list[str] = []
    storage.client.meta.events.register("before-call.s3.PutObject", lambda params, **_: sent.append(params["url"]))
    return sent


def test_a_stored_file_is_an_object_named_by_its_content_under_the_prefix(storage, bucket, tmp_path):
    data = photo_files.jpeg(1)
    key = storage.put(data, ".jpg")

    assert key == content_key(data, ".jpg") == LocalStorage(tmp_path).put(data, ".jpg")
    stored = bucket.client.head_object(Bucket=bucket.name, Key=f"county/media/{key}")
    assert stored["ContentType"] == "image/jpeg" and stored["ContentLength"] == len(data)
    assert stored["Metadata"] == {"sha256": hashlib.sha256(data).hexdigest()}
    with storage.open(key) as handle:
        assert handle.read() == data
    assert storage.exists(key)


def test_storing_the_same_bytes_again_asks_first_and_uploads_nothing(storage):
    sent = put_requests(storage)
    first = storage.put(b"%PDF-1.4 the same bytes", ".pdf")
    again = storage.put(b"%PDF-1.4 the same bytes", ".pdf")
    assert first == again and len(sent) == 1


def test_a_missing_object_is_not_found_and_a_key_that_is_no_content_key_never_reaches_the_bucket(storage):
    absent = content_key(b"never stored", ".jpg")
    assert not storage.exists(absent)
    with pytest.raises(FileNotFoundError):
        storage.open(absent)
    for bad in ("../../etc/passwd", "ab/cd.jpg", f"zz/{absent.split('/')[1]}"):
        with pytest.raises(ValueError, match="not a content key"):
            storage.open(bad)


@pytest.mark.parametrize("failure", ["no such bucket", "nothing listening"])
def test_a_store_that_refuses_or_cannot_be_reached_raises_storage_unavailable(bucket, failure):
    if failure == "no such bucket":
        broken = S3Storage(make_client(object_store.settings(bucket.endpoint)), f"{bucket.name}-gone")
    else:
        closed = f"http://127.0.0.1:{object_store.free_port()}"
        broken = S3Storage(make_client(object_store.settings(closed)), bucket.name)
    with pytest.raises(StorageUnavailable, match="文件存储暂时连不上，这次没有保存"):
        broken.put(photo_files.jpeg(2), ".jpg")
    with pytest.raises(StorageUnavailable, match="文件存储暂时连不上，照片暂时打不开"):
        broken.open(content_key(b"stored before", ".jpg"))


@pytest.mark.parametrize("url", ["s3:///prefix", "file:///srv/media", "s3://bucket/p?x=1", "bucket/prefix"])
def test_a_media_url_that_is_not_s3_bucket_prefix_is_refused(url):
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        parse_media_url(url)


def test_the_bucket_is_chosen_by_configuration(app_factory, bucket):
    assert isinstance(media_storage(app_factory()), LocalStorage)
    chosen = media_storage(app_factory(**{**bucket.config, "S3_ACCESS_KEY_ID": 12345}))  # a number, from JSON
    assert isinstance(chosen, S3Storage) and (chosen.bucket, chosen.prefix) == (bucket.name, "media")
    with chosen.open(chosen.put(b"%PDF-1.4 signed with a numeric key id", ".pdf")) as handle:
        assert handle.read() == b"%PDF-1.4 signed with a numeric key id"


@pytest.fixture
def recording(app_factory, build, county):
    """Sign a clerk of 石桥村 in to an app with these settings; (client, asset) to record on."""

    def sign_in(**config):
        client = app_factory(**config).test_client()
        login(client, build.user(Role.VILLAGE_CLERK, county.villages["石桥村"], name="李文书"))
        return client, build.asset(county.villages["石桥村"], name="石桥村便民桥")

    return sign_in


def record_with_photo(client, asset, data: bytes):
    path = f"/a/{asset.public_token}/maintenance"
    form = {"kind": "inspection", "notes": "桥面完好", "csrf_token": csrf_token(client, path)}
    return client.post(path, data={**form, "photos": [(io.BytesIO(data), "a.jpg")]})


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_photo_recorded_into_the_bucket_is_served_by_its_token_and_its_original_streamed(recording, bucket, session):
    client, asset = recording(**bucket.config)
    original = photo_files.jpeg(3)
    assert record_with_photo(client, asset, original).status_code == 303
    photo = session.scalar(select(Photo))
    listed = bucket.client.list_objects_v2(Bucket=bucket.name)["Contents"]
    assert {item["Key"] for item in listed} == {
        f"media/{key}" for key in (photo.original_key, photo.thumbnail_key, photo.public_key)
    }

    public = client.get(f"/p/{photo.public_token}/full.jpg")
    assert public.status_code == 200 and public.mimetype == "image/jpeg"
    assert hashlib.sha256(public.data).hexdigest() == photo.public_key.split("/")[1].removesuffix(".jpg")
    assert bucket.name not in public.get_data(as_text=False).decode("latin-1")
    download = client.get(f"/maintenance/photos/{photo.public_token}/original")
    assert download.status_code == 200 and download.data == original
    assert client.get("/p/no-such-token/full.jpg").status_code == 404


def test_with_presigned_downloads_an_original_is_a_short_lived_address_on_the_bucket(recording, bucket, session):
    client, asset = recording(**bucket.config, S3_PRESIGNED_SECONDS=120)
    original = photo_files.jpeg(4)
    record_with_photo(client, asset, original)
    photo = session.scalar(select(Photo))

    answer = client.get(f"/maintenance/photos/{photo.public_token}/original")
    assert answer.status_code == 302
    address = urlsplit(answer.location)
    assert f"{address.scheme}://{address.netloc}" == bucket.endpoint
    assert parse_qs(address.query)["X-Amz-Expires"] == ["120"]
    fetched = requests.get(answer.location, timeout=10)
    assert fetched.status_code == 200 and fetched.content == original
    assert "attachment" in fetched.headers["Content-Disposition"]
    public = client.get(f"/p/{photo.public_token}/thumb.jpg")  # public pages still go through the token
    assert public.status_code == 200 and public.mimetype == "image/jpeg"


def test_an_upload_the_bucket_refuses_keeps_nothing_and_says_so_in_chinese(recording, bucket, session):
    gone = {**bucket.config, "MEDIA_URL": f"s3://{bucket.name}-gone/media"}
    client, asset = recording(**gone)
    answer = record_with_photo(client, asset, photo_files.jpeg(5))
    assert answer.status_code == 503
    assert "文件存储暂时连不上，这次没有保存，请稍后再试。" in visible_text(answer.get_data(as_text=True))
    assert "桥面完好" in answer.get_data(as_text=True)  # the form comes back filled in
    assert count(session, MaintenanceRecord) == 0 and count(session, Photo) == 0


def test_a_phone_asking_again_for_a_photo_it_has_is_answered_304_without_reading_the_bucket(recording, bucket, session):
    client, asset = recording(**bucket.config)
    record_with_photo(client, asset, photo_files.jpeg(6))
    photo = session.scalar(select(Photo))
    first = client.get(f"/p/{photo.public_token}/thumb.jpg")
    assert first.status_code == 200 and first.headers["ETag"] == f'"{photo.thumbnail_key[3:67]}"'

    reads: list[str] = []
    storage = media_storage(client.application)
    storage.client.meta.events.register("before-call.s3.GetObject", lambda params, **_: reads.append(params["url"]))
    again = client.get(f"/p/{photo.public_token}/thumb.jpg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"] and not again.data
    assert "max-age=86400" in again.headers["Cache-Control"] and reads == []
    assert client.get(f"/p/{photo.public_token}/full.jpg", headers={"If-None-Match": '"other"'}).status_code == 200
    assert len(reads) == 1
