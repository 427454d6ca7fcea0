"""The API as a sink: ``POST /api/v1/decisions/batch`` and ``POST /api/v1/outcomes``.

The tenant is the API key's single tenant unless the client names one (``X-Attest-Tenant``).
Spooled JSON texts are joined into the body as they are, so a retry sends the very same bytes.
Connection errors, timeouts, 408, 429 and 5xx are retried; a 2xx whose body does not confirm every
record is retried too (a proxy's page is not a confirmation); any other status is a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from attest import __version__
from attest.sdk.records import DECISION, OUTCOME
from attest.sdk.sink import Answer, Delivered, Rejected, Retry

ROUTES = {
    DECISION: ("/api/v1/decisions/batch", "decisions"),
    OUTCOME: ("/api/v1/outcomes", "outcomes"),
}
RETRY_STATUSES = frozenset({408, 429})
MAX_MESSAGE = 500


def _message(response: httpx.Response) -> str:
    """The server's own message (``{"error": {"message": ...}}``), else the body's start."""
    try:
        data = response.json()
        message = data["error"]["message"]
        if isinstance(message, str):
            return message
    except (ValueError, KeyError, TypeError):
        pass
    text = response.text.strip()[:MAX_MESSAGE]
    return text or response.reason_phrase or f"HTTP {response.status_code}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date, or nothing: our own back-off decides


def _confirmation(response: httpx.Response, key: str, count: int) -> Answer:
    try:
        items: Any = response.json()[key]
        if not isinstance(items, list) or len(items) != count:
            raise ValueError
        created = sum(1 for item in items if item.get("created") is True)
    except (ValueError, KeyError, TypeError, AttributeError):
        return Retry(f"HTTP {response.status_code} without a confirmation of {count} {key}")
    return Delivered(created, count - created)


class HttpSink:
    """One ``httpx.Client`` (keep-alive) used only by the sender thread."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._client = httpx.Client(
            base_url=url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": f"attest-sdk/{__version__}",
                "Content-Type": "application/json",
            },
        )

    def send(self, kind: str, tenant: str | None, records: Sequence[str]) -> Answer:
        path, key = ROUTES[kind]
        body = ('{"' + key + '":[' + ",".join(records) + "]}").encode()
        headers = {"X-Attest-Tenant": tenant} if tenant else None
        try:
            response = self._client.post(path, content=body, headers=headers)
        except httpx.TransportError as error:  # connect, read, write, timeouts, protocol
            return Retry(f"{type(error).__name__}: {error}")
        status = response.status_code
        if 200 <= status < 300:
            return _confirmation(response, key, len(records))
        if status in RETRY_STATUSES or status >= 500:
            return Retry(f"HTTP {status}: {_message(response)}", _retry_after(response))
        if 300 <= status < 400:
            where = response.headers.get("Location", "elsewhere")
            return Rejected(status, f"HTTP {status}: the API answered with a redirect to {where}")
        return Rejected(status, _message(response))

    def close(self) -> None:
        self._client.close()
