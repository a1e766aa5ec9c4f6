"""Listing a Cosmos DB container: pages of entries, duplicates, scans, counts and estimates.

- Listing is a ``realId`` prefix query (``STARTSWITH``) returning only the
  fields an ``Entry`` needs; a container that refuses queries (indexing mode
  ``none``) switches the store to paged scans, filtered here by prefix.
- Pages resume from the SDK's continuation token (``next_page``); every page of
  a listing, and every count, first waits for the RU budget (``_scan_turn``).
- Key-ordered pages (``list_page``) are ``TOP n ... ORDER BY c.realId`` from a
  ``realId`` bound, one request wherever they start; a container whose index
  cannot order by ``realId`` loses ``Capability.KEY_PAGES`` (and says why in
  ``warnings``).
- A ``realId`` held by several documents is recorded in ``duplicates`` and the
  entries after the first carry ``Entry.error`` (the first too, on one page).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import replace
from typing import Any, cast

from azure.core.exceptions import AzureError
from azure.cosmos import exceptions

from explorer.core.errors import StorageError
from explorer.core.items import Entry
from explorer.storage.base import Capability
from explorer.storage.cosmos.client import read_usage
from explorer.storage.cosmos.core import CosmosCore, Doc
from explorer.storage.cosmos_docs import LIST_FIELDS, to_entry
from explorer.storage.cosmos_keys import ContainerDialect, detect
from explorer.storage.cosmos_layout import (
    NOTES,
    RequestMeter,
    ScanEstimate,
    index_refusal,
    order_refusal,
)
from explorer.storage.paging import Count, Page

#: the fields a keys-only page reads
KEY_FIELDS = "c.id, c.realId"

#: a container reported to hold no more documents than this is counted exactly
#: (a ``COUNT``: its RU grow with the documents), a bigger one by its report
EXACT_COUNT_MAX = 1_000

#: documents sampled on open to detect the container's dialect
SAMPLE_SIZE = 100


class CosmosListing(CosmosCore):
    """Listing and scan estimates; see ``CosmosStorage``."""

    async def _raw_pages(
        self,
        prefix: str,
        continuation: str | None,
        page_size: int,
        meter: RequestMeter,
        fields: str = LIST_FIELDS,
    ) -> AsyncGenerator[tuple[list[Doc], str | None], None]:
        """Pages of listed documents and the token that resumes after each.

        A scan: each page waits for the RU budget first.
        """
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
                    f"SELECT {fields} FROM c{where}",
                    parameters=[{"name": "@prefix", "value": prefix}] if prefix else None,
                    max_item_count=page_size,
                    response_hook=meter.hook,
                ).by_page(continuation)
            try:
                pages = aiter(pager)
                while True:
                    await self._scan_turn()  # a scan waits for the RU budget
                    try:
                        page = await anext(pages)
                    except StopAsyncIteration:
                        return
                    docs = [doc async for doc in page]
                    if self.scan_only and prefix:
                        docs = [d for d in docs if str(d.get("realId", "")).startswith(prefix)]
                    yield docs, pager.continuation_token  # type: ignore[attr-defined]
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

    def _entries(self, docs: list[Doc]) -> list[Entry]:
        """Entries of one page; documents sharing a ``realId`` are flagged and recorded."""
        entries: list[Entry] = []
        on_page: dict[str, int] = {}
        for doc in docs:
            real_id, doc_id = doc.get("realId"), str(doc.get("id", ""))
            error = None
            if isinstance(real_id, str):
                where = on_page.get(real_id)
                if where is not None:
                    error = self._duplicate(real_id, entries[where].name, doc_id)
                    entries[where] = replace(entries[where], error=error)
                else:
                    on_page[real_id] = len(entries)
                    if real_id in self.duplicates:
                        error = self._duplicate(real_id, doc_id)
            entries.append(to_entry(doc, self.profile, error))
        return entries

    async def next_page(
        self,
        prefix: str = "",
        *,
        cursor: str | None = None,
        limit: int = 1000,
        keys_only: bool = False,
    ) -> Page:
        """``paging.ListingPages``: one query page (a scan page on a container that
        refuses queries), resumed by the service's continuation token; waits for the
        RU budget, as every scan does."""
        await self._ready()
        meter = self._meter()
        fields = KEY_FIELDS if keys_only else LIST_FIELDS
        pages = self._raw_pages(prefix, cursor, max(1, limit), meter, fields)
        async with aclosing(pages):
            async for docs, token in pages:
                return Page(self._entries(docs), more=token is not None, cursor=token)
        return Page()

    async def list_page(
        self,
        prefix: str = "",
        *,
        after: str | None = None,
        limit: int = 1000,
        reverse: bool = False,
        inclusive: bool = False,
        keys_only: bool = False,
        until: str | None = None,
    ) -> Page:
        """``paging.KeyPages``: ``SELECT TOP n ... ORDER BY c.realId`` from ``after``
        (and short of ``until``: a gap between two keys read costs no more than it holds).

        One request for the page (the end of a group too: ``DESC``); not held back
        by the RU budget (what is on screen), but charged to it. Documents sharing
        the page's last ``realId`` all stay on the page, so the next page (``>``
        that key) skips none. Raises ``StorageError`` on a container that cannot
        list in key order (``Capability.KEY_PAGES`` is then withdrawn).
        """
        await self._ready()
        if Capability.KEY_PAGES not in self.capabilities:
            raise self._unordered_error()
        limit = max(1, limit)
        conditions, parameters = [], []
        if prefix:
            conditions.append("STARTSWITH(c.realId, @prefix)")
            parameters.append({"name": "@prefix", "value": prefix})
        if after is not None:
            operator = ("<" if reverse else ">") + ("=" if inclusive else "")
            conditions.append(f"c.realId {operator} @after")
            parameters.append({"name": "@after", "value": after})
        if until is not None:
            conditions.append(f"c.realId {'>' if reverse else '<'} @until")
            parameters.append({"name": "@until", "value": until})
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        fields = KEY_FIELDS if keys_only else LIST_FIELDS
        order = "DESC" if reverse else "ASC"
        # TOP bounds the work; one extra row (and the rest of a duplicated last
        # key) tells whether more follow
        query = f"SELECT TOP {limit + 8} {fields} FROM c{where} ORDER BY c.realId {order}"
        meter = self._meter()
        docs = await self._ordered(query, parameters, limit + 8, meter)
        more = len(docs) > limit
        if more:
            last = docs[limit - 1].get("realId")
            cut = limit
            while cut < len(docs) and docs[cut].get("realId") == last:
                cut += 1
            if cut == len(docs):  # the last key's copies fill the extra rows: rare
                return await self._page_of_copies(prefix, docs, reverse, inclusive, meter)
            docs = docs[:cut]
        if reverse:
            docs.reverse()
        return Page(self._entries(docs), more=more)

    async def _ordered(
        self, query: str, parameters: list[dict[str, Any]], wanted: int, meter: RequestMeter
    ) -> list[Doc]:
        assert self._container is not None
        pager = self._container.query_items(
            query,
            parameters=parameters or None,
            max_item_count=wanted,
            response_hook=meter.hook,
        )
        try:
            return [dict(doc) async for doc in pager]
        except exceptions.CosmosHttpResponseError as exc:
            if not order_refusal(exc.status_code, str(exc)):
                raise self._error(exc, "list the container in key order") from exc
            if index_refusal(exc.status_code, str(exc)):
                self._scan_mode()
            else:
                self._unordered()
                self._note(NOTES["unordered"])
            raise self._unordered_error() from exc
        except AzureError as exc:
            raise self._error(exc, "list the container in key order") from exc

    async def _page_of_copies(
        self, prefix: str, docs: list[Doc], reverse: bool, inclusive: bool, meter: RequestMeter
    ) -> Page:
        """A page ending with a key held by many documents: all of them, then stop."""
        last = str(docs[-1].get("realId"))
        copies = await self._ordered(
            f"SELECT {LIST_FIELDS} FROM c WHERE c.realId = @key",
            [{"name": "@key", "value": last}],
            100,
            meter,
        )
        kept = [d for d in docs if d.get("realId") != last] + copies
        if reverse:
            kept.reverse()
        return Page(self._entries(kept), more=True)

    def _unordered_error(self) -> StorageError:
        reason = NOTES["scan" if self.scan_only else "unordered"]
        return StorageError(
            f"{self.url} cannot be listed in key order: {reason}; "
            "list it page by page in its own order instead (next_page)"
        )

    async def count(self, prefix: str = "") -> Count:
        """``paging.Counting``: ``SELECT VALUE COUNT(1)`` (a server-side aggregate,
        exact; its RU in ``Count.request_charge``), waiting for the RU budget first.

        The whole container (``prefix`` "") past ``EXACT_COUNT_MAX`` documents:
        the count Cosmos DB reports with the container's quota info, an estimate
        ("≈": Cosmos DB updates it behind writes) at no query cost, where a
        ``COUNT`` of the container would read its whole index (RU in proportion
        to the store). The figure read on open serves the first call, later
        ones read it again (one metadata read); a ``COUNT`` where it is not
        reported. A container that refuses
        queries can only be counted whole; for a prefix there it answers a lower
        bound from one scan page."""
        container = await self._ready()
        meter = self._meter()
        if not prefix and Capability.REPORTED_TOTAL in self.capabilities:
            reported, self._count_on_open = self._count_on_open, None
            if reported is None:
                try:
                    reported = (await read_usage(container, meter)).get("documentsCount")
                except AzureError as exc:
                    raise self._error(exc, "read the container's document count") from exc
            if reported is not None and reported > EXACT_COUNT_MAX:
                return Count(reported, exact=False, request_charge=meter.total)
        if self.scan_only and prefix:
            pages = self._raw_pages(prefix, None, self.page_size, meter)
            async with aclosing(pages):
                async for docs, token in pages:
                    return Count(
                        len(docs),
                        exact=token is None,
                        at_least=token is not None,
                        request_charge=meter.total,
                    )
        await self._scan_turn()
        value = await self._count(prefix, meter)
        return Count(value, request_charge=meter.total)

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
