"""An embedded store as a sink: ``Client.local`` appends through the same service the API uses.

No server, no HTTP: ``runtime.decisions.ingest`` is called on the worker thread with the decoded
records, so the checks, flags, projections and idempotency are exactly those of the API. Errors
map to the same three answers: a refusal (4xx) is dead-lettered, anything else is retried.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from attest.errors import Error
from attest.runtime import Runtime
from attest.sdk.records import DECISION
from attest.sdk.sink import Answer, Delivered, Rejected, Retry

log = logging.getLogger("attest.sdk")


class LocalSink:
    def __init__(self, runtime: Runtime, tenant: str) -> None:
        self.runtime = runtime
        self.tenant = tenant

    def send(self, kind: str, tenant: str | None, records: Sequence[str]) -> Answer:
        items = [json.loads(text) for text in records]
        decisions = self.runtime.decisions
        limit = self.runtime.settings.max_batch
        try:
            if kind == DECISION:
                accepted = decisions.ingest(tenant or self.tenant, items, limit)
            else:
                accepted = decisions.record_outcomes(tenant or self.tenant, items, limit)
        except Error as error:
            if error.status >= 500:
                return Retry(f"{type(error).__name__}: {error}")
            return Rejected(error.status, str(error))
        except Exception as error:  # a database hiccup the store did not classify: keep the records
            log.warning("local store failed, will retry: %s", error, exc_info=True)
            return Retry(f"{type(error).__name__}: {error}")
        created = sum(1 for a in accepted if a.created)
        return Delivered(created, len(accepted) - created)

    def close(self) -> None:
        self.runtime.close()
