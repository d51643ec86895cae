"""`guanhu media migrate --to s3://…`: a local media folder copied into a real S3-protocol bucket,
resumable, every file verified by SHA-256, a summary in Chinese."""

from __future__ import annotations

import hashlib

import pytest

from models.storage import LocalStorage, content_key
from tests.support import photo_files
from web.cli import cli


@pytest.fixture
def folder(tmp_path):
    return LocalStorage(tmp_path / "media")


def migrate(app_factory, bucket, folder: LocalStorage, *extra: str):
    app = app_factory(**{**bucket.config, "MEDIA_URL": None, "MEDIA_ROOT": str(folder.root)})
    return app.test_cli_runner().invoke(cli, ["media", "migrate", "--to", f"s3://{bucket.name}/county", *extra])


def objects(bucket) -> dict[str, bytes]:
    listed = bucket.client.list_objects_v2(Bucket=bucket.name).get("Contents", [])
    read = bucket.client.get_object
    return {item["Key"]: read(Bucket=bucket.name, Key=item["Key"])["Body"].read() for item in listed}


def test_a_folder_is_copied_then_a_second_run_copies_only_what_is_new_or_wrong(app_factory, bucket, folder):
    first = [folder.put(photo_files.jpeg(seed), ".jpg") for seed in (1, 2)]
    (folder.root / first[0][:2] / ".incoming-half-written").write_bytes(b"not yet a file")

    result = migrate(app_factory, bucket, folder)
    assert result.exit_code == 0, result.output
    assert "已处理 2 个文件：新复制并核对 2 个，存储桶中原已有且 SHA-256 一致 0 个，失败 0 个。" in result.output
    assert "全部迁移完成" in result.output
    assert sorted(objects(bucket)) == sorted(f"county/{key}" for key in first)

    later = folder.put(photo_files.jpeg(3), ".jpg")
    bucket.client.put_object(Bucket=bucket.name, Key=f"county/{first[1]}", Body=b"damaged in the bucket")
    again = migrate(app_factory, bucket, folder)
    assert again.exit_code == 0, again.output
    assert "已处理 3 个文件：新复制并核对 2 个，存储桶中原已有且 SHA-256 一致 1 个，失败 0 个。" in again.output
    stored = objects(bucket)
    assert len(stored) == 3
    for key in [*first, later]:
        assert hashlib.sha256(stored[f"county/{key}"]).hexdigest() == key.split("/")[1].removesuffix(".jpg")


def test_a_damaged_local_file_is_named_and_not_copied(app_factory, bucket, folder, tmp_path):
    good = folder.put(photo_files.jpeg(4), ".jpg")
    damaged = content_key(b"what the file held", ".pdf")
    (folder.root / damaged).parent.mkdir(parents=True, exist_ok=True)
    (folder.root / damaged).write_bytes(b"what the file holds now")

    result = migrate(app_factory, bucket, LocalStorage(tmp_path / "elsewhere"), "--from", str(folder.root))
    assert result.exit_code == 1
    assert f"失败 {damaged}：本地文件内容与文件名的 SHA-256 不符（文件已损坏），没有复制" in result.output
    assert list(objects(bucket)) == [f"county/{good}"]


def test_an_unreachable_bucket_stops_the_run_which_says_how_to_resume(app_factory, bucket, folder):
    folder.put(photo_files.jpeg(5), ".jpg")
    gone = type(bucket)(**{**vars(bucket), "name": f"{bucket.name}-gone"})
    result = migrate(app_factory, gone, folder)
    assert result.exit_code == 1
    assert "中断：存储桶连不上。再次运行同一命令会接着迁移" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--to", "oss://bucket"], "--to 应形如 s3://存储桶/前缀"),
        (["--to", "s3://b/p", "--from", "/nowhere"], "本地媒体目录 /nowhere 不存在"),
    ],
)
def test_a_wrong_target_or_missing_folder_is_refused_in_chinese(app_factory, bucket, arguments, message):
    result = app_factory(**bucket.config).test_cli_runner().invoke(cli, ["media", "migrate", *arguments])
    assert result.exit_code != 0 and message in result.output
