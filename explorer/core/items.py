"""Stored items as the explorer sees them, before any decoding.

Invariants:
- ``RawItem.body`` is the stored bytes exactly; nothing here decodes it.
- ``key`` is the logical key a bot uses (``msteams/users/29:1AbC``); ``name`` is
  how the backend stores it (a blob name, a Cosmos ``id``, or the key itself).
- ``etag`` is the backend's current etag, opaque, quotes stripped; ``None`` only
  for an item that was never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, str] = MappingProxyType({})

#: Storage-level members that bots put into a state document but that are not
#: state properties. They are never stored as part of the document body by
#: ``write``; ``$type`` is not listed because .NET needs it kept in place.
STORAGE_MEMBERS: frozenset[str] = frozenset({"e_tag", "eTag"})

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RawItem:
    """One stored item in its stored form."""

    key: str
    body: bytes
    content_type: str = "application/json"
    etag: str | None = None
    last_modified: datetime | None = None
    name: str = ""
    dialect: str = "plain"
    #: backend extras kept on write-back: blob metadata, Cosmos members outside
    #: ``document`` (``PartitionKey``, the Agents SDK's top-level ``eTag``)...
    meta: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def size(self) -> int:
        return len(self.body)

    @property
    def stored_name(self) -> str:
        """The name/id under which the backend stores the item (the key if none)."""
        return self.name or self.key

    def entry(self) -> Entry:
        """This item as a listing would show it (a tree row)."""
        return Entry(
            key=self.key,
            name=self.stored_name,
            size=self.size,
            last_modified=self.last_modified,
            etag=self.etag,
            dialect=self.dialect,
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed item: enough for a tree row without reading the body.

    Fields a backend cannot list cheaply are ``None``. ``error`` is set when the
    stored name cannot be turned into a key; the entry is still listed.
    """

    key: str
    name: str = ""
    size: int | None = None
    last_modified: datetime | None = None
    etag: str | None = None
    dialect: str | None = None
    error: str | None = None
