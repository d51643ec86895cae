"""Asset cards: Chinese renders without tofu, the QR decodes to the page, sheets print, re-issue."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import zxingcpp
from PIL import Image
from sqlalchemy import select

from models import audit
from models.assets.card_render import SCAN_LINE, card_lines, render_card, sheets_pdf
from models.assets.entities import ReplacedCardToken
from models.people import Role
from models.printing import missing_glyphs
from tests.support.pages import csrf_token, login
from web.cli import cli


def decoded(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_card_text_has_a_glyph_for_every_character(build, county):
    asset = build.asset(county.villages["石桥村"], name="石桥村饮水工程（蓄水池）", hamlet="上屯")
    text = "".join(label + value for label, value in card_lines(asset)) + SCAN_LINE + asset.name
    assert missing_glyphs(text) == set()
    assert missing_glyphs("资产\U0010fffd") == {"\U0010fffd"}  # the check itself sees tofu


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
    pdf = sheets_pdf((a, f"http://guanhu.test/a/{a.public_token}") for a in assets)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2
    one = render_card(assets[0], "http://guanhu.test/a/x")
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
