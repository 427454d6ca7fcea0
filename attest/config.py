"""Settings, read from ``ATTEST_*`` environment variables (documented in docs/settings.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable. Built by :func:`get_settings`, never at import time."""

    model_config = SettingsConfigDict(env_prefix="ATTEST_", extra="ignore")

    home: Path = Field(
        default=Path(".attest"),
        description="Directory holding the SQLite database, the signing key and the master key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; default: SQLite file attest.db in home.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="Vault master key, base64 of 32 bytes; overrides the file master.key in home.",
    )
    host: str = Field(
        default="localhost",
        description="Deployment name: the signing key's name and the host part of log origins.",
    )
    max_entry_bytes: int = Field(
        default=256 * 1024, gt=0, description="Largest canonical entry accepted, in bytes."
    )
    max_batch: int = Field(
        default=5000, gt=0, description="Most decisions or outcomes one API request may carry."
    )
    max_request_bytes: int = Field(
        default=16 * 1024 * 1024, gt=0, description="Largest API request body, in bytes."
    )
    append_batch_size: int = Field(
        default=1000, gt=0, description="Entries per transaction when the CLI appends a file."
    )
    monitoring_due_interval: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between the server's runs of due monitoring plans; 0 turns them off.",
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'attest.db').resolve()}"

    @property
    def signing_key_path(self) -> Path:
        return self.home / "signing.key"

    @property
    def verifier_key_path(self) -> Path:
        return self.home / "verifier.key"

    @property
    def master_key_path(self) -> Path:
        return self.home / "master.key"

    @property
    def audit_state_dir(self) -> Path:
        return self.home / "audit"


def get_settings() -> Settings:
    return Settings()
