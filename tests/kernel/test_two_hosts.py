"""Two app instances (two hosts behind one balancer) sharing one database and one bucket: what one
host stores, the other serves and reads. With a folder each, the chat tells the sender what was lost."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.after_commit import maintenance as saving
from models.maintenance.entities import FieldSession, MaintenanceKind, MaintenanceRecord
from models.people import Role
from models.photos import Photo
from tests.support import live_server, photo_files
from tests.support.builders import Builders
from tests.support.pages import csrf_token, login
from tests.support.wechat_messages import STAFF, TOKEN, WeChatMessages
from web import create_app

live_database_url = live_server.live_database_url


@pytest.fixture
def hosts(live_database_url, fake, clock, tmp_path):
    """make(**shared) → hosts a and b: one database, a media folder each, `shared` settings."""
    made = []

    def make(**shared):
        def host(name: str):
            app = create_app(
                {
                    "TESTING": True,
                    "DATABASE_URL": live_database_url,
                    "SECRET_KEY": "test-secret",
                    "CLOCK": clock,
                    "MEDIA_ROOT": str(tmp_path / f"media-{name}"),
                    "PUBLIC_BASE_URL": "http://guanhu.test",
                    "RATELIMIT_ENABLED": False,
                    "WECHAT_TOKEN": TOKEN,
                    **fake.client_config(WECHAT_MEDIA_RETRY_DELAYS=[0]),
                    **shared,
                }
            )
            made.append(app)
            return app

        a, b = host("a"), host("b")
        with a.extensions["db"].sessionmaker() as session:
            build = Builders(session, clock)
            village = build.county().villages["石桥村"]
            asset = build.asset(village, name="石桥村饮水池")
            clerk = build.user(Role.VILLAGE_CLERK, village, name="李文书")
            clerk.wechat_openid = STAFF
            session.commit()
            people = SimpleNamespace(clerk=clerk, token=asset.public_token)
        return a, b, people

    yield make
    for app in made:
        app.extensions["background"].wait(30)
        app.extensions["db"].engine.dispose()


def test_a_photo_recorded_through_host_a_is_served_by_host_b(hosts, bucket):
    a, b, people = hosts(**bucket.config)
    on_a, on_b = a.test_client(), b.test_client()
    login(on_a, people.clerk)
    path = f"/a/{people.token}/maintenance"
    original = photo_files.jpeg(11)
    form = {"kind": "inspection", "notes": "池壁完好", "csrf_token": csrf_token(on_a, path)}
    assert on_a.post(path, data={**form, "photos": [(io.BytesIO(original), "a.jpg")]}).status_code == 303
    with a.extensions["db"].sessionmaker() as session:
        token = session.scalar(select(Photo.public_token))

    for size in ("thumb", "full"):
        served = on_b.get(f"/p/{token}/{size}.jpg")
        assert served.status_code == 200 and served.data == on_a.get(f"/p/{token}/{size}.jpg").data
    login(on_b, people.clerk)
    assert on_b.get(f"/maintenance/photos/{token}/original").data == original


def send(app, messages: WeChatMessages, xml: str) -> None:
    query, body = messages.request(xml)
    assert app.test_client().post("/wechat", query_string=query, data=body).status_code == 200


def chat_photo_on_a_then_done_on_b(a, b, fake, clock, token: str) -> None:
    m = WeChatMessages(clock)
    send(a, m, m.event("SCAN", key=f"asset:{token}", openid=STAFF))
    send(a, m, m.text("4", openid=STAFF))  # 损毁报告
    send(a, m, m.text("池壁裂了一道缝", openid=STAFF))
    send(a, m, m.image(fake.add_media(photo_files.jpeg(12)), openid=STAFF))
    a.extensions["background"].wait(30)  # host a fetched the photo from WeChat and stored it
    send(b, m, m.text("完成", openid=STAFF))
    b.extensions["background"].wait(30)  # host b saves the record


def sent_to(fake, openid: str) -> list[str]:
    calls = fake.calls("cgi-bin/message/custom/send")
    return [call.body["request"]["text"]["content"] for call in calls if call.openid == openid]


def test_a_chat_photo_fetched_by_host_a_is_saved_by_host_b_that_received_done(hosts, bucket, fake, clock):
    a, b, people = hosts(**bucket.config)
    chat_photo_on_a_then_done_on_b(a, b, fake, clock, people.token)

    with b.extensions["db"].sessionmaker() as session:
        [record] = session.scalars(select(MaintenanceRecord)).all()
        assert record.kind is MaintenanceKind.DAMAGE_REPORT and len(record.photos) == 1
        assert session.scalars(select(FieldSession)).all() == []
        record_id = record.id
    assert sent_to(fake, STAFF) == [
        f"已保存：「石桥村饮水池」损毁报告记录，1张照片。查看：http://guanhu.test/maintenance/{record_id}"
    ]


def test_with_a_folder_on_each_host_the_sender_is_told_the_photo_was_lost_and_may_send_it_again(hosts, fake, clock):
    a, b, people = hosts()
    chat_photo_on_a_then_done_on_b(a, b, fake, clock, people.token)

    with b.extensions["db"].sessionmaker() as session:
        assert session.scalars(select(MaintenanceRecord)).all() == []
    reason = "第1张照片找不到了，已去掉。"
    assert sent_to(fake, STAFF) == [saving.SAVE_FAILED.format(reason=reason)]


def test_a_chat_photo_the_bucket_refuses_is_not_kept_and_its_sender_is_asked_again(hosts, bucket, fake, clock):
    a, _b, people = hosts(**{**bucket.config, "MEDIA_URL": f"s3://{bucket.name}-gone/media"})
    m = WeChatMessages(clock)
    send(a, m, m.event("SCAN", key=f"asset:{people.token}", openid=STAFF))
    send(a, m, m.image(fake.add_media(photo_files.jpeg(13)), openid=STAFF))
    a.extensions["background"].wait(30)

    assert sent_to(fake, STAFF) == [saving.NOT_STORED.format(number=1)]
    with a.extensions["db"].sessionmaker() as session:
        [field] = session.scalars(select(FieldSession)).all()
        assert [photo.storage_key for photo in field.photos] == [None]
        assert session.scalars(select(Photo)).all() == []
