"""Reading blobs by key, each in its own dialect.

- A key is looked up under its known name, then the main dialect's name, then
  the other dialects' names (a migrated container can hold several forms); the
  first found wins, and its name is remembered for the next read or write.
- Bulk reads run concurrently, at most ``max_concurrency`` requests at a time.
- Content settings other than the content type come back in ``RawItem.meta``
  as ``$content_encoding`` etc., next to the blob's metadata, so a write-back
  keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.storage.blob import BlobProperties

from explorer.core.items import RawItem
from explorer.storage.blob.core import EXTRA_SETTINGS, BlobCore, etag, gather
from explorer.storage.blob.errors import error_code


class BlobReads(BlobCore):
    """``read_raw``; see ``BlobStorage``."""

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        """The stored form of each key found, read concurrently (bounded)."""
        await self._settled()
        unique = list(dict.fromkeys(keys))
        items = await gather(self._read_one(key) for key in unique)
        return {key: item for key, item in zip(unique, items, strict=True) if item is not None}

    async def _read_one(self, key: str) -> RawItem | None:
        candidates = self._candidates(key)
        if not candidates:
            return None
        first = await self._download(key, candidates[0][0])
        if first is not None or len(candidates) == 1:
            return first
        others = await gather(self._download(key, name) for name, _ in candidates[1:])
        return next((item for item in others if item is not None), None)

    async def _download(self, key: str, name: str) -> RawItem | None:
        async with self._limit:
            try:
                stream = await self._container.download_blob(name)
                body = bytes(await stream.readall())
            except ResourceNotFoundError as exc:
                if error_code(exc) == "ContainerNotFound":
                    raise self._error(exc, key, "read") from None
                return None
            except AzureError as exc:
                raise self._error(exc, key, "read") from None
        props = stream.properties
        content_type = props.content_settings.content_type or ""
        found = self._detect(name, content_type, body)
        self._remember(key, name, found.name)
        return RawItem(
            key=key,
            body=body,
            content_type=content_type,
            etag=etag(props.etag),
            last_modified=props.last_modified,
            name=name,
            dialect=found.name,
            meta=self._meta(props),
        )

    @staticmethod
    def _meta(props: BlobProperties) -> dict[str, Any]:
        meta: dict[str, Any] = dict(props.metadata or {})
        for setting in EXTRA_SETTINGS:
            value = getattr(props.content_settings, setting, None)
            if value:
                meta[f"${setting}"] = value
        return meta
