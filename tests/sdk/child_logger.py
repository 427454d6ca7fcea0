"""The client process the kill test SIGKILLs: ``python -m tests.sdk.child_logger URL KEY SPOOL N``.

It logs decisions ``child-00000`` .. ``child-{N-1}`` through an SDK client whose network path
loses every answer after the first two batches (the server commits them; the client never hears
back), calls ``flush()`` (so all N are at least spooled), prints ``logged N``, then keeps logging
more decisions until it is killed.
"""

from __future__ import annotations

import sys
import time

import httpx

from attest.sdk import Client
from tests.sdk.faults import LoseAnswers
from tests.sdk.server import decision


def main() -> None:
    url, key, spool_dir, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    client = Client(
        url,
        key,
        spool_dir=spool_dir,
        transport=LoseAnswers(httpx.HTTPTransport(), lose=lambda n: n > 2),
        batch_size=250,
        flush_interval=0.02,
        max_backoff=0.1,
        timeout=10.0,
    )
    for number in range(count):
        client.log_decision(**decision(number, f"child-{number:05d}"))
    settled = client.flush(timeout=60)
    print(f"logged {count} settled={settled} {client.stats()}", flush=True)
    number = count
    while True:  # busy until the SIGKILL
        client.log_decision(**decision(number, f"child-{number:05d}"))
        number += 1
        time.sleep(0.0005)


if __name__ == "__main__":
    main()
