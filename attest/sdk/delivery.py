"""Sending the spool's oldest batch, and what a refusal does: split, isolate, dead-letter.

The server stores a batch whole or not at all, so one malformed decision refuses 499 good ones.
A batch refused for a reason that lies in one record (the server's message starts "decision N"
or "outcome N") or in its size (413, "a batch holds at most") is split in halves, each sent in
order, until the refused records stand alone; only those are dead-lettered (about 2·log2(n)
extra requests for one bad record in n). A refusal about the caller (bad key, unknown or unnamed
tenant) would refuse every half, so that batch is dead-lettered whole.

Rows leave the spool in order, so everything up to :attr:`done_through` is settled: confirmed
by the server or written to the dead-letter file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from attest.sdk.deadletter import DeadLetter, DeadLetterFile, dead_letter
from attest.sdk.sink import Delivered, Rejected, Retry, Sink
from attest.sdk.spool import Row, Spool


@dataclass
class Tally:
    """What one :meth:`Delivery.send_head` call did."""

    delivered: int = 0
    created: int = 0
    repeated: int = 0
    dead: int = 0
    retry: Retry | None = None


class Delivery:
    def __init__(
        self,
        sink: Sink,
        spool: Spool,
        dead_letters: DeadLetterFile,
        on_dead: Callable[[list[DeadLetter]], None],
    ) -> None:
        self.sink = sink
        self.spool = spool
        self.dead_letters = dead_letters
        self.on_dead = on_dead
        self.done_through = 0  # every row with seq <= this has left the spool

    def send_head(self, batch_size: int) -> Tally:
        """Send the oldest batch; a :class:`Retry` leaves the unsent rows first in the spool."""
        tally = Tally()
        rows = self.spool.head(batch_size)
        if rows:
            self._deliver(rows, tally)
        return tally

    def _deliver(self, rows: Sequence[Row], tally: Tally) -> bool:
        """Settle ``rows`` in order; False when a retryable failure stopped it."""
        first = rows[0]
        answer = self.sink.send(first.kind, first.tenant, [r.record for r in rows])
        if isinstance(answer, Retry):
            tally.retry = answer
            return False
        if isinstance(answer, Delivered):
            self._settle(rows)
            tally.delivered += len(rows)
            tally.created += answer.created
            tally.repeated += answer.repeated
            return True
        if answer.splittable and len(rows) > 1:
            middle = len(rows) // 2
            return self._deliver(rows[:middle], tally) and self._deliver(rows[middle:], tally)
        self._refuse(rows, answer)
        tally.dead += len(rows)
        return True

    def _refuse(self, rows: Sequence[Row], answer: Rejected) -> None:
        letters = [
            dead_letter(r.kind, r.tenant, answer.status, answer.message, json.loads(r.record))
            for r in rows
        ]
        self.dead_letters.append(letters)  # fsync'd before the rows leave the spool
        self._settle(rows)
        self.on_dead(letters)

    def _settle(self, rows: Sequence[Row]) -> None:
        self.spool.remove(rows[0].seq, rows[-1].seq)
        self.done_through = max(self.done_through, rows[-1].seq)
