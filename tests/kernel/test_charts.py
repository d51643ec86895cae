"""The inline-SVG charts: well-formed, 360 units wide, values and links where the data says."""

from xml.etree import ElementTree

import pytest
from markupsafe import Markup

from web.charts import Bar, Point, Ratio, Row, Segment, bar_chart, line_chart, number, ratio_chart, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: Markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(chart))  # noqa: S314 (our own output)


def links(svg: ElementTree.Element) -> dict[str, str]:
    """Each link's accessible title → its href."""
    return {a.find(f"{SVG}g/{SVG}title").text: a.get("href") for a in svg.iter(f"{SVG}a")}


def texts(svg: ElementTree.Element) -> list[str]:
    return [text.text for text in svg.iter(f"{SVG}text")]


def widths(svg: ElementTree.Element, fill: str) -> list[float]:
    return [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect") if rect.get("fill") == fill]


def test_every_chart_fits_a_phone_and_names_itself():
    for chart in (
        bar_chart("资产数", [Bar("石桥村", 3)]),
        stacked_bar_chart("按状态", [Row("石桥村", [Segment("正常", 1)])]),
        ratio_chart("覆盖", [Ratio("有责任人", 1, 2)]),
        line_chart("趋势", [Point("1月", 1), Point("2月", 2)]),
    ):
        svg = parse(chart)
        assert svg.get("width") == "100%"
        assert svg.get("viewBox").startswith("0 0 360 ")
        assert svg.get("style") is None  # the CSP allows no inline style
        assert svg.find(f"{SVG}title").text == svg.get("aria-label")


def test_bar_chart_scales_bars_to_the_largest_and_links_each():
    svg = parse(
        bar_chart("各镇资产", [Bar("青山镇", 40, "/assets?town=1"), Bar("绿水镇", 10, "/assets?town=2")], unit="项")
    )
    first, second = widths(svg, "#0b6e4f")
    assert first == pytest.approx(4 * second)
    assert links(svg) == {"青山镇：40项": "/assets?town=1", "绿水镇：10项": "/assets?town=2"}
    assert "40项" in texts(svg) and "10项" in texts(svg)


def test_labels_and_links_are_escaped_and_long_labels_shortened_with_their_title():
    svg = parse(bar_chart("<图>", [Bar("一个名字很长很长的村<script>", 1, "/assets?a=1&b=2")]))
    assert svg.get("aria-label") == "<图>"
    assert list(links(svg).values()) == ["/assets?a=1&b=2"]
    assert "一个名字很长…" in texts(svg)
    titles = [title.text for title in svg.iter(f"{SVG}title")]
    assert "一个名字很长很长的村<script>" in titles


def test_stacked_bar_has_a_segment_per_nonzero_value_with_its_link_and_a_legend():
    rows = [
        Row(
            "石桥村",
            [Segment("正常", 6, "/a?s=normal"), Segment("损坏", 2, "/a?s=damaged"), Segment("闲置", 0)],
            "/a?v=1",
        ),
        Row("河口村", [Segment("正常", 2, "/a?v=2&s=normal"), Segment("闲置", 2, "/a?v=2&s=idle")], "/a?v=2"),
    ]
    svg = parse(stacked_bar_chart("资产状态", rows, unit="项"))
    found = links(svg)
    assert found["石桥村 · 正常：6项"] == "/a?s=normal"
    assert found["石桥村 · 损坏：2项"] == "/a?s=damaged"
    assert found["石桥村：共8项"] == "/a?v=1"
    assert found["河口村 · 闲置：2项"] == "/a?v=2&s=idle"
    assert not any("石桥村 · 闲置" in what for what in found)
    normal, damaged, idle = widths(svg, "#0b6e4f"), widths(svg, "#d08c00"), widths(svg, "#b3261e")
    assert normal[0] == pytest.approx(3 * normal[1]) == pytest.approx(3 * damaged[0]) == pytest.approx(3 * idle[0])
    assert {"正常", "损坏", "闲置"} <= set(texts(svg))  # the legend, colours by first appearance
    assert "8项" in texts(svg) and "4项" in texts(svg)


def test_stacked_segments_keep_their_own_colour():
    svg = parse(stacked_bar_chart("x", [Row("村", [Segment("损坏", 1, colour="#ff0000")])]))
    assert widths(svg, "#ff0000")


def test_ratio_chart_shows_percent_and_part_of_whole_and_links_both():
    svg = parse(ratio_chart("管护覆盖", [Ratio("有管护责任人", 17, 20, "/a?c=1", "/a"), Ratio("按时巡查", 0, 0)]))
    assert "85%（17/20）" in texts(svg)
    assert "暂无" in texts(svg)
    assert links(svg) == {"有管护责任人：85%（17/20）": "/a?c=1", "有管护责任人：共20": "/a"}
    track, filled = widths(svg, "#e3e8eb")[0], widths(svg, "#0b6e4f")[0]
    assert filled == pytest.approx(track * 17 / 20, abs=0.1)


def test_line_chart_has_a_linked_dot_per_point_and_thins_its_labels():
    points = [Point(f"{month}月", month * 2, f"/c?m={month}") for month in range(1, 13)]
    svg = parse(line_chart("每月收到", points, unit="件"))
    dots = list(svg.iter(f"{SVG}circle"))
    assert len(dots) == 12
    assert float(dots[-1].get("cy")) < float(dots[0].get("cy"))  # more is higher
    assert links(svg)["12月：24件"] == "/c?m=12"
    month_labels = [text for text in texts(svg) if text.endswith("月")]
    assert 0 < len(month_labels) <= 8 and month_labels[0] == "1月"


def test_no_data_says_so():
    for chart in (bar_chart("x", []), stacked_bar_chart("x", []), ratio_chart("x", []), line_chart("x", [])):
        assert texts(parse(chart)) == ["暂无数据"]


def test_all_zero_values_draw_empty_bars_without_dividing_by_zero():
    svg = parse(bar_chart("x", [Bar("村", 0, "/a")]))
    assert widths(svg, "#0b6e4f") == [0.0]


def test_numbers_stay_whole_when_they_are():
    assert (number(12), number(12.0), number(12.5)) == ("12", "12", "12.5")
