"""The monitoring page of a system, its runs' PDF reports, and acting on alerts (acknowledge,
finding, incident).

The page and the report read a run through attest.reports.monitoring_run and draw the same
chart definitions; both need what the page needs: a signed-in user with a READ role on the
tenant (``ViewerDep``).
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from attest.api.deps import MONITOR, RuntimeDep
from attest.charts.words import LEVEL_TEXT, STATUS_TEXT, fixed, period
from attest.errors import NotFound
from attest.reports.monitoring_pdf import monitoring_report
from attest.reports.monitoring_run import load
from attest.reports.monitoring_tables import feature_rows, score_rows
from attest.service.monitoring import ALERT_ACTIONS
from attest.web.monitoring import figures
from attest.web.pages import ViewerDep, WebRoute, check_form, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _page(tenant: str, system: str) -> str:
    return f"/tenants/{quote(tenant, safe='')}/systems/{quote(system, safe='')}/monitoring"


@router.get("/tenants/{tenant}/systems/{system}/monitoring")
def monitoring_page(
    request: Request,
    tenant: str,
    system: str,
    runtime: RuntimeDep,
    viewer: ViewerDep,
    run: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    view = load(runtime, tenant, system, run)
    document = view.document
    return render(
        request,
        "monitoring.html",
        tenant=view.tenant,
        system=view.system,
        runs=view.runs,
        selected=view.run,
        document=document,
        alerts=view.alerts,
        actions=ALERT_ACTIONS,
        can_act=bool(viewer.principal.roles & set(MONITOR)),
        features=feature_rows(document) if document else [],
        scores=score_rows(document) if document else [],
        figures=figures(view),
        statuses=STATUS_TEXT,
        levels=LEVEL_TEXT,
        fixed=fixed,
        window=period,
        page=_page(tenant, system),
    )


@router.get("/tenants/{tenant}/systems/{system}/monitoring/runs/{run_id}/report.pdf")
def monitoring_report_pdf(
    tenant: str, system: str, run_id: str, runtime: RuntimeDep, viewer: ViewerDep
) -> Response:
    """The run's monitoring report: what its page shows, as a reproducible PDF."""
    if len(run_id) > 128:
        raise NotFound("this system has no such monitoring run")
    view = load(runtime, tenant, system, run_id)
    name = UNSAFE.sub("_", f"monitoring-{system}-{run_id}")[:160]
    return Response(
        monitoring_report(view),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@router.post("/tenants/{tenant}/systems/{system}/monitoring/runs/{run_id}/alerts/{number}")
def act_on_alert(
    request: Request,
    tenant: str,
    system: str,
    run_id: str,
    number: int,
    runtime: RuntimeDep,
    viewer: ViewerDep,
    action: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Acknowledge the alert or record the finding or incident it became (an entry)."""
    check_form(request, viewer, csrf_token, tenant, MONITOR, "alert")
    runtime.monitoring.act_on_alert(
        tenant,
        system,
        run_id,
        number,
        action=action,
        note=note,
        by=viewer.principal.name,
        reference=reference.strip() or None,
    )
    target = f"{_page(tenant, system)}?run={quote(run_id, safe='')}#alerts"
    return RedirectResponse(target, status_code=303)
