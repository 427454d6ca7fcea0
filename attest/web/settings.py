"""Settings of the web app, read from ``ATTEST_WEB_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """How the web app's cookies and sessions behave. Built when the app is built."""

    model_config = SettingsConfigDict(env_prefix="ATTEST_WEB_", extra="ignore")

    secure_cookies: bool = Field(
        default=True,
        description=(
            "Mark cookies Secure (and name them __Host-...), as a deployment over HTTPS needs; "
            "set to false only to sign in over plain HTTP on a local machine."
        ),
    )
    session_idle_minutes: int = Field(
        default=30, gt=0, description="A session ends after this long without a page view."
    )
    session_max_hours: int = Field(
        default=8, gt=0, description="A session ends this long after sign-in, whatever happens."
    )
    login_form_minutes: int = Field(
        default=30, gt=0, description="How long a sign-in form stays valid."
    )
