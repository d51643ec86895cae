"""Asset cards: Chinese renders without tofu, the QR decodes to the page, sheets print, re-issue."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import zxingcpp
from PIL import Image
from sqlalchemy import select

from models import audit
from models.assets.card_render import (
    CARD_SIZE,
    PADDING,
    PRINT_SIZES,
    QR_SIDE,
    card_layout,
    card_png,
    render_card,
    sheets_pdf,
)
from models.assets.entities import FundingSource, ReplacedCardToken
from models.people import Role
from models.printing import font, missing_glyphs, qr_image, wrap
from tests.support.pages import csrf_token, login
from web.cli import cli

HOTLINE = "12317"
LONG_FUNDING = "衔接推进乡村振兴补助资金 18.3、统筹整合涉农资金 12.5、东西部协作资金 6、社会捐赠 0.8、地方政府债券 20"


def decoded(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def pdf_pages(pdf: bytes) -> list[Image.Image]:
    """The page images of a sheet PDF (Pillow writes each page as one JPEG stream)."""
    streams = re.finditer(rb"/DCTDecode[^>]*?/Length (\d+)\s*>>\s*stream\r?\n", pdf)
    return [Image.open(io.BytesIO(pdf[m.end() : m.end() + int(m.group(1))])) for m in streams]


def layout_of(asset, link: str = "http://guanhu.test/a/x"):
    return card_layout(asset, qr_image(link, QR_SIDE).width, HOTLINE)


def overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_everything_inside_and_apart(layout, qr_side: int) -> None:
    """Every line of text lies inside the card's border (the title inside its black bar), off the
    QR code, off the rule above the supervision phones, and off every other line."""
    width, height = layout.size
    qr_box = (*layout.qr_position, layout.qr_position[0] + qr_side, layout.qr_position[1] + qr_side)
    boxes = [(text, text.box()) for text in layout.texts if text.text.strip()]
    for text, box in boxes:
        assert box[0] >= PADDING - 2 and box[2] <= width - PADDING + 2, text
        assert box[1] >= 3 and box[3] <= height - 3, text
        assert (box[3] <= layout.title_bottom) == (text.part == "title"), text
        assert not overlaps(box, qr_box), text
        assert not box[1] <= layout.footer_rule <= box[3], text
    for n, (text, box) in enumerate(boxes):
        for other, other_box in boxes[n + 1 :]:
            assert not overlaps(box, other_box), (text, other)


def test_card_text_has_a_glyph_for_every_character(build, county):
    county.towns["青山镇"].supervision_phone = "0771-1234567"
    asset = build.asset(
        county.villages["石桥村"],
        name="石桥村饮水工程（蓄水池）",
        hamlet="上屯",
        fundings=LONG_FUNDING,
        original_value="80",
    )
    text = "".join(placed.text for placed in layout_of(asset).texts)
    assert asset.name in text and asset.custodian_phone in text
    assert missing_glyphs(text) == set()
    assert missing_glyphs("资产\U0010fffd") == {"\U0010fffd"}  # the check itself sees tofu


def test_the_card_shows_the_supervision_hotline_and_the_local_one_when_set(build, county):
    asset = build.asset(county.villages["石桥村"])
    assert layout_of(asset).lines_of("supervision") == ["监督电话：12317"]
    county.towns["青山镇"].supervision_phone = "0771-1234567"
    supervision = "".join(layout_of(asset).lines_of("supervision"))
    assert supervision == "监督电话：12317\u3000本地监督电话：0771-1234567"


def test_the_card_served_carries_the_configured_hotline(build, county, app_factory):
    asset = build.asset(county.villages["石桥村"])
    client = app_factory(SUPERVISION_HOTLINE="96333").test_client()
    login(client, build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    served = client.get(f"/assets/{asset.id}/card.png").get_data()
    link = f"http://guanhu.test/a/{asset.public_token}"
    assert served == card_png(asset, link, "96333") != card_png(asset, link, HOTLINE)


def test_long_funding_sources_wrap_onto_more_lines_and_nothing_is_cut(build, county):
    asset = build.asset(county.villages["石桥村"], fundings=LONG_FUNDING, original_value="80")
    link = f"http://guanhu.test/a/{asset.public_token}"
    layout = layout_of(asset, link)
    funding = layout.lines_of("资金来源")
    assert len(funding) > 1 and "".join(funding) == asset.funding_text == LONG_FUNDING
    assert [line for line in funding if line.endswith("、")] == funding[:-1]  # broken between sources
    assert not any("…" in text.text for text in layout.texts)
    assert layout.size == CARD_SIZE and layout.print_size != PRINT_SIZES[0]  # the print stepped down
    assert_everything_inside_and_apart(layout, qr_image(link, QR_SIDE).width)
    card = render_card(asset, link, HOTLINE)
    assert card.size == CARD_SIZE
    assert [r.text for r in zxingcpp.read_barcodes(card)] == [link]


def test_a_card_too_full_for_the_smallest_print_grows_taller_and_still_scans(build, county):
    county.towns["青山镇"].supervision_phone = "0771-1234567"
    asset = build.asset(
        county.villages["石桥村"],
        name="石桥村上屯至下屯通组硬化道路及配套排水沟、错车道、安全防护栏建设工程（二期）",
        owner="石桥村股份经济合作社（由村民委员会代管）" * 5,
        fundings="、".join(f"{source.label} {n}234.56" for n, source in enumerate(FundingSource, start=1)),
        original_value="99999",
    )
    link = f"http://guanhu.test/a/{asset.public_token}"
    layout = layout_of(asset, link)
    assert layout.print_size == PRINT_SIZES[-1] and layout.size[1] > CARD_SIZE[1]
    assert "".join(layout.lines_of("title")) == asset.name and len(layout.lines_of("title")) == 2
    assert "".join(layout.lines_of("产权归属")) == asset.owner
    assert "".join(layout.lines_of("资金来源")) == asset.funding_text
    assert_everything_inside_and_apart(layout, qr_image(link, QR_SIDE).width)
    card = render_card(asset, link, HOTLINE)
    assert card.size == layout.size
    assert [r.text for r in zxingcpp.read_barcodes(card)] == [link]

    short = build.asset(county.villages["石桥村"])
    pairs = [(asset, link)] * 2 + [(short, f"http://guanhu.test/a/{n}") for n in range(6)]
    sheets = sheets_pdf(pairs, HOTLINE)
    pages = pdf_pages(sheets.pdf)
    assert sheets.pages == len(pages) == 2  # the tall row leaves room for two more rows, not three
    assert len(zxingcpp.read_barcodes(pages[0])) == 6 and len(zxingcpp.read_barcodes(pages[1])) == 2


def test_name_custodian_and_phones_are_in_larger_print_than_the_other_fields(build, county):
    asset = build.asset(county.villages["石桥村"], custodian_name="莫文华", custodian_phone="13800131318")
    layout = layout_of(asset)
    sizes = {text.part: text.size for text in layout.texts}
    small = sizes["资产编号"]
    assert layout.print_size == PRINT_SIZES[0]
    assert layout.lines_of("custodian") == ["莫文华  13800131318"]
    assert min(sizes["title"], sizes["custodian"], sizes["supervision"]) >= small + 8
    assert all(text.bold for text in layout.texts if text.part in ("title", "custodian", "supervision"))


def test_wrapping_breaks_between_phrases_never_inside_a_number_and_keeps_every_character():
    face = font(20)
    for text, width in [
        (LONG_FUNDING, 240),
        ("衔接推进乡村振兴补助资金 123456.78", 150),
        ("石桥村上屯至下屯通组硬化道路及配套排水沟建设工程（二期）", 130),
    ]:
        lines = wrap(text, face, width)
        assert "".join(lines) == text and len(lines) > 1
        assert all(face.getlength(line.rstrip()) <= width for line in lines)
        assert not any(line[:1] in "、）" for line in lines)
    assert wrap("衔接推进乡村振兴补助资金 123456.78", face, 150)[-1] == "123456.78"
    assert wrap(LONG_FUNDING, face, 1000) == [LONG_FUNDING]


def test_the_card_qr_decodes_to_the_public_page_which_opens(build, county, client, login_as):
    asset = build.asset(county.villages["石桥村"], name="石桥村道路")
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    response = client.get(f"/assets/{asset.id}/card.png")
    assert response.mimetype == "image/png"
    [link] = decoded(response.get_data())
    assert link == f"http://guanhu.test/a/{asset.public_token}"
    page = client.get(link.removeprefix("http://guanhu.test"))
    assert page.status_code == 200 and "石桥村道路" in page.get_data(as_text=True)


def test_staff_of_another_village_cannot_get_the_card(build, county, client, login_as):
    asset = build.asset(county.villages["石桥村"])
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["清水村"]))
    assert client.get(f"/assets/{asset.id}/card.png").status_code == 404
    assert client.get(f"/cards/sheet.pdf?asset={asset.id}").status_code == 404


def test_a_village_with_nothing_the_visitor_may_print_says_so(build, county, client, login_as):
    build.asset(county.villages["石桥村"], subtype="供水饮水")
    login_as(build.user(Role.DEPARTMENT, county.district, department="交通运输局"))
    response = client.get(f"/cards/sheet.pdf?village={county.villages['石桥村'].id}")
    assert response.status_code == 404 and "没有您可以打印资产卡的在用资产" in response.get_data(as_text=True)


def test_a_print_sheet_has_eight_cards_to_an_a4_page(build, county):
    assets = [build.asset(county.villages["石桥村"]) for _ in range(9)]
    links = [f"http://guanhu.test/a/{a.public_token}" for a in assets]
    sheets = sheets_pdf(zip(assets, links, strict=True), HOTLINE)
    assert sheets.pdf.startswith(b"%PDF") and sheets.pages == _pages(sheets.pdf) == 2
    first, second = pdf_pages(sheets.pdf)
    found = [r.text for page in (first, second) for r in zxingcpp.read_barcodes(page)]
    assert sorted(found) == sorted(links) and len(zxingcpp.read_barcodes(second)) == 1
    one = render_card(assets[0], "http://guanhu.test/a/x", HOTLINE)
    assert one.size == (748, 512)


def test_the_village_sheet_downloads_as_pdf(build, county, client, login_as):
    build.asset(county.villages["石桥村"])
    login_as(build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"]))
    response = client.get(f"/cards/sheet.pdf?village={county.villages['石桥村'].id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")


def test_reissuing_a_card_changes_the_token_and_audits_it(build, county, client, login_as, session):
    asset = build.asset(county.villages["石桥村"])
    old = asset.public_token
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    token = csrf_token(client, f"/assets/{asset.id}/card")
    assert client.post(f"/assets/{asset.id}/card/reissue", data={"csrf_token": token}).status_code == 422
    session.refresh(asset)
    assert asset.public_token == old and session.scalar(select(ReplacedCardToken.id)) is None
    response = client.post(f"/assets/{asset.id}/card/reissue", data={"csrf_token": token, "reason": "卡片丢失"})
    assert response.status_code == 303
    session.refresh(asset)
    assert asset.public_token != old
    assert audit.history(session, "asset", asset.id)[-1].action == "reissue_card"
    assert client.get(f"/a/{old}").status_code == 410
    [link] = decoded(client.get(f"/assets/{asset.id}/card.png").get_data())
    assert link.endswith(asset.public_token)


def test_cli_prints_a_village_to_a_pdf(build, county, runner, tmp_path, session):
    for _ in range(3):
        build.asset(county.villages["石桥村"])
    out = tmp_path / "石桥村.pdf"
    result = runner.invoke(cli, ["cards", "print", "--village", "石桥村", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 张资产卡，1 页A4" in result.output and out.read_bytes().startswith(b"%PDF")
    missing = runner.invoke(cli, ["cards", "print", "--village", "不存在村", str(out)])
    assert missing.exit_code != 0 and "找不到村" in missing.output


class _SelectionForm(HTMLParser):
    """What a browser submits from the register list: the print form's action and its checkboxes."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.boxes = None, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and found.get("id") == "print-cards":
            self.action = found["action"]
        if tag == "input" and found.get("form") == "print-cards" and found.get("type") == "checkbox":
            self.boxes.append((found["name"], found["value"]))


