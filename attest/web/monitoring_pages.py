"""The monitoring page of a system, and acting on its alerts (acknowledge, finding, incident)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from attest.api.deps import MONITOR, RuntimeDep
from attest.errors import NotFound
from attest.service.monitoring import ALERT_ACTIONS
from attest.web import fairness, monitoring
from attest.web.pages import ViewerDep, WebRoute, check_form, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


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
    found = runtime.inventory.system(tenant, system)
    runs = runtime.monitoring.runs(tenant, system)  # newest first
    selected = next((r for r in runs if r["run_id"] == run), None) if run else None
    if run and selected is None:
        raise NotFound("this system has no such monitoring run")
    selected = selected or (runs[0] if runs else None)
    recent = runs[: monitoring.MAX_CHART_RUNS][::-1]  # oldest first, as the chart reads
    documents: dict[str, Any] = {
        r["run_id"]: runtime.monitoring.document(tenant, system, r["run_id"]) for r in recent
    }
    document = None
    alerts: list[dict[str, Any]] = []
    if selected is not None:
        document = documents.get(selected["run_id"]) or runtime.monitoring.document(
            tenant, system, selected["run_id"]
        )
        alerts = sorted(
            (
                a
                for a in runtime.monitoring.alerts(tenant, system)
                if a["run_id"] == selected["run_id"]
            ),
            key=lambda a: a["number"],
        )
    labels = [
        fairness.window_text(r["window_from"], r["window_to"]).split(" to ")[0] for r in recent
    ]
    return render(
        request,
        "monitoring.html",
        tenant={"id": tenant, "name": runtime.inventory.tenant(tenant)["name"]},
        system=found,
        runs=runs,
        selected=selected,
        document=document,
        alerts=alerts,
        actions=ALERT_ACTIONS,
        can_act=bool(viewer.principal.roles & set(MONITOR)),
        features=monitoring.feature_rows(document) if document else [],
        scores=monitoring.score_rows(document) if document else [],
        chart=monitoring.csi_chart(
            [(label, documents[r["run_id"]]) for label, r in zip(labels, recent, strict=True)]
        ),
        statuses=monitoring.STATUS_TEXT,
        fixed=monitoring.fixed,
        window=fairness.window_text,
        page=_page(tenant, system),
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
