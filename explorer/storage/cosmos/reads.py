"""Reading documents by key: point reads, read-many, ``realId`` queries and scans.

- A key whose id is certain in the container's dialect is read by id first
  (one point read, or the SDK's read-many for several) and kept only if its
  ``realId`` matches; everything else, and every miss, goes to a batched
  ``realId IN (...)`` query (``LOOKUP_BATCH`` keys each), or a scan on a
  container that refuses queries.
- Several documents for one key: the most recently written wins (``_ts``, then
  the dialect's own id), the others are named in ``duplicates``.
- Every lookup records the key's stored shape (or ``None``: no document) so a
  later write keeps its id and members.
- A present key costs one request (a point read); a missing one two (the point
  read, then the query). Reads of more than ``BULK_KEYS`` keys at once are bulk
  (value search, stats, export) and wait for the RU budget first.
"""

from __future__ import annotations

from collections.abc import Sequence

from azure.core.exceptions import AzureError
from azure.cosmos import exceptions

from explorer.core.errors import DecodeError
from explorer.core.items import JsonObject, RawItem
from explorer.storage.base import strip_storage_members
from explorer.storage.cosmos.core import Doc
from explorer.storage.cosmos.listing import CosmosListing
from explorer.storage.cosmos_docs import shape_of, to_raw
from explorer.storage.cosmos_layout import RequestMeter, index_refusal

#: realIds per lookup query (well below Cosmos DB's parameter limits)
LOOKUP_BATCH = 50
#: a read of more keys than this at once is bulk (value search, stats, export read
#: 100-200 at a time) and waits for the RU budget; fewer (a Go to, a bot's turn) never wait
BULK_KEYS = 8


