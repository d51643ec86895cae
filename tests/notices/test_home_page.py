"""An objection waits on the town's home page, named by its notice and linking to it."""

from __future__ import annotations

from tests.support.pages import login, visible_text


def test_an_objection_waits_for_the_town_on_its_home_page(client, make_notice, object_to, people):
    objection = object_to(make_notice())
    login(client, people["town"])
    page = client.get("/").get_data(as_text=True)
    text = f"{objection.tracking_number} 公示：石桥村2026年度资产管护绩效自评结果公示"
    assert f'<a href="/complaints/{objection.id}">{text}</a>' in page
    assert "群众反映待受理" in visible_text(page)
