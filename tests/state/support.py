"""Helpers shared by the state tests."""

from __future__ import annotations

from explorer.storage import StorageBase


async def stored_etag(storage: StorageBase, key: str) -> str | None:
    """The etag the store holds for ``key`` now (``None``: missing)."""
    items = await storage.read_raw([key])
    return items[key].etag if key in items else None
