"""`alembic upgrade head` on an empty database gives exactly the models' schema, and again nothing changes."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, make_url, select, text
from sqlalchemy.orm import Session

import models
from models.assets.entities import AssetSubtype
from models.catalog import SUBTYPES
from models.clock import FixedClock
from models.complaints.entities import Complaint
from models.db import make_engine
from models.maintenance.entities import MaintenanceKind, RepairTask
from models.maintenance.operations import record_maintenance
from models.migrate import alembic_config, upgrade
from models.people import Role
from models.regions import Region, RegionLevel, add_region
from models.storage import LocalStorage
from models.wechat.entities import WeChatVisitor
from models.wechat.visitors import record_scan
from tests.support import photo_files
from tests.support.builders import Builders
from tests.support.clock import TEST_NOW
from tests.support.complaints import complaint_about
from web import create_app
from web.cli import cli


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"{url.database}_migrations"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database_url):
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, models.Base.metadata)
        postgresql = connection.dialect.name == "postgresql"
        claims_table = connection.scalar(
            text(
                "SELECT relpersistence FROM pg_class WHERE relname = 'wechat_inbound_messages'"
                if postgresql
                else "SELECT sql FROM sqlite_master WHERE name = 'wechat_inbound_messages'"
            )
        )
    engine.dispose()
    assert differences == []
    # What autogenerate does not compare: on PostgreSQL the claims skip the write-ahead log,
    # on SQLite the claims table is its key's B-tree alone.
    assert claims_table == "u" if postgresql else claims_table.rstrip().endswith("WITHOUT ROWID")


def test_upgrading_again_changes_nothing_and_keeps_what_the_database_holds(empty_database_url, tmp_path):
    app = create_app({"DATABASE_URL": empty_database_url, "SECRET_KEY": "x", "MEDIA_ROOT": str(tmp_path)})
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0 and "数据库已升级到最新版本" in first.output, first.output
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        add_region(session, "示范区", RegionLevel.DISTRICT, None)
        session.commit()
    again = runner.invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), models.Base.metadata
        )
    with Session(engine) as session:
        regions = session.scalars(select(Region.name)).all()
        subtypes = session.scalars(select(AssetSubtype.name)).all()
    engine.dispose()
    app.extensions["db"].engine.dispose()
    assert revision == head and differences == []
    assert regions == ["示范区"]
    assert sorted(subtypes) == sorted(name for name, *_ in SUBTYPES)  # the shipped sub-types, once


def test_migrating_down_and_up_again_keeps_what_refers_to_the_tables_it_alters(empty_database_url, tmp_path):
    """SQLite alters a table by copying it: the complaints' steps, their photos and the maintenance
    records' repair tasks must not go with the old copy (ON DELETE CASCADE)."""
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        clock = FixedClock(TEST_NOW)
        build = Builders(session, clock)
        asset = build.asset(build.county().villages["石桥村"])
        custodian = build.user(Role.CUSTODIAN, asset.village)
        complaint = complaint_about(session, LocalStorage(tmp_path), asset, clock, photos=[photo_files.jpeg(1)])
        record_maintenance(
            session,
            LocalStorage(tmp_path),
            custodian,
            asset,
            kind=MaintenanceKind.DAMAGE_REPORT,
            photos=[photo_files.jpeg(2)],
            notes="渠壁塌了",
            now=clock.now(),
            timezone="Asia/Shanghai",
        )
        record_scan(session, "o_villager_1", asset, clock.now())
        session.commit()
        complaint_id = complaint.id

    command.downgrade(alembic_config(empty_database_url), "0005")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM complaint_steps")) == 1
    upgrade(empty_database_url)

    with Session(engine) as session:
        complaint = session.get(Complaint, complaint_id)
        assert [step.kind.value for step in complaint.steps] == ["filed"] and len(complaint.photos) == 1
        assert session.scalar(select(func.count()).select_from(RepairTask)) == 1
        assert session.scalar(select(func.count()).select_from(WeChatVisitor)) == 1
    engine.dispose()
