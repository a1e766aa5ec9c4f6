"""Typed errors for every layer.

Every message says what failed, on which key (when there is one) and what to do.
Nothing here is ever a bare ``Exception``; callers catch ``StorageError`` to get
all storage failures, or a subclass for one kind.
"""

from __future__ import annotations


class StorageError(Exception):
    """A storage operation failed. ``key`` names the item when one is involved."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class ETagConflictError(StorageError):
    """The stored item changed (or appeared/disappeared) since its etag was read."""

    def __init__(self, key: str, message: str | None = None) -> None:
        super().__init__(
            message
            or f"{key!r} was changed by someone else since it was read (etag mismatch); "
            "reload it and apply your change again",
            key=key,
        )


class ReadOnlyError(StorageError):
    """A write or delete was attempted on a store opened read-only."""

    def __init__(self, operation: str, key: str | None = None, reason: str | None = None) -> None:
        target = f" {key!r}" if key is not None else ""
        why = reason or "reopen it with writes allowed to change it"
        super().__init__(f"cannot {operation}{target}: the store is open read-only; {why}", key=key)


class BackendUnavailableError(StorageError):
    """The store cannot be reached or opened (network, credentials, missing container)."""


class InvalidKeyError(StorageError, ValueError):
    """A key cannot be stored by this backend (empty, too long, not encodable)."""


class DecodeError(StorageError):
    """A stored body is not a JSON object this tool can show (not UTF-8, not JSON, empty, huge)."""


class ObjectNotAllowedError(StorageError):
    """A stored object is of a type a bot's storage does not rebuild, or in a form that
    would run code (``py/reduce`` of a function, ``py/repr``, a class not allowed).

    ``type_name`` is the class or function the data names. Raised before anything
    named by the data is imported or called.
    """

    def __init__(self, message: str, *, key: str, type_name: str) -> None:
        super().__init__(message, key=key)
        self.type_name = type_name


class ItemNotFoundError(StorageError, KeyError):
    """A key that must exist does not."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no item with key {key!r} in this store", key=key)

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class UnknownStoreError(StorageError, ValueError):
    """A store URL names no known backend, or is malformed."""


class PropertyNotFoundError(KeyError):
    """A state property was read that the stored state does not hold, with no default."""

    def __init__(self, name: str, key: str) -> None:
        super().__init__(
            f"state property {name!r} is not set in {key!r}; "
            "pass a default or a factory to get() to create it",
        )
        self.name = name
        self.key = key

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DialogStackError(ValueError):
    """A document's dialog state is not in a form this tool can read or change."""
