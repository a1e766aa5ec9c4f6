"""The storage layer: the protocol, backends, codecs and the store-URL registry."""

from explorer.core.errors import (
    BackendUnavailableError,
    DecodeError,
    ETagConflictError,
    InvalidKeyError,
    ItemNotFoundError,
    ObjectNotAllowedError,
    ReadOnlyError,
    StorageError,
    UnknownStoreError,
)
from explorer.core.items import Entry, RawItem
from explorer.storage.base import Capability, Storage, StorageBase
from explorer.storage.memory import MemoryStorage
from explorer.storage.registry import open_store, register_backend
from explorer.storage.state_classes import register_state_class


def __getattr__(name: str) -> object:
    # SqliteStorage is imported on first use so `import explorer.storage` stays light.
    if name == "SqliteStorage":
        from explorer.storage.sqlite import SqliteStorage

        return SqliteStorage
    raise AttributeError(name)


__all__ = [
    "BackendUnavailableError",
    "Capability",
    "DecodeError",
    "ETagConflictError",
    "Entry",
    "InvalidKeyError",
    "ItemNotFoundError",
    "MemoryStorage",
    "ObjectNotAllowedError",
    "RawItem",
    "ReadOnlyError",
    "SqliteStorage",
    "Storage",
    "StorageBase",
    "StorageError",
    "UnknownStoreError",
    "open_store",
    "register_backend",
    "register_state_class",
]
