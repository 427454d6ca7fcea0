"""Wiring: settings -> engine -> store -> ledger, built once per process when first needed."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import Engine

from attest.config import Settings
from attest.keyring import Keyring, load_keyring
from attest.service.access import Access
from attest.service.bias import Bias
from attest.service.decisions import Decisions
from attest.service.inventory import Inventory
from attest.service.ledger import Ledger
from attest.service.monitoring import Monitoring
from attest.store.sql import SqlStore, make_engine
from attest.store.sql.access import AccessStore
from attest.store.sql.schema import verify_schema


class Runtime:
    """The objects a command needs; nothing is opened until asked for."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.effective_database_url)

    @cached_property
    def store(self) -> SqlStore:
        verify_schema(self.engine)
        return SqlStore(self.engine)

    @cached_property
    def keyring(self) -> Keyring:
        return load_keyring(self.settings)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(
            self.store,
            self.keyring,
            host=self.settings.host,
            max_entry_bytes=self.settings.max_entry_bytes,
        )

    @cached_property
    def inventory(self) -> Inventory:
        return Inventory(self.ledger, self.store)

    @cached_property
    def decisions(self) -> Decisions:
        return Decisions(self.ledger, self.store, self.inventory)

    @cached_property
    def bias(self) -> Bias:
        return Bias(self.ledger, self.store, self.decisions)

    @cached_property
    def monitoring(self) -> Monitoring:
        return Monitoring(self.ledger, self.store, self.inventory)

    @cached_property
    def access(self) -> Access:
        return Access(AccessStore(self.engine))

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
