"""A scene as inline SVG for the web page: no script, no style attribute, every text escaped.

The page's Content-Security-Policy allows style sheets from the site only, so shapes carry
classes that attest.css styles. The chart's title and summary become the SVG's ``<title>`` and
``<desc>`` (its accessible name and description); each bar and point has its own ``<title>``, which
says its value and status in words.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from attest.charts.layout import Group, Item, Marker, Polyline, Rect, Scene, Segment, Text


def _n(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>" if text else ""


def _marker(item: Marker) -> str:
    cls = escape(item.cls + ("" if item.filled else " hollow"))
    x, y, r = item.x, item.y, item.r
    if item.shape == "circle":
        tag, attributes = "circle", f'cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}"'
    elif item.shape == "square":
        q = r * 0.9
        tag = "rect"
        attributes = f'x="{_n(x - q)}" y="{_n(y - q)}" width="{_n(2 * q)}" height="{_n(2 * q)}"'
    else:
        q = r * 1.25
        corners = (
            [(0, -q), (q, 0), (0, q), (-q, 0)]
            if item.shape == "diamond"
            else [(0, -q), (q, q * 0.8), (-q, q * 0.8)]
        )
        tag = "polygon"
        attributes = 'points="' + " ".join(f"{_n(x + dx)},{_n(y + dy)}" for dx, dy in corners)
        attributes += '"'
    return f'<{tag} class="marker {cls}" {attributes}>{_title(item.title)}</{tag}>'


def _item(item: Item) -> str:
    if isinstance(item, Group):
        data = "".join(f' data-{escape(k)}="{escape(v)}"' for k, v in item.data)
        inner = "".join(_item(child) for child in item.items)
        return f'<g class="{escape(item.cls)}"{data}>{inner}</g>'
    if isinstance(item, Rect):
        return (
            f'<rect class="{escape(item.cls)}" x="{_n(item.x)}" y="{_n(item.y)}" '
            f'width="{_n(item.w)}" height="{_n(item.h)}">{_title(item.title)}</rect>'
        )
    if isinstance(item, Segment):
        return (
            f'<line class="{escape(item.cls)}" x1="{_n(item.x1)}" y1="{_n(item.y1)}" '
            f'x2="{_n(item.x2)}" y2="{_n(item.y2)}"></line>'
        )
    if isinstance(item, Polyline):
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in item.points)
        return f'<polyline class="{escape(item.cls)}" points="{points}"></polyline>'
    if isinstance(item, Marker):
        return _marker(item)
    assert isinstance(item, Text)
    anchor = "" if item.anchor == "start" else f' text-anchor="{item.anchor}"'
    return (
        f'<text class="{escape(item.cls)}" x="{_n(item.x)}" y="{_n(item.y)}"{anchor}>'
        f"{_title(item.title)}{escape(item.text)}</text>"
    )


def render_svg(scene: Scene, *, prefix: str = "chart") -> Markup:
    """The scene as one ``<svg>`` element; ``prefix`` keeps its ids unique on the page."""
    chart = scene.chart
    name = f"{prefix}-{chart.key}"
    width, height = _n(scene.width), _n(scene.height)
    head = (
        f'<svg class="chart {escape(chart.key)}-chart" data-chart="{escape(chart.key)}" '
        f'role="img" aria-labelledby="{name}-title" aria-describedby="{name}-desc" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<title id="{name}-title">{escape(chart.title)}</title>'
        f'<desc id="{name}-desc">{escape(chart.summary)}</desc>'
    )
    body = "".join(_item(item) for item in scene.items)
    return Markup(f"{head}{body}</svg>")  # every text above is escaped