class CosmosReads(CosmosListing):
    """Reads by key and by document id; see ``CosmosStorage``."""

    async def _point_read(self, doc_id: str, meter: RequestMeter) -> Doc | None:
        assert self._container is not None
        try:
            found = await self._container.read_item(
                doc_id, self._partition(doc_id), response_hook=meter.hook
            )
        except exceptions.CosmosResourceNotFoundError as exc:
            meter.failed(exc)
            return None
        except AzureError as exc:
            meter.failed(exc)
            raise self._error(exc, "read", doc_id) from exc
        return found  # a dict (CosmosDict) the caller owns

    async def _read_many(self, ids: list[str], meter: RequestMeter) -> dict[str, Doc]:
        """The existing documents among ``ids`` (known partition keys: no fan-out).

        One id is a point read. More use the SDK's read-many (azure-cosmos 4.14+):
        one targeted query per partition key range and 1,000 ids, at most
        ``max_concurrency`` at a time. Concurrent point reads (bounded) with an
        older SDK, on containers that refuse queries (indexing mode none) and on
        legacy containers.
        """
        assert self._container is not None
        read_many = getattr(self._container, "read_items", None)
        # legacy containers: the "none" partition key has no range to target
        if len(ids) > 1 and read_many and not self.scan_only and not self.legacy_partition_key:
            try:
                docs = await read_many(
                    [(doc_id, self._partition(doc_id)) for doc_id in ids],
                    max_concurrency=self.max_concurrency,
                    response_hook=meter.hook,
                )
                return {doc["id"]: doc for doc in docs}
            except exceptions.CosmosHttpResponseError as exc:
                if not index_refusal(exc.status_code, str(exc)):
                    raise self._error(exc, "read", ids[0]) from exc
                self._scan_mode()  # read-many queries: refused like any query
            except AzureError as exc:
                raise self._error(exc, "read", ids[0]) from exc
        work = iter(ids)
        found: dict[str, Doc] = {}

        async def worker() -> None:
            for doc_id in work:
                doc = await self._point_read(doc_id, meter)
                if doc is not None:
                    found[doc_id] = doc

        await self._bounded(worker() for _ in range(min(self.max_concurrency, len(ids))))
        return found

    async def _query_keys(self, keys: Sequence[str], meter: RequestMeter) -> list[Doc]:
        assert self._container is not None
        names = [f"@k{i}" for i in range(len(keys))]
        query = self._container.query_items(
            f"SELECT * FROM c WHERE c.realId IN ({', '.join(names)})",
            parameters=[{"name": n, "value": k} for n, k in zip(names, keys, strict=True)],
            response_hook=meter.hook,
        )
        return [dict(doc) async for doc in query]

    async def _find(self, keys: Sequence[str], meter: RequestMeter) -> dict[str, list[Doc]]:
        """Every document whose realId is one of ``keys`` (query, or scan)."""
        found: dict[str, list[Doc]] = {}
        wanted = set(keys)
        if not self.scan_only:
            batches = [keys[i : i + LOOKUP_BATCH] for i in range(0, len(keys), LOOKUP_BATCH)]
            try:
                for docs in await self._bounded(self._query_keys(b, meter) for b in batches):
                    for doc in docs:
                        found.setdefault(doc["realId"], []).append(doc)
                return found
            except exceptions.CosmosHttpResponseError as exc:
                if not index_refusal(exc.status_code, str(exc)):
                    raise self._error(exc, "look up", keys[0]) from exc
                self._scan_mode()
            except AzureError as exc:
                raise self._error(exc, "look up", keys[0]) from exc
        async for docs, _ in self._raw_pages("", None, self.page_size, meter):
            for doc in docs:
                if doc.get("realId") in wanted:
                    found.setdefault(doc["realId"], []).append(doc)
        return found

    async def _read_docs(self, keys: Sequence[str], meter: RequestMeter) -> dict[str, Doc]:
        """The chosen document of each existing key (point reads first, then queries)."""
        await self._ready()
        wanted = list(dict.fromkeys(keys))
        if len(wanted) > BULK_KEYS:
            await self._scan_turn()
        found: dict[str, Doc] = {}
        pending: list[str] = []
        certain: list[tuple[str, str]] = []
        for key in wanted:
            doc_id = None if key in self.duplicates else self.profile.certain_id(key)
            if doc_id is None:
                pending.append(key)
            else:
                certain.append((key, doc_id))
        if certain:
            by_id = await self._read_many([doc_id for _, doc_id in certain], meter)
            for key, doc_id in certain:
                doc = by_id.get(doc_id)
                if doc is not None and doc.get("realId") == key:
                    found[key] = doc
                else:
                    pending.append(key)
        if pending:
            if len(pending) > BULK_KEYS and certain:
                await self._scan_turn()  # a second bulk request
            matches = await self._find(pending, meter)
            for key in pending:
                docs = matches.get(key)
                if docs:
                    found[key] = self._choose(key, docs)
                else:
                    self._shapes[key] = None
        for key, doc in found.items():
            self._shapes[key] = shape_of(doc)
        return {k: found[k] for k in wanted if k in found}

    def _choose(self, key: str, docs: list[Doc]) -> Doc:
        if len(docs) == 1:
            return docs[0]
        ids = [d["id"] for d in docs]
        self._duplicate(key, *ids)
        return max(docs, key=lambda d: (d.get("_ts") or 0, d["id"] == self.profile.id_for(key)))

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        meter = self._meter()
        docs = await self._read_docs(keys, meter)
        return {
            key: to_raw(doc, self.profile, self._others(key, doc["id"]))
            for key, doc in docs.items()
        }

    async def read_documents(self, keys: Sequence[str]) -> dict[str, JsonObject]:
        meter = self._meter()
        docs = await self._read_docs(keys, meter)
        result: dict[str, JsonObject] = {}
        for key, doc in docs.items():
            document = doc.get("document")
            if not isinstance(document, dict):
                raise DecodeError(
                    f"{key!r}: document {doc.get('id')!r} has no state object in its "
                    f"document member ({type(document).__name__}); it was not written by a "
                    "bot storage, or was damaged: inspect it raw",
                    key=key,
                )
            state = strip_storage_members(document)
            state["e_tag"] = doc.get("_etag") or ""
            result[key] = state
        return result

    async def read_document(self, doc_id: str) -> RawItem | None:
        """One document by its id (to show each of several holding one key)."""
        await self._ready()
        doc = await self._point_read(doc_id, self._meter())
        if doc is None:
            return None
        return to_raw(doc, self.profile, self._others(str(doc.get("realId")), doc_id))
