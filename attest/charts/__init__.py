"""Charts defined once and drawn twice: inline SVG for the web page, reportlab for PDF reports.

``monitoring`` turns monitoring run documents into chart specifications (``spec``: values,
axes, thresholds, titles and text alternatives); ``layout`` places a specification on a canvas
of a given width; ``svg`` and ``pdf`` only draw what ``layout`` placed, so the page and the
report cannot disagree about a chart.
"""
