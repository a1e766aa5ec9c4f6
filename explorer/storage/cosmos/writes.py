"""Writing and deleting documents, etag-checked.

- An existing document keeps its ``id`` and members on write-back (its shape is
  looked up first if not known yet); a new one gets the id of the container's
  dialect (``cosmos_docs.shaped``).
- Conditional writes and deletes use If-Match on ``_etag``; 412, 404 (deleted
  meanwhile) and 409 (create of an existing key) become ``ETagConflictError``
  naming the key. Read-only is checked before any request.
- ``delete_raw`` removes every document holding the key (duplicates too), or,
  with an etag, only the one carrying it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError
from azure.cosmos import exceptions

from explorer.core.errors import ETagConflictError
from explorer.core.items import RawItem
from explorer.storage.base import as_document, etag_conflict, requested_etag
from explorer.storage.cosmos.core import Doc
from explorer.storage.cosmos.reads import CosmosReads
from explorer.storage.cosmos_docs import envelope_of, shape_of, shaped, to_raw
from explorer.storage.cosmos_keys import ContainerDialect
from explorer.storage.cosmos_layout import RequestMeter


class CosmosWrites(CosmosReads):
    """The document trio's write, raw writes and deletes; see ``CosmosStorage``."""

    async def _existing_shape(self, key: str, meter: RequestMeter) -> Doc | None:
        """The stored members (id, extras, order) of ``key``'s document, if it has one."""
        if key not in self._shapes:
            await self._read_docs([key], meter)
        return self._shapes.get(key)

    async def write_documents(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """The document trio's write, many keys at once.

        The documents of keys not seen yet are looked up together (read-many and
        batched realId queries), then the writes run concurrently within
        ``max_concurrency``. As everywhere: a stale etag fails only its own key
        (``ETagConflictError`` naming it after the others were written).
        """
        if not changes:
            return
        for key in changes:
            self.check_writable("write", key)
        items: list[tuple[RawItem, str | None]] = []
        for key, value in changes.items():
            document = as_document(value)
            items.append((self.encode(key, document), requested_etag(document)))
        unseen = [item.key for item, _ in items if item.key not in self._shapes]
        if len(unseen) > 1:
            await self._read_docs(unseen, self._meter())
        conflicts: list[str] = []

        async def one(item: RawItem, etag: str | None) -> None:
            try:
                await self.write_raw(item, if_match=etag)
            except ETagConflictError:
                conflicts.append(item.key)

        await self._bounded(one(item, etag) for item, etag in items)
        if conflicts:
            order = list(changes)
            raise etag_conflict(sorted(conflicts, key=order.index))

    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem:
        self.check_writable("write", item.key)
        container = await self._ready()
        meter = self._meter()
        key = item.key
        envelope = envelope_of(item)
        conditional = if_match not in (None, "*")
        if create:
            self._shapes.pop(key, None)
            if await self._existing_shape(key, meter) is not None:
                raise ETagConflictError(key, f"{key!r} already exists; reload it first")
        if "id" not in envelope:
            shape = None if create else await self._existing_shape(key, meter)
            envelope = shaped(key, envelope, shape, self.profile, self.default_dialect)
        doc_id = envelope["id"]
        try:
            if create:
                stored = await container.create_item(envelope, response_hook=meter.hook)
            elif conditional:
                stored = await container.replace_item(
                    doc_id,
                    envelope,
                    etag=if_match,
                    match_condition=MatchConditions.IfNotModified,
                    response_hook=meter.hook,
                )
            else:
                stored = await container.upsert_item(envelope, response_hook=meter.hook)
        except (
            exceptions.CosmosAccessConditionFailedError,
            exceptions.CosmosResourceExistsError,
        ) as exc:
            meter.failed(exc)
            raise ETagConflictError(key) from None
        except exceptions.CosmosResourceNotFoundError as exc:
            meter.failed(exc)
            self._shapes.pop(key, None)
            raise ETagConflictError(
                key, f"{key!r} was deleted by someone else since it was read; reload it"
            ) from None
        except AzureError as exc:
            raise self._error(exc, "write", key) from exc
        self._shapes[key] = shape_of(envelope)
        if self.profile.dialect is None:  # first document of an empty container
            self.profile = ContainerDialect(dialect=self.default_dialect)
        return to_raw(dict(stored), self.profile, self._others(key, doc_id))

    async def delete_raw(self, key: str, *, if_match: str | None = None) -> None:
        """Delete every document holding ``key``; with ``if_match``, the one with that etag."""
        self.check_writable("delete", key)
        await self._ready()
        meter = self._meter()
        conditional = if_match not in (None, "*")
        doc_id = None if key in self.duplicates else self.profile.certain_id(key)
        if doc_id is None or conditional or not await self._delete_one(key, doc_id, None, meter):
            docs = (await self._find([key], meter)).get(key, [])
            if len(docs) > 1:
                self._duplicate(key, *(d["id"] for d in docs))
            if conditional:
                docs = [d for d in docs if d.get("_etag") == if_match]
                if not docs:
                    raise ETagConflictError(key)
            for doc in docs:
                await self._delete_one(key, doc["id"], if_match if conditional else None, meter)
        self._shapes[key] = None
        self.duplicates.pop(key, None)

    async def _delete_one(
        self, key: str, doc_id: str, etag: str | None, meter: RequestMeter
    ) -> bool:
        """Delete one document; ``False`` if it was already gone (unconditional only)."""
        assert self._container is not None
        condition: dict[str, Any] = {}
        if etag is not None:
            condition = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        try:
            await self._container.delete_item(
                doc_id, self._partition(doc_id), response_hook=meter.hook, **condition
            )
        except exceptions.CosmosResourceNotFoundError as exc:
            meter.failed(exc)
            if etag is not None:
                raise ETagConflictError(key) from None
            return False
        except exceptions.CosmosAccessConditionFailedError as exc:
            meter.failed(exc)
            raise ETagConflictError(key) from None
        except AzureError as exc:
            raise self._error(exc, "delete", key) from exc
        return True
