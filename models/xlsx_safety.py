"""What an uploaded .xlsx may hold before openpyxl opens it: a zip archive checked member by member.

An .xlsx is a zip of XML files. openpyxl reads `sharedStrings.xml` into memory whole, and every
sheet's XML in full, so a small file that inflates to gigabytes (a "decompression bomb": a few
hundred kilobytes holding millions of shared strings) would hold a worker for minutes and take
its memory. The archive's own directory says how big each member is once inflated; zipfile never
inflates a member past that size (it stops and fails the CRC), so bounding the declared sizes
bounds the work. What is allowed is above any real register: our export inflates to 1.7 KB a row
at a ratio of 14 (measured: 20,000 generated rows, 33.9 MB), so the 200,000 rows an import takes
come to about 340 MB, in one member.
"""

from __future__ import annotations

import zipfile
from typing import IO
from xml.parsers import expat

MAX_MEMBERS = 1000  # a workbook has a dozen; pictures and many sheets add a few each
MAX_MEMBER_BYTES = 512 * 1024 * 1024  # one member once inflated
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # all members once inflated
MAX_RATIO = 100  # inflated / stored, for a member over RATIO_FROM bytes; real sheets stay under 20
RATIO_FROM = 1024 * 1024
SHARED_STRINGS = "xl/sharedStrings.xml"
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024  # read into memory whole by openpyxl
MAX_SHARED_STRINGS = 1_000_000  # each becomes a Python string in memory
CHUNK = 1024 * 1024

TOO_BIG = (
    "这个 .xlsx 文件解压后过大（{why}），可能不是正常的表格文件，系统未导入。"
    "请在表格软件中打开后“另存为”新的 .xlsx，或把表格分成几个文件导入。"
)


class SpreadsheetTooBig(Exception):
    """The archive would inflate far beyond any real workbook: refused before it is read. Its
    message is Chinese, for the person who uploaded it."""


def check_archive(source: IO[bytes]) -> None:
    """Refuse `source` (an open .xlsx, positioned anywhere; left at its start) when its members are
    too many, too big once inflated or inflate too well, or its shared strings are too many.
    A file that is not a zip at all is left to the workbook reader, which says so."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError):
        source.seek(0)
        return
    try:
        with archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise SpreadsheetTooBig(TOO_BIG.format(why=f"含有{len(members)}个部件"))
            total = 0
            for member in members:
                total += member.file_size
                if member.file_size > MAX_MEMBER_BYTES:
                    why = f"其中一个部件超过{MAX_MEMBER_BYTES // 1024 // 1024} MB"
                    raise SpreadsheetTooBig(TOO_BIG.format(why=why))
                if total > MAX_TOTAL_BYTES:
                    raise SpreadsheetTooBig(TOO_BIG.format(why=f"合计超过{MAX_TOTAL_BYTES // 1024 // 1024} MB"))
                if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                    raise SpreadsheetTooBig(TOO_BIG.format(why=f"压缩比超过{MAX_RATIO}倍"))
            if SHARED_STRINGS in archive.namelist():
                _check_shared_strings(archive, archive.getinfo(SHARED_STRINGS))
    except zipfile.BadZipFile:
        pass  # a broken member: the workbook reader refuses the file as not .xlsx
    finally:
        source.seek(0)


def _check_shared_strings(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Count the shared strings (`<si>` elements, whatever their namespace prefix) as the member
    inflates, stopping at the first one too many; a DTD (never in a real workbook) is refused."""
    if member.file_size > MAX_SHARED_STRINGS_BYTES:
        raise SpreadsheetTooBig(TOO_BIG.format(why=f"文字表超过{MAX_SHARED_STRINGS_BYTES // 1024 // 1024} MB"))
    count = 0

    def start(name: str, _attributes) -> None:
        nonlocal count
        if name == "si" or name.endswith(" si"):
            count += 1
            if count > MAX_SHARED_STRINGS:
                raise SpreadsheetTooBig(TOO_BIG.format(why=f"文字超过{MAX_SHARED_STRINGS}条"))

    def no_dtd(*_args) -> None:
        raise SpreadsheetTooBig(TOO_BIG.format(why="文字表含有文档类型定义"))

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = no_dtd
    with archive.open(member) as stream:
        try:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError:
            return  # malformed: the workbook reader refuses the file as not .xlsx
