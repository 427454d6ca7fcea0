"""Who may do what: API keys and web users, each with roles and tenant scopes.

API keys read ``atk_<key id>_<secret>``; only SHA-256 of the 256-bit secret is stored (a fast hash
is right for a random secret; argon2 is for passwords, which people choose). A key or user scoped
to ``*`` is vendor staff and reaches every tenant; otherwise it reaches the tenants listed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from attest.core.records import check_tenant
from attest.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from attest.store.sql.access import AccessStore

Role = Literal["admin", "developer", "validator", "reviewer", "compliance", "auditor"]
ROLES: tuple[str, ...] = get_args(Role)
ALL_TENANTS = "*"
KEY_PATTERN = re.compile(r"atk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIN_PASSWORD = 12

# A dummy hash to verify against when a user does not exist, so timing does not tell.
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("attest: no such user")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a key or a user, with roles and the tenants it may reach."""

    name: str
    kind: Literal["key", "user"]
    roles: frozenset[str]
    tenants: frozenset[str]

    def may_reach(self, tenant: str) -> bool:
        return ALL_TENANTS in self.tenants or tenant in self.tenants

    def check(self, tenant: str | None, allowed: Iterable[str]) -> None:
        """Raise :class:`Forbidden` unless a role is allowed and the tenant is in scope."""
        allowed = set(allowed)
        if not self.roles & allowed:
            raise Forbidden(f"{self.kind} {self.name} has no role allowed here")
        if tenant is not None and not self.may_reach(tenant):
            raise Forbidden(f"{self.kind} {self.name} may not reach tenant {tenant}")

    @property
    def single_tenant(self) -> str | None:
        return (
            next(iter(self.tenants))
            if len(self.tenants) == 1 and ALL_TENANTS not in self.tenants
            else None
        )


def _roles(values: Iterable[str]) -> frozenset[str]:
    roles = frozenset(values)
    unknown = sorted(roles - set(ROLES))
    if not roles or unknown:
        raise InvalidInput(f"field 'roles' must list some of {', '.join(ROLES)}")
    return roles


def _tenants(values: Iterable[str]) -> frozenset[str]:
    tenants = frozenset(values)
    if not tenants:
        raise InvalidInput("field 'tenants' must list tenants, or '*' for all")
    for tenant in tenants - {ALL_TENANTS}:
        check_tenant(tenant)
    return tenants


def _join(values: Iterable[str]) -> str:
    return ",".join(sorted(values))


@dataclass(frozen=True)
class IssuedKey:
    """A new API key: ``token`` is shown once and never again."""

    key_id: str
    token: str


class Access:
    def __init__(
        self,
        store: AccessStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.store = store
        self.clock = clock
        self.random = random

    # -- API keys ------------------------------------------------------------------------------

    def issue_key(
        self,
        name: str,
        roles: Iterable[str],
        tenants: Iterable[str],
        expires_at: datetime | None = None,
    ) -> IssuedKey:
        if not name.strip() or len(name) > 200:
            raise InvalidInput("field 'name' must say what the key is for (at most 200 characters)")
        key_id = self.random(8).hex()
        secret = base64.urlsafe_b64encode(self.random(32)).decode().rstrip("=")
        self.store.add_key(
            {
                "key_id": key_id,
                "name": name,
                "secret_hash": hashlib.sha256(secret.encode()).digest(),
                "roles": _join(_roles(roles)),
                "tenants": _join(_tenants(tenants)),
                "created_at": self.clock(),
                "expires_at": expires_at,
            }
        )
        return IssuedKey(key_id, f"atk_{key_id}_{secret}")

    def authenticate_key(self, token: str) -> Principal:
        match = KEY_PATTERN.fullmatch(token.strip())
        if match is None:
            raise Unauthenticated("the API key is malformed")
        key_id, secret = match.groups()
        record = self.store.key(key_id)
        expected = record["secret_hash"] if record else hashlib.sha256(b"absent").digest()
        if (
            not hmac.compare_digest(hashlib.sha256(secret.encode()).digest(), expected)
            or not record
        ):
            raise Unauthenticated("the API key is not valid")
        if record["revoked_at"] is not None:
            raise Unauthenticated("the API key was revoked")
        if record["expires_at"] is not None and record["expires_at"] <= self.clock():
            raise Unauthenticated("the API key has expired")
        return Principal(
            f"key {key_id} ({record['name']})",
            "key",
            frozenset(record["roles"].split(",")),
            frozenset(record["tenants"].split(",")),
        )

    def revoke_key(self, key_id: str) -> None:
        if not self.store.revoke_key(key_id, self.clock()):
            raise NotFound(f"no active API key {key_id}")

    def keys(self) -> list[dict[str, object]]:
        return self.store.keys()

    # -- web users -----------------------------------------------------------------------------

    def add_user(
        self, username: str, password: str, roles: Iterable[str], tenants: Iterable[str]
    ) -> None:
        if not USERNAME.fullmatch(username):
            raise InvalidInput("field 'username' must be 1-64 lowercase letters, digits or ._-")
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"field 'password' must have at least {MIN_PASSWORD} characters")
        self.store.add_user(
            {
                "username": username,
                "password_hash": _HASHER.hash(password),
                "roles": _join(_roles(roles)),
                "tenants": _join(_tenants(tenants)),
                "created_at": self.clock(),
            }
        )

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"field 'password' must have at least {MIN_PASSWORD} characters")
        if self.store.user(username) is None:
            raise NotFound(f"no user {username}")
        self.store.set_password(username, _HASHER.hash(password))

    def authenticate_user(self, username: str, password: str) -> Principal:
        record = self.store.user(username) if USERNAME.fullmatch(username) else None
        try:
            _HASHER.verify(record["password_hash"] if record else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise Unauthenticated("wrong username or password") from None
        if record is None or record["disabled_at"] is not None:
            raise Unauthenticated("wrong username or password")
        if _HASHER.check_needs_rehash(record["password_hash"]):
            self.store.set_password(username, _HASHER.hash(password))
        return self.principal_of_user(username)

    def principal_of_user(self, username: str) -> Principal:
        record = self.store.user(username)
        if record is None or record["disabled_at"] is not None:
            raise Unauthenticated("the session's user no longer exists")
        return Principal(
            username,
            "user",
            frozenset(record["roles"].split(",")),
            frozenset(record["tenants"].split(",")),
        )


def tenant_of(principal: Principal, requested: str | None) -> str:
    """The tenant a tenant-less route acts on: the one asked for, or the key's only tenant."""
    tenant = requested or principal.single_tenant
    if tenant is None:
        raise InvalidInput(
            "name the tenant (header X-Attest-Tenant): this key reaches more than one"
        )
    return check_tenant(tenant)
