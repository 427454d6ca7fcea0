"""The monitoring report of one run as a PDF: what a validator files or hands to an examiner.

It holds what the system's monitoring page shows for that run: the system, model version,
period, reference and status; the alerts with what was done; the feature table and the score
metrics; and the same charts, drawn from the same definitions (attest.charts) by reportlab.
The document is built in reportlab's invariant mode (fixed dates and document id, standard
fonts) and from the run's logged document only, so the same run gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, cast
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from attest import __version__
from attest.charts import spec
from attest.charts.layout import layout
from attest.charts.pdf import FONT, pdf_text, render_drawing
from attest.charts.words import moment, period, plain, status_text
from attest.reports.monitoring_run import MonitoringView
from attest.reports.monitoring_tables import alert_rows, feature_rows, score_rows

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
CHART_FONT = 7.5
TABLED = ("vintages", "calibration")  # charts whose values no other table of the report has
LINE = colors.HexColor("#b9c2ca")
HEAD = colors.HexColor("#eef1f4")


Styles = dict[str, ParagraphStyle]


def _styles() -> Styles:
    sample = getSampleStyleSheet()
    styles = {
        name: cast(ParagraphStyle, sample[name]) for name in ("Title", "Heading2", "Heading3")
    }
    body = cast(ParagraphStyle, sample["BodyText"])
    styles["Cell"] = ParagraphStyle("Cell", parent=body, fontSize=8, leading=10)
    styles["Small"] = ParagraphStyle("Small", parent=body, fontSize=8, leading=10)
    styles["Caption"] = ParagraphStyle(
        "Caption", parent=styles["Small"], textColor=colors.HexColor("#5b6670")
    )
    return styles


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(pdf_text(str(text))), style)


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    styles: Styles,
    widths: Sequence[float] | None = None,
) -> Table:
    cell = styles["Cell"]
    data = [[_p(h, cell) for h in headers]] + [[_p(v, cell) for v in row] for row in rows]
    table = Table(data, colWidths=list(widths) if widths else None, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _facts(view: MonitoringView, styles: Styles) -> Table:
    run, document = view.run or {}, view.document or {}
    reference = document.get("reference") or {}
    source = reference.get("source") or {}
    named = f" ({source['name']})" if source.get("name") else ""
    status = str(document.get("status") or "not_measurable")
    reason = f": {document['reason']}" if document.get("reason") else ""
    facts = [
        ("AI system", f"{view.system.name} ({view.system.id})"),
        ("Tenant", f"{view.tenant['name']} ({view.tenant['id']})"),
        ("Model version", document.get("version") or run.get("version")),
        ("Decisions", f"{period(run.get('window_from'), run.get('window_to'))}: "
                      f"{plain(document.get('decisions'))} decisions"),
        ("Reference", f"{source.get('kind', 'reference data')}{named}, "
                      f"{plain(reference.get('rows'))} rows"),
        ("Status", f"{status_text(status, drift=False)}{reason}; "
                   f"{len(document.get('alerts') or [])} alerts"),
        ("Run", f"{moment(run.get('run_at'))} by {run.get('by', '')}; ledger entry "
                f"#{run.get('idx', '')} ({run.get('run_id', '')})"),
    ]  # fmt: skip
    cell = styles["Cell"]
    rows = [[_p(name, cell), _p(value, cell)] for name, value in facts]
    table = Table(rows, colWidths=[32 * mm, WIDTH - 32 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, LINE),
                ("BACKGROUND", (0, 0), (0, -1), HEAD),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _chart(chart: spec.Chart, styles: Styles) -> list[Flowable]:
    scene = layout(chart, font=CHART_FONT, scale=WIDTH / 760)
    parts: list[Flowable] = [
        _p(chart.title, styles["Heading3"]),
        render_drawing(scene),
        _p(f"{chart.summary} {chart.caption}".strip(), styles["Caption"]),
    ]
    flowables: list[Flowable] = [KeepTogether(parts)]
    if chart.key in TABLED and chart.table.rows:
        flowables += [Spacer(1, 4), _table(chart.table.headers, chart.table.rows, styles)]
    return flowables


def _footer(system: str, run_id: str) -> Any:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#5b6670"))
        text = pdf_text(f"Attest monitoring report \u00b7 {system} \u00b7 run {run_id}")
        canvas.drawString(MARGIN, 10 * mm, text)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    return draw


def monitoring_report(view: MonitoringView) -> bytes:
    """The PDF of ``view``'s run (``view.run`` must be set)."""
    if view.run is None or view.document is None:
        raise ValueError("a monitoring report needs a run")
    styles = _styles()
    document = view.document
    story: list[Flowable] = [
        _p(f"Monitoring report: {view.system.name}", styles["Title"]),
        _p(
            f"{view.tenant['name']} \u00b7 run of {moment(view.run.get('run_at'))} \u00b7 "
            f"status {status_text(document.get('status'), drift=False)}",
            styles["Small"],
        ),
        Spacer(1, 6),
        _facts(view, styles),
        _p("Alerts and what was done", styles["Heading2"]),
    ]
    alerts = alert_rows(view.alerts)
    if alerts:
        story.append(
            _table(
                ("#", "Alert", "Value", "Status", "What was done"),
                [(a["number"], a["metric"], a["value"], a["status"], a["done"]) for a in alerts],
                styles,
                [8 * mm, 40 * mm, 16 * mm, 26 * mm, WIDTH - 90 * mm],
            )
        )
    else:
        story.append(_p("No alerts.", styles["Small"]))
    story.append(_p("Inputs", styles["Heading2"]))
    story.append(
        _table(
            ("Feature", "CSI", "Status", "Missing", "Out of range", "Unseen categories"),
            [
                (
                    r["name"],
                    r["csi"],
                    status_text(r["status"]) + (f" ({r['reason']})" if r["reason"] else ""),
                    r["missing"],
                    r["out_of_range"],
                    r["unseen"],
                )
                for r in feature_rows(document)
            ],
            styles,
        )
    )
    story.append(_p("Score", styles["Heading2"]))
    scores = score_rows(document)
    if scores:
        story.append(
            _table(
                ("Metric", "Value", "Interval", "Status"),
                [
                    (
                        r["name"],
                        r["value"],
                        r["interval"],
                        status_text(r["status"], drift=r["drift"])
                        + (f" ({r['reason']})" if r["reason"] else ""),
                    )
                    for r in scores
                ],
                styles,
            )
        )
        labelled = plain((document.get("score") or {}).get("labelled"))
        story.append(
            _p(
                f"{labelled} of the period's decisions have a known outcome; discrimination and "
                "calibration are measured on those only.",
                styles["Caption"],
            )
        )
    else:
        story.append(_p("No score in the reference profile or the period.", styles["Small"]))
    story.append(_p("Charts", styles["Heading2"]))
    for chart in view.charts():
        story.extend(_chart(chart, styles))
        story.append(Spacer(1, 8))
    buffer = io.BytesIO()
    footer = _footer(view.system.id, str(view.run["run_id"]))
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=pdf_text(f"Monitoring report: {view.system.name}"),
        author="Attest",
        subject=pdf_text(f"{view.system.id}, run {view.run['run_id']}"),
        creator=f"Attest {__version__}",
        invariant=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
