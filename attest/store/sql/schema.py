"""Migrations: bring a database to the current schema, or refuse to run on a stale one."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from attest.errors import ConfigurationError, SchemaOutOfDate

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    heads = ScriptDirectory.from_config(_config()).get_heads()
    if len(heads) != 1:
        raise ConfigurationError(f"migrations have {len(heads)} heads; merge them into one")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def verify_schema(engine: Engine) -> None:
    """Raise :class:`SchemaOutOfDate` unless the database is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    if current is None:
        if inspect(engine).has_table("entries"):
            raise SchemaOutOfDate(
                "the database has Attest tables but no schema revision: restore the "
                "alembic_version table from a backup before using it"
            )
        raise SchemaOutOfDate("the database has no Attest schema: run `attest init`")
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current}, which this Attest does not know: "
            "it was migrated by a newer version of Attest; run that version"
        )
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current}, this Attest needs {head}: back up the "
            "database, then run `attest db upgrade`"
        )


def _make_revision(message: str) -> None:  # pragma: no cover - developer tool
    from sqlalchemy import create_engine

    engine = create_engine("sqlite://")
    upgrade(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":  # pragma: no cover
    _make_revision(sys.argv[2] if len(sys.argv) > 2 else sys.argv[1])
