"""The monitoring page's charts: each chart of the run drawn as inline SVG beside its words.

The charts are defined in attest.charts.monitoring, the same definitions the PDF report
draws; here they only become SVG and the summary, caption and data table the page prints
under each one (the table is the chart's text alternative, in a ``<details>`` element).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from attest.charts.layout import layout
from attest.charts.spec import Table
from attest.charts.svg import render_svg
from attest.reports.monitoring_run import MonitoringView


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    svg: Markup
    summary: str
    caption: str
    table: Table
    empty: str | None


def figures(view: MonitoringView) -> list[Figure]:
    return [
        Figure(
            chart.key,
            chart.title,
            render_svg(layout(chart)),
            chart.summary,
            chart.caption,
            chart.table,
            chart.empty,
        )
        for chart in view.charts()
    ]
