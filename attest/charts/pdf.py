"""A scene as a reportlab drawing for PDF reports: the same shapes as the page, y turned up.

PDF has no style sheet, so the classes the page styles in attest.css are painted here from one
table (``PAINT``), token by token: a later token overrides an earlier one. Text uses the
standard Helvetica font (nothing embedded, so the same run gives the same bytes); characters
outside its encoding are written in plain ASCII (``≥`` as ``>=``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reportlab.graphics.shapes import Circle, Drawing, Polygon, PolyLine, String
from reportlab.graphics.shapes import Group as RlGroup
from reportlab.graphics.shapes import Line as RlLine
from reportlab.graphics.shapes import Rect as RlRect
from reportlab.lib import colors
from reportlab.lib.colors import Color

from attest.charts.layout import Group, Item, Marker, Polyline, Rect, Scene, Segment, Text

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
INK = colors.HexColor("#1d2329")
MUTED = colors.HexColor("#5b6670")
REPLACEMENTS = {
    "\u2265": ">=",
    "\u2264": "<=",
    "\u2212": "-",
    "\u2192": "->",
    "\u03b5": "e",
    "\u2714": "OK",
    "\u2718": "X",
}


@dataclass(frozen=True)
class Paint:
    fill: Color | None = None
    stroke: Color | None = None
    width: float = 1.0
    dash: tuple[float, ...] | None = None
    text: Color = INK
    bold: bool = False


def _hex(value: str) -> Color:
    return colors.HexColor(value)


PAINT: dict[str, dict[str, object]] = {
    "status-green": {"fill": _hex("#6fb487")},
    "status-amber": {"fill": _hex("#e0a43a")},
    "status-red": {"fill": _hex("#d05050")},
    "status-not_measurable": {"fill": _hex("#b9c2ca")},
    "reference": {"fill": colors.white, "stroke": INK, "width": 0.8},
    "period": {"fill": _hex("#1f5fa8")},
    "grid": {"stroke": _hex("#e4e8ec"), "width": 0.5},
    "axis": {"stroke": _hex("#7a8590"), "width": 0.8},
    "band": {"stroke": _hex("#7a8590"), "width": 0.9, "dash": (4.0, 3.0)},
    "amber": {"stroke": _hex("#c58a1a"), "text": _hex("#7a5200")},
    "red": {"stroke": _hex("#a4161a"), "text": _hex("#a4161a")},
    "diagonal": {"stroke": MUTED, "width": 1.0, "dash": (5.0, 3.0)},
    "ci": {"stroke": INK, "width": 1.0},
    "series-auc": {"fill": _hex("#1f5fa8"), "stroke": _hex("#1f5fa8")},
    "series-ks": {"fill": _hex("#c05a17"), "stroke": _hex("#c05a17")},
    "trend": {"fill": None, "width": 1.2},
    "calibration": {"fill": _hex("#1f5fa8"), "stroke": _hex("#1f5fa8")},
    "outside": {"fill": colors.white, "stroke": _hex("#a4161a"), "width": 1.6},
    "not-measured": {"text": MUTED},
    "row-axis": {"text": MUTED},
    "tick": {"text": MUTED},
    "empty": {"text": MUTED},
    "panel-label": {"bold": True},
    "row-label": {"bold": True},
}


def paint(cls: str) -> Paint:
    found = Paint()
    for token in cls.split():
        changes = PAINT.get(token)
        if changes:
            found = replace(found, **changes)  # type: ignore[arg-type]
    return found


def pdf_text(text: str) -> str:
    """``text`` in the characters Helvetica's encoding (WinAnsi) has."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            out.append(REPLACEMENTS.get(char, "?"))
    return "".join(out)


def _stroke(shape: RlLine | PolyLine, style: Paint) -> None:
    shape.strokeColor = style.stroke or INK
    shape.strokeWidth = style.width
    if style.dash:
        shape.strokeDashArray = list(style.dash)


def _item(
    item: Item, height: float
) -> RlGroup | RlRect | RlLine | PolyLine | String | Circle | Polygon:
    if isinstance(item, Group):
        group = RlGroup()
        for child in item.items:
            group.add(_item(child, height))
        return group
    style = paint(item.cls)
    if isinstance(item, Rect):
        rect = RlRect(item.x, height - item.y - item.h, item.w, item.h)
        rect.fillColor = style.fill or INK
        rect.strokeColor = style.stroke
        rect.strokeWidth = style.width if style.stroke else 0
        return rect
    if isinstance(item, Segment):
        line = RlLine(item.x1, height - item.y1, item.x2, height - item.y2)
        _stroke(line, style)
        return line
    if isinstance(item, Polyline):
        points = [value for x, y in item.points for value in (x, height - y)]
        polyline = PolyLine(points)
        _stroke(polyline, style)
        return polyline
    if isinstance(item, Marker):
        return _marker(item, style, height)
    assert isinstance(item, Text)
    return String(
        item.x,
        height - item.y,
        pdf_text(item.text),
        fontName=BOLD if style.bold else FONT,
        fontSize=item.size,
        fillColor=style.text,
        textAnchor=item.anchor,
    )


def _marker(item: Marker, style: Paint, height: float) -> Circle | RlRect | Polygon:
    x, y, r = item.x, height - item.y, item.r
    shape: Circle | RlRect | Polygon
    if item.shape == "circle":
        shape = Circle(x, y, r)
    elif item.shape == "square":
        q = r * 0.9
        shape = RlRect(x - q, y - q, 2 * q, 2 * q)
    else:
        q = r * 1.25
        corners = (
            [(0, q), (q, 0), (0, -q), (-q, 0)]
            if item.shape == "diamond"
            else [(0, q), (q, -q * 0.8), (-q, -q * 0.8)]
        )
        shape = Polygon([value for dx, dy in corners for value in (x + dx, y + dy)])
    colour = style.stroke or style.fill or INK
    shape.fillColor = (style.fill or colour) if item.filled else colors.white
    shape.strokeColor = colour
    shape.strokeWidth = max(style.width, 1.0)
    return shape


def render_drawing(scene: Scene) -> Drawing:
    """The scene as a reportlab ``Drawing`` (a flowable for platypus documents)."""
    drawing = Drawing(scene.width, scene.height)
    for item in scene.items:
        drawing.add(_item(item, scene.height))
    return drawing
