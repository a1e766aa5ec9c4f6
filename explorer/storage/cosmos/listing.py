"""Listing a Cosmos DB container: pages of entries, duplicates, scans and estimates.

- Listing is a ``realId`` prefix query (``STARTSWITH``) returning only the
  fields an ``Entry`` needs; a container that refuses queries (indexing mode
  ``none``) switches the store to paged scans, filtered here by prefix.
- Pages resume from the SDK's continuation token.
- A ``realId`` held by several documents is recorded in ``duplicates`` and the
  entries after the first carry ``Entry.error`` (the first too, on one page).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import replace
from typing import Any, cast

from azure.core.exceptions import AzureError
from azure.cosmos import exceptions

from explorer.core.items import Entry
from explorer.storage.cosmos.core import CosmosCore, Doc
from explorer.storage.cosmos_docs import LIST_FIELDS, to_entry
from explorer.storage.cosmos_keys import ContainerDialect, detect
from explorer.storage.cosmos_layout import RequestMeter, ScanEstimate, index_refusal

#: documents sampled on open to detect the container's dialect
SAMPLE_SIZE = 100


class CosmosListing(CosmosCore):
    """Listing and scan estimates; see ``CosmosStorage``."""

    async def _raw_pages(
        self, prefix: str, continuation: str | None, page_size: int, meter: RequestMeter
    ) -> AsyncIterator[tuple[list[Doc], str | None]]:
        """Pages of listed documents and the token that resumes after each."""
        container = self._container
        assert container is not None
        while True:
            if self.scan_only:
                pager = container.read_all_items(
                    max_item_count=page_size, response_hook=meter.hook
                ).by_page(continuation)
            else:
                where = " WHERE STARTSWITH(c.realId, @prefix)" if prefix else ""
                pager = container.query_items(
                    f"SELECT {LIST_FIELDS} FROM c{where}",
                    parameters=[{"name": "@prefix", "value": prefix}] if prefix else None,
                    max_item_count=page_size,
                    response_hook=meter.hook,
                ).by_page(continuation)
            try:
                async for page in pager:
                    docs = [doc async for doc in page]
                    if self.scan_only and prefix:
                        docs = [d for d in docs if str(d.get("realId", "")).startswith(prefix)]
                    yield docs, pager.continuation_token  # type: ignore[attr-defined]
                return
            except exceptions.CosmosHttpResponseError as exc:
                if self.scan_only or not index_refusal(exc.status_code, str(exc)):
                    raise self._error(exc, "list the container") from exc
                self._scan_mode()
                continuation = None
            except AzureError as exc:
                raise self._error(exc, "list the container") from exc

    async def _sample(self, meter: RequestMeter) -> ContainerDialect:
        docs: list[Doc] = []
        async for page, _ in self._raw_pages("", None, SAMPLE_SIZE, meter):
            docs = page
            break
        return detect(
            (d["id"], d["realId"], "eTag" in d, "PartitionKey" in d)
            for d in docs
            if isinstance(d.get("id"), str) and isinstance(d.get("realId"), str)
        )

    async def iter_pages(
        self, prefix: str = "", *, continuation: str | None = None, page_size: int | None = None
    ) -> AsyncGenerator[tuple[list[Entry], str | None], None]:
        """Listed entries a page at a time, with the token that resumes after each page.

        Stop at any time; pass a token back as ``continuation`` (with the same
        ``prefix``) to go on later.
        Every document holding a ``realId`` seen before in the listing carries
        ``Entry.error`` explaining, and so does the first one if it is on the same
        page (an earlier page has been handed out already); all are recorded in
        ``duplicates``.
        """
        await self._ready()
        meter = self._meter()
        seen: dict[str, str] = {}
        async for docs, token in self._raw_pages(
            prefix, continuation, page_size or self.page_size, meter
        ):
            entries: list[Entry] = []
            on_page: dict[str, int] = {}
            for doc in docs:
                real_id, doc_id = doc.get("realId"), str(doc.get("id", ""))
                error = None
                if isinstance(real_id, str):
                    first = seen.setdefault(real_id, doc_id)
                    if first != doc_id:
                        error = self._duplicate(real_id, first, doc_id)
                        where = on_page.get(real_id)
                        if where is not None:  # flag the first one too
                            entries[where] = replace(entries[where], error=error)
                    else:
                        on_page[real_id] = len(entries)
                entries.append(to_entry(doc, self.profile, error))
            yield entries, token

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        async for entries, _ in self.iter_pages(prefix):
            for entry in entries:
                yield entry

    async def estimate_scan(self, prefix: str = "") -> ScanEstimate:
        """Estimate the RU of listing everything under ``prefix`` (without listing it).

        Costs one small page and, for more than a page, a ``COUNT`` query. On a
        container that can only be scanned, any listing reads every document, so
        the estimate is for all of them whatever the prefix.
        """
        await self._ready()
        meter = self._meter()
        scope = "" if self.scan_only else prefix
        docs: list[Doc] = []
        async for page, _ in self._raw_pages(scope, None, 100, meter):
            docs = page
            break
        per_doc = meter.total / max(1, len(docs))
        count = len(docs)
        if len(docs) >= 100:
            count = await self._count(scope, meter)
        estimate = per_doc * count if count else meter.total
        self.last_request_charge = meter.total
        return ScanEstimate(documents=count, request_charge=estimate, spent=meter.total)

    async def _count(self, prefix: str, meter: RequestMeter) -> int:
        assert self._container is not None
        where = " WHERE STARTSWITH(c.realId, @prefix)" if prefix else ""
        query = self._container.query_items(
            f"SELECT VALUE COUNT(1) FROM c{where}",
            parameters=[{"name": "@prefix", "value": prefix}] if where else None,
            response_hook=meter.hook,
        )
        try:
            return sum([int(cast(Any, n)) async for n in query])
        except AzureError as exc:
            raise self._error(exc, "count the documents") from exc
