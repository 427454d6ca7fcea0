"""The server's background thread that runs the monitoring periods plans have due.

``attest serve`` starts it (``attest.api.server``); apps built for tests do not. Every
``ATTEST_MONITORING_DUE_INTERVAL`` seconds (first a minute after start, so a restart catches up
soon) it runs ``Monitoring.run_due`` for every tenant. Several workers or servers may each run
one: a period's run has the same entry id whoever logs it, so it is logged once.

Failures are logged and the thread carries on. Only Attest's own error messages are logged (they
name systems, versions and fields, never a person); any other exception is logged by its type
alone, since a database error's text can carry the values of a statement.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import UTC, datetime

from attest.errors import Error
from attest.runtime import Runtime

log = logging.getLogger("attest.monitoring")
FIRST_PASS_AFTER = 60.0  # seconds after start
RUN_BY = "attest serve (monitoring plan)"


class DuePlans:
    """Runs due monitoring periods in a daemon thread until ``stop``."""

    def __init__(
        self, runtime: Runtime, interval: float, *, first_after: float = FIRST_PASS_AFTER
    ) -> None:
        self.runtime = runtime
        self.interval = interval
        # Workers started together would otherwise pass in lockstep and race for every period.
        self.first_after = min(first_after + random.uniform(0, first_after / 2), interval)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="attest-due-plans", daemon=True)

    def start(self) -> DuePlans:
        self.thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _loop(self) -> None:
        wait = self.first_after
        while not self.stopping.wait(wait):
            self.run_once(datetime.now(UTC))
            wait = self.interval

    def run_once(self, now: datetime) -> int:
        """One pass over every tenant; returns how many periods were run."""
        ran = 0
        try:
            tenants = self.runtime.inventory.tenants()
        except Exception as error:  # noqa: BLE001 - the thread must outlive a bad pass
            log.error("due monitoring plans: cannot list tenants (%s)", _safe(error))
            return 0
        for tenant in tenants:
            if self.stopping.is_set():
                break
            try:
                lines = self.runtime.monitoring.run_due(tenant, now, by=RUN_BY)
            except Exception as error:  # noqa: BLE001
                log.error("due monitoring plans of tenant %s failed (%s)", tenant, _safe(error))
                continue
            for line in lines:
                where = f"tenant {tenant}, {line['system']} {line['version']}"
                if "error" in line:
                    log.warning("monitoring plan of %s not run: %s", where, line["error"])
                else:
                    ran += 1
                    log.info(
                        "monitoring %s %s: %s (entry %s)",
                        where,
                        line["period"],
                        line["status"],
                        line["entry"],
                    )
        return ran


def _safe(error: Exception) -> str:
    return str(error) if isinstance(error, Error) else type(error).__name__
