"""Maintenance records from the chat, through the real /wechat endpoint with signed messages, against
the fake WeChat API serving real JPEGs with EXIF; background work runs in the app's own pool."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bot.after_commit import maintenance as saving
from bot.handlers import maintenance as field
from models.assets.entities import AssetStatus
from models.maintenance.entities import FieldSession, MaintenanceKind, MaintenanceRecord
from models.people import Role
from tests.support import live_server, photo_files
from tests.support.builders import Builders
from tests.support.fake_wechat import serve_fake_wechat
from tests.support.wechat_messages import STAFF, TOKEN, VILLAGER, WeChatMessages
from web import create_app

live_database_url = live_server.live_database_url  # a fixture shared with other loopback tests
OTHER_STAFF = "oStaff0000000000000000000002"
TOWN = "oTown00000000000000000000001"


@pytest.fixture
def fake(tmp_path: Path):
    (tmp_path / "fake").mkdir()
    with serve_fake_wechat(tmp_path / "fake") as served:
        yield served


@pytest.fixture
def chat(live_database_url, fake, clock, tmp_path):

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": live_database_url,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PUBLIC_BASE_URL": "http://guanhu.test",
            "RATELIMIT_ENABLED": False,
            "WECHAT_TOKEN": TOKEN,
            **fake.client_config(WECHAT_MEDIA_RETRY_DELAYS=[0, 0]),
        }
    )
    sessions = app.extensions["db"].sessionmaker
    with sessions() as session:
        build = Builders(session, clock)
        county = build.county()
        village = county.villages["石桥村"]
        asset = build.asset(village, name="石桥村便民桥")
        build.asset(village, name="石桥村饮水池")
        for role, region, openid in (
            (Role.CUSTODIAN, village, STAFF),
            (Role.VILLAGE_CLERK, county.villages["竹林村"], OTHER_STAFF),
            (Role.TOWN_OFFICIAL, county.towns["青山镇"], TOWN),
        ):
            build.user(role, region, name=openid[-4:]).wechat_openid = openid
        session.commit()
        token = asset.public_token
    messages = WeChatMessages(clock)
    client = app.test_client()

    def send(xml: str) -> str | None:
        query, body = messages.request(xml)
        answer = client.post("/wechat", query_string=query, data=body)
        assert answer.status_code == 200
        reply = messages.read_reply(answer.get_data(), query)
        return None if reply is None else reply.get("Content") or reply["Articles"]["item"]["Title"]

    def settle() -> None:
        app.extensions["background"].wait(30)

    yield SimpleNamespace(send=send, messages=messages, token=token, settle=settle, sessions=sessions, app=app)
    settle()
    app.extensions["db"].engine.dispose()


def pushed(fake, openid: str) -> list[str]:
    return [
        call.body["request"]["text"]["content"]
        for call in fake.calls("cgi-bin/message/custom/send")
        if call.openid == openid
    ]


def records(chat) -> list[MaintenanceRecord]:
    with chat.sessions() as session:
        return list(session.scalars(select(MaintenanceRecord).order_by(MaintenanceRecord.id)))


def test_scan_photos_kind_and_note_make_a_record_confirmed_with_its_link(chat, fake):
    m = chat.messages
    started = chat.send(m.event("SCAN", key=f"asset:{chat.token}", openid=STAFF))
    assert "开始给「石桥村便民桥」记管护" in started and "weixin://bizmsgmenu?msgmenucontent=日常巡查" in started
    media = [fake.add_media(photo_files.jpeg(seed)) for seed in (1, 2)]
    assert chat.send(m.image(media[0], openid=STAFF)).startswith("收到第1张照片。请选类型")
    assert chat.send(m.image(media[1], openid=STAFF)).startswith("收到第2张照片。")
    assert chat.send(m.text("1", openid=STAFF)) == "好的，日常巡查。" + field.ASK_WORDS
    assert chat.send(m.text("桥面完好，排水沟已清理", openid=STAFF)).startswith("好的，正在保存「石桥村便民桥」")
    chat.settle()

    [record] = records(chat)
    assert record.kind is MaintenanceKind.INSPECTION and record.notes == "桥面完好，排水沟已清理"
    assert len(record.photos) == 2 and record.photos[0].taken_at is not None and record.photos[0].latitude
    assert record.flags == []
    assert pushed(fake, STAFF) == [
        f"已保存：「石桥村便民桥」日常巡查记录，2张照片。查看：http://guanhu.test/maintenance/{record.id}"
    ]
    with chat.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FieldSession)) == 0


def test_my_assets_lists_the_village_and_a_number_picks_one(chat, fake):
    m = chat.messages
    listing = chat.send(m.text("我的资产", openid=STAFF))
    assert "1 石桥村便民桥" in listing and "2 石桥村饮水池" in listing
    assert "「石桥村饮水池」" in chat.send(m.text("2", openid=STAFF))
    chat.send(m.text("4", openid=STAFF))
    chat.send(m.text("池壁裂了一道缝", openid=STAFF))
    assert chat.send(m.image(fake.add_media(photo_files.jpeg(3)), openid=STAFF)).startswith("收到第1张照片。")
    assert chat.send(m.text("完成", openid=STAFF)).startswith("好的，正在保存「石桥村饮水池」的损毁报告记录")
    chat.settle()
    [record] = records(chat)
    assert record.kind is MaintenanceKind.DAMAGE_REPORT and record.asset.status is AssetStatus.DAMAGED
    assert any(text.startswith("【损毁报告】石桥村饮水池") for text in pushed(fake, TOWN))  # the town, at once


def test_a_photo_that_fails_is_tried_again_and_one_that_cannot_be_fetched_is_told(chat, fake):
    m = chat.messages
    chat.send(m.event("SCAN", key=f"asset:{chat.token}", openid=STAFF))
    chat.send(m.text("保养", openid=STAFF))
    fake.fault("cgi-bin/media/get", 45011, times=1)  # per-minute quota once: tried again
    chat.send(m.image(fake.add_media(photo_files.jpeg(4)), openid=STAFF))
    chat.settle()
    chat.send(m.image("expired-media-id", openid=STAFF))  # WeChat answers 40007: never retried
    chat.settle()
    assert pushed(fake, STAFF) == [saving.FETCH_FAILED.format(number=2)]
    assert len(fake.calls("cgi-bin/media/get")) == 3
    chat.send(m.text("加了机油", openid=STAFF))
    chat.settle()
    [record] = records(chat)
    assert len(record.photos) == 1 and record.kind is MaintenanceKind.UPKEEP


def test_strangers_get_a_polite_answer_and_nothing_is_stored(chat, fake):
    m = chat.messages
    assert chat.send(m.event("SCAN", key=f"asset:{chat.token}", openid=VILLAGER)) == "石桥村便民桥"  # the card
    assert chat.send(m.image(fake.add_media(photo_files.jpeg(5)), openid=VILLAGER)) == field.VILLAGER_PHOTO
    refused = chat.send(m.event("SCAN", key=f"asset:{chat.token}", openid=OTHER_STAFF))
    assert refused.startswith("「石桥村便民桥」不是您村里的资产")
    assert chat.send(m.image(fake.add_media(photo_files.jpeg(6)), openid=OTHER_STAFF)) == field.NO_SESSION_STAFF
    assert chat.send(m.image(fake.add_media(photo_files.jpeg(7)), openid=TOWN)) == field.VILLAGE_STAFF_ONLY
    assert chat.send(m.text("1", openid=OTHER_STAFF)).startswith("没看懂")
    chat.settle()
    assert records(chat) == [] and fake.calls("cgi-bin/media/get") == []
