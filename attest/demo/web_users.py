"""The demo's people: an examiner and a compliance officer who sign in to the web app."""

from __future__ import annotations

import os
import secrets

from attest.errors import Conflict
from attest.service.access import Access

DEMO_USERS = (("examiner", ("auditor",)), ("compliance", ("compliance",)))
PASSWORD_VARIABLE = "ATTEST_DEMO_PASSWORD"


def demo_password() -> tuple[str, bool]:
    """``ATTEST_DEMO_PASSWORD`` when set, else a fresh random one; and whether it was set."""
    given = os.environ.get(PASSWORD_VARIABLE)
    return (given, True) if given else (secrets.token_urlsafe(12), False)


def ensure_demo_users(access: Access, tenant: str, password: str) -> list[str]:
    """Create the demo users for ``tenant``, or give existing ones this password."""
    names = []
    for username, roles in DEMO_USERS:
        try:
            access.add_user(username, password, roles, [tenant])
        except Conflict:
            access.set_password(username, password)
        names.append(f"{username} ({', '.join(roles)})")
    return names
