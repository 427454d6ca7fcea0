"""A fault in the client's network path, in front of the real server: the answer is lost.

The request reaches the server and is committed; the client then sees a read timeout instead of
the answer, as when a connection drops after the server replied. The SDK must resend the batch and
the server must answer ``created: false``: exactly once in the ledger, at-least-once on the wire.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx


class LoseAnswers(httpx.BaseTransport):
    """Forward every request; drop the answer of request number n (1-based) when ``lose(n)``."""

    def __init__(self, inner: httpx.BaseTransport, lose: Callable[[int], bool]) -> None:
        self.inner = inner
        self.lose = lose
        self.sent = 0
        self.lost = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent += 1
            number = self.sent
        response = self.inner.handle_request(request)
        if not self.lose(number):
            return response
        response.read()  # the server has answered: the batch is committed
        response.close()
        with self._lock:
            self.lost += 1
        raise httpx.ReadTimeout("answer lost (injected)", request=request)

    def close(self) -> None:
        self.inner.close()
