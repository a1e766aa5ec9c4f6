"""Helpers shared by the state tests."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from explorer.storage import ETagConflictError, StorageBase


async def stored_etag(storage: StorageBase, key: str) -> str | None:
    """The etag the store holds for ``key`` now (``None``: missing)."""
    items = await storage.read_raw([key])
    return items[key].etag if key in items else None


class TrioStorage:
    """A storage with only the bot-facing trio, like botbuilder-python's MemoryStorage.

    ``read`` hands out the stored dict itself (as botbuilder's does), so a
    bucket that changed what it read would change the store. Etags are
    checked with ``ETagConflictError``, our contract.
    """

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.writes = 0
        self._etags = itertools.count(1)

    async def read(self, keys: Sequence[str]) -> dict[str, Any]:
        return {k: self.items[k] for k in keys if k in self.items}

    async def write(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        for key, value in changes.items():
            wanted = value.get("e_tag")
            current = self.items.get(key)
            if wanted not in (None, "*") and (current is None or current["e_tag"] != wanted):
                raise ETagConflictError(key)
            self.items[key] = {**copy.deepcopy(dict(value)), "e_tag": str(next(self._etags))}
            self.writes += 1

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.items.pop(key, None)
