"""Sessions of the web app: encrypted cookies, CSRF tokens, expiry and logout.

The session lives in a cookie sealed with AES-256-GCM under a key derived by HKDF-SHA256 from the
vault master key (which lives outside the database and the repository, in ``ATTEST_MASTER_KEY`` or
``$ATTEST_HOME/master.key``). The browser sees only ciphertext: the username, the CSRF token and
the times cannot be read or changed without the key. Each cookie's purpose is its associated
data, so a sign-in form cookie can never pass for a session.

A session holds a random id, the username, a per-session CSRF token (a synchronizer token: every
state-changing form carries it and the server compares it with the one in the session), when it
began and when it was last used, and a keyed hash of the user's password hash, so that a changed
password ends every older session. Every request re-reads the user (a disabled user is out at
once), and a session ends after ``session_idle_minutes`` without use or ``session_max_hours``
after sign-in. Logout deletes the cookie and remembers the session id as revoked until it would
have expired anyway; that memory is per process (see :class:`Revocations`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from attest.web.settings import WebSettings

SESSION_KEY_INFO = b"attest web session cookies v1"
NONCE_SIZE = 12
SESSION = "session"
LOGIN = "login"
# Refresh the "last used" time in the cookie at most this often (seconds), not on every page.
TOUCH_INTERVAL = 60


def derive_session_key(master_key: bytes) -> bytes:
    """The cookie key: HKDF-SHA256 of the vault master key, for this one purpose."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=SESSION_KEY_INFO).derive(master_key)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sealer:
    """Seals small JSON payloads for cookies (AES-GCM, fresh random nonce, purpose as AAD)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self._mac_key = hashlib.sha256(b"attest web binding\x00" + key).digest()

    def seal(self, purpose: str, payload: dict[str, Any]) -> str:
        nonce = os.urandom(NONCE_SIZE)
        plain = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return _b64encode(nonce + self._aead.encrypt(nonce, plain, purpose.encode()))

    def open(self, purpose: str, token: str | None) -> dict[str, Any] | None:
        """The payload, or None for anything that was not sealed by us for this purpose."""
        if not token or len(token) > 4096:
            return None
        try:
            raw = _b64decode(token)
            plain = self._aead.decrypt(raw[:NONCE_SIZE], raw[NONCE_SIZE:], purpose.encode())
            payload = json.loads(plain)
        except (binascii.Error, ValueError, InvalidTag):
            return None
        return payload if isinstance(payload, dict) else None

    def binding(self, value: str) -> str:
        """A keyed hash of ``value`` (a password hash) to store in a session without exposing it."""
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Session:
    """A signed-in user's session, as the cookie holds it."""

    sid: str
    username: str
    csrf: str
    started: float
    seen: float
    password: str

    def to_payload(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "u": self.username,
            "csrf": self.csrf,
            "iat": self.started,
            "seen": self.seen,
            "pw": self.password,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Session | None:
        try:
            session = cls(
                sid=str(payload["sid"]),
                username=str(payload["u"]),
                csrf=str(payload["csrf"]),
                started=float(payload["iat"]),
                seen=float(payload["seen"]),
                password=str(payload["pw"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return session


@dataclass(frozen=True)
class LoginForm:
    """The state of a sign-in form before anyone is signed in: its CSRF token and where to go."""

    csrf: str
    next: str
    expires: float


class Revocations:
    """Ids of sessions ended by logout, kept until they would have expired anyway.

    Kept in this process's memory: with several uvicorn workers, a copy of a logged-out cookie
    still works in the other workers until its idle or absolute expiry. The browser that logged
    out has deleted its cookie either way.
    """

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def revoke(self, sid: str, until: float, now: float) -> None:
        with self._lock:
            self._until = {s: t for s, t in self._until.items() if t > now}
            self._until[sid] = until

    def revoked(self, sid: str) -> bool:
        with self._lock:
            return sid in self._until


def safe_next(path: str | None) -> str:
    """Where to go after sign-in: a path on this site, never another site."""
    if (
        not path
        or not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or any(ord(c) < 0x21 for c in path)
        or path.startswith(("/login", "/logout", "/static"))
        or len(path) > 2000
    ):
        return "/"
    return path


class Sessions:
    """Creates, reads and ends sessions and sign-in forms for one app."""

    def __init__(
        self,
        settings: WebSettings,
        key_source: Callable[[], bytes],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.revocations = Revocations()
        self._key_source = key_source
        self._sealer: Sealer | None = None
        self._lock = threading.Lock()
        prefix = "__Host-" if settings.secure_cookies else ""
        self.session_cookie = f"{prefix}attest_session"
        self.login_cookie = f"{prefix}attest_login"

    @property
    def sealer(self) -> Sealer:
        """Derived on first use, so building the app opens no key file."""
        with self._lock:
            if self._sealer is None:
                self._sealer = Sealer(derive_session_key(self._key_source()))
            return self._sealer

    @property
    def idle_seconds(self) -> float:
        return self.settings.session_idle_minutes * 60.0

    @property
    def max_seconds(self) -> float:
        return self.settings.session_max_hours * 3600.0

    def cookie_options(self) -> dict[str, Any]:
        # No Max-Age: the cookie ends with the browser; the server enforces the expiry.
        return {
            "httponly": True,
            "secure": self.settings.secure_cookies,
            "samesite": "lax",
            "path": "/",
        }

    # -- sessions ----------------------------------------------------------------------------

    def start(self, username: str, password_hash: str) -> tuple[Session, str]:
        """A new session (new id and CSRF token) and its cookie value."""
        now = self.clock()
        session = Session(
            sid=secrets.token_urlsafe(16),
            username=username,
            csrf=secrets.token_urlsafe(32),
            started=now,
            seen=now,
            password=self.sealer.binding(password_hash),
        )
        return session, self.sealer.seal(SESSION, session.to_payload())

    def read(self, cookie: str | None) -> Session | None:
        """The session in a cookie, or None when it is forged, expired or logged out."""
        payload = self.sealer.open(SESSION, cookie)
        session = Session.from_payload(payload) if payload is not None else None
        if session is None:
            return None
        now = self.clock()
        if (
            now - session.started > self.max_seconds
            or now - session.seen > self.idle_seconds
            or session.started > now + 60
            or self.revocations.revoked(session.sid)
        ):
            return None
        return session

    def matches_password(self, session: Session, password_hash: str) -> bool:
        return hmac.compare_digest(session.password, self.sealer.binding(password_hash))

    def touch(self, session: Session) -> str | None:
        """A refreshed cookie value when the session's "last used" time is stale, else None."""
        now = self.clock()
        if now - session.seen < TOUCH_INTERVAL:
            return None
        fresh = Session(
            session.sid, session.username, session.csrf, session.started, now, session.password
        )
        return self.sealer.seal(SESSION, fresh.to_payload())

    def end(self, session: Session) -> None:
        self.revocations.revoke(session.sid, session.started + self.max_seconds, self.clock())

    # -- sign-in forms -----------------------------------------------------------------------

    def new_login_form(self, next_path: str | None = None) -> tuple[LoginForm, str]:
        form = LoginForm(
            csrf=secrets.token_urlsafe(32),
            next=safe_next(next_path),
            expires=self.clock() + self.settings.login_form_minutes * 60.0,
        )
        payload = {"csrf": form.csrf, "next": form.next, "exp": form.expires}
        return form, self.sealer.seal(LOGIN, payload)

    def read_login_form(self, cookie: str | None) -> LoginForm | None:
        payload = self.sealer.open(LOGIN, cookie)
        if payload is None:
            return None
        try:
            form = LoginForm(
                str(payload["csrf"]), safe_next(payload["next"]), float(payload["exp"])
            )
        except (KeyError, TypeError, ValueError):
            return None
        return form if form.expires > self.clock() else None


def tokens_match(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token from a form with the expected one."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())