def _pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ")


def test_cards_for_assets_ticked_in_the_register_print_on_one_sheet(build, county, client, login_as):
    for number in range(10):
        build.asset(county.villages["石桥村"], code=f"K{number:02d}")
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    form = _SelectionForm()
    form.feed(client.get("/assets").get_data(as_text=True))
    assert form.action == "/cards/sheet.pdf" and len(form.boxes) == 10

    nine = client.get(form.action, query_string=form.boxes[:9])
    assert nine.status_code == 200 and nine.mimetype == "application/pdf" and _pages(nine.get_data()) == 2
    one = client.get(form.action, query_string=form.boxes[:1])
    assert _pages(one.get_data()) == 1

    nothing = client.get(form.action)
    assert nothing.status_code == 400 and "请先在台账中勾选" in nothing.get_data(as_text=True)
    too_many = client.get(form.action, query_string=[("asset", str(n)) for n in range(1, 2002)])
    assert too_many.status_code == 400 and "一次最多打印2000张" in too_many.get_data(as_text=True)


def test_with_wechat_codes_the_card_carries_the_accounts_parametric_code_made_once(build, county, app_factory, fake):
    app = app_factory(**fake.client_config(CARD_QR="wechat"))
    asset = build.asset(county.villages["石桥村"], name="石桥村道路")
    client = app.test_client()
    login(client, build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    [first] = decoded(client.get(f"/assets/{asset.id}/card.png").get_data())
    [again] = decoded(client.get(f"/assets/{asset.id}/card.png").get_data())
    [created] = fake.calls("cgi-bin/qrcode/create")  # kept after the first card, not made again
    assert created.body["request"]["action_info"]["scene"]["scene_str"] == f"asset:{asset.public_token}"
    assert first == again == f"http://weixin.qq.com/q/sandbox-asset:{asset.public_token}"  # the fake account's code
