"""The two renderers draw the laid-out scene as it is: SVG for the page (escaped, no style
attributes, named for assistive technology) and reportlab for PDF (y turned up, text kept)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pypdf
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Rect as RlRect
from reportlab.graphics.shapes import String

from attest.charts.layout import Group, Rect, layout
from attest.charts.monitoring import run_charts, stability_chart
from attest.charts.pdf import paint, pdf_text, render_drawing
from attest.charts.svg import render_svg
from tests.charts.documents import run_document, vintages

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script>&'


def _charts() -> tuple:
    first, second = run_document(2), run_document(3, shift=0.4) | {"vintages": vintages()}
    return run_charts([("2026-08-01", first), ("2026-09-01", second)], second)


def test_the_svg_is_well_formed_named_and_has_no_script_or_style() -> None:
    for chart in _charts():
        markup = str(render_svg(layout(chart), prefix="t"))
        assert "<script" not in markup and "style=" not in markup
        root = ET.fromstring(markup.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"t-{chart.key}-title"
        assert root.get("aria-describedby") == f"t-{chart.key}-desc"
        assert root.find(f"{SVG}title").text == chart.title  # type: ignore[union-attr]
        assert root.find(f"{SVG}desc").text == chart.summary  # type: ignore[union-attr]
        assert f"{chart.key}-chart" in (root.get("class") or "")


def test_the_svg_draws_the_scene_coordinates_and_escapes_every_text() -> None:
    runs = [("2026-09-01", {"features": {HOSTILE: {"csi": {"value": 0.3}, "status": "red"}}})]
    chart = stability_chart(runs)
    assert chart is not None
    scene = layout(chart)
    markup = str(render_svg(scene))
    assert (
        HOSTILE not in markup and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in markup
    )
    root = ET.fromstring(markup)
    (group,) = [g for g in root.iter("g") if g.get("class") == "feature-row"]
    assert group.get("data-feature") == HOSTILE
    (rect,) = [r for r in group.iter("rect") if "cell" in (r.get("class") or "")]
    (bar,) = [i for i in scene.items[0].items if isinstance(i, Rect)]  # type: ignore[union-attr]
    assert float(rect.get("y") or 0) == bar.y and float(rect.get("height") or 0) == bar.h
    assert rect.find("title").text == f"{HOSTILE}, 2026-09-01: CSI 0.3000, significant shift"  # type: ignore[union-attr]


def test_the_pdf_drawing_turns_y_up_and_keeps_its_words_as_text() -> None:
    chart = _charts()[0]
    scene = layout(chart, font=7.5, scale=0.65)
    drawing = render_drawing(scene)
    assert (drawing.width, drawing.height) == (scene.width, scene.height)
    group = next(i for i in scene.items if isinstance(i, Group) and ("feature", "amount") in i.data)
    bars = [i for i in group.items if isinstance(i, Rect) and "cell" in i.cls]
    drawn = [
        shape
        for shape in drawing.contents[scene.items.index(group)].contents
        if isinstance(shape, RlRect)
    ]
    assert len(drawn) == len(bars)
    for bar, shape in zip(bars, drawn, strict=True):
        assert shape.y == scene.height - bar.y - bar.h and shape.height == bar.h
    strings = [s.text for s in drawing.contents if isinstance(s, String)]
    assert chart.x.label in strings
    pdf = renderPDF.drawToString(drawing)
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "amount" in text and "Run, by the first day" in text


def test_pdf_text_keeps_what_helvetica_has_and_spells_out_the_rest() -> None:
    assert (
        pdf_text("\u2265 0.436 \u2013 caf\u00e9 \u00b7 \u2212 1 \u03c7")
        == ">= 0.436 \u2013 caf\u00e9 \u00b7 - 1 ?"
    )
    assert isinstance(String(0, 0, pdf_text("\u2265")).text, str)


def test_classes_paint_the_same_meaning_in_pdf_as_on_the_page() -> None:
    assert paint("cell status-red").fill != paint("cell status-green").fill
    assert paint("band red").dash == paint("band amber").dash == (4.0, 3.0)
    assert paint("reference").fill != paint("period").fill  # outlined against filled
    outside = paint("calibration outside")
    assert outside.fill is not None and outside.fill.hexval() == "0xffffff"
