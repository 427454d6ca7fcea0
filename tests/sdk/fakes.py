"""For the unit tests only: an in-memory stand-in for the ingest API behind httpx.MockTransport.

It answers like ``attest.api.routes.decisions`` (201, ``created`` false for a known id, the error
body ``{"error": {"status", "message"}}``), can be switched off (connection refused), and can be
told to refuse records or answer with a given status. The integration tests use the real server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx


class FakeApi:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.up = True
        self.requests: list[tuple[str, list[dict[str, Any]]]] = []  # every request received
        self.stored: dict[str, dict[str, Any]] = {}  # id -> record, in arrival order
        self.script: list[httpx.Response] = []  # answers to give first, one per request
        self.refuse: Callable[[dict[str, Any]], str | None] = lambda record: None
        self.refuse_status = 400

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def batches(self, path: str = "/api/v1/decisions/batch") -> list[int]:
        with self.lock:
            return [len(records) for p, records in self.requests if p == path]

    def stored_ids(self) -> list[str]:
        with self.lock:
            return list(self.stored)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if not self.up:
                raise httpx.ConnectError("connection refused", request=request)
            key = "decisions" if request.url.path.endswith("/decisions/batch") else "outcomes"
            records = json.loads(request.content)[key]
            self.requests.append((request.url.path, records))
            if self.script:
                return self.script.pop(0)
            for number, record in enumerate(records, 1):
                problem = self.refuse(record)
                if problem:
                    message = f"{key[:-1]} {number}: {problem}"
                    return httpx.Response(
                        self.refuse_status,
                        json={"error": {"status": self.refuse_status, "message": message}},
                    )
            answers = []
            for record in records:
                entry_id = record["decision_id" if key == "decisions" else "outcome_id"]
                created = entry_id not in self.stored
                self.stored.setdefault(entry_id, record)
                answers.append({"id": entry_id, "index": 0, "created": created, "flags": []})
            return httpx.Response(201, json={key: answers, "tree_size": 1, "checkpoint": "-"})


def error(status: int, message: str = "no", **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"status": status, "message": message}}, headers=headers
    )
