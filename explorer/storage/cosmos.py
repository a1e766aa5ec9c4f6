"""Azure Cosmos DB partitioned storage on ``azure.cosmos.aio``.

The only module that imports ``azure.cosmos``. Opens the containers of
botbuilder / Agents SDK partitioned storages (python, js, .NET) and is itself
such a storage for a bot. Store URL ``cosmos://DATABASE/CONTAINER``; the
endpoint and key come from options or ``COSMOS_ENDPOINT`` / ``COSMOS_KEY``,
otherwise Entra ID (``DefaultAzureCredential``).

Invariants:

- A document's key is its ``realId``. A key is found by a ``realId`` query;
  when the container's dialect is known (from a sample at open) and the key's
  id is certain (``cosmos_keys.ContainerDialect.certain_id``), that id is read
  first (a point read; several with the SDK's read-many, which targets each
  partition instead of fanning out) and kept only if its ``realId`` matches; a
  miss still goes to the query. An existing document keeps its ``id`` on write-back; a new
  one gets the id the container's dialect computes.
- Several documents with one ``realId`` (a container used in both
  compatibility modes or by two dialects) are all listed, the later ones with
  ``Entry.error`` saying so; a read returns the most recently written one with
  ``RawItem.meta["duplicate_ids"]`` naming the others (``duplicates``).
- Legacy ``/_partitionKey`` containers are read and written with the "none"
  partition key. Containers with indexing mode ``none`` cannot be queried by
  ``realId``: lookups and listing become paged scans (``warnings`` says so).
- Conditional writes use If-Match on ``_etag``; 412, 404 and 409 become
  ``ETagConflictError``. Read-only is checked before any request.
- Every operation's request charge (RU) is summed into
  ``last_request_charge`` (the last public call) and ``total_request_charge``.
- The explorer never creates or deletes databases or containers
  (``from_url`` opens with ``create_container=False``); a bot constructing
  ``CosmosStorage`` directly gets botbuilder's behaviour: the container
  (partition key ``/id``) is created on first use, the database must exist.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import replace
from typing import Any, TypeVar, cast

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.cosmos import PartitionKey, exceptions
from azure.cosmos.aio import ContainerProxy, CosmosClient
from azure.cosmos.partition_key import NonePartitionKeyValue

from explorer.core.errors import (
    BackendUnavailableError,
    DecodeError,
    ETagConflictError,
    StorageError,
)
from explorer.core.items import Entry, JsonObject, RawItem
from explorer.storage.base import (
    Capability,
    StorageBase,
    as_document,
    dump_json,
    etag_conflict,
    requested_etag,
    strip_storage_members,
)
from explorer.storage.cosmos_docs import (
    CONTENT_TYPE,
    LIST_FIELDS,
    ShapeCache,
    document_of,
    envelope_of,
    new_envelope,
    shape_of,
    shaped,
    to_entry,
    to_raw,
)
from explorer.storage.cosmos_keys import ContainerDialect, Dialect, detect
from explorer.storage.cosmos_layout import (
    NOTES,
    RequestMeter,
    ScanEstimate,
    certificates_checked,
    duplicate_message,
    index_refusal,
    is_local,
    layout_of,
    parse_url,
)

Doc = dict[str, Any]
T = TypeVar("T")
#: realIds per lookup query (well below Cosmos DB's parameter limits)
LOOKUP_BATCH = 50
SAMPLE_SIZE = 100
#: Client timeouts for an interactive tool. The SDK waits 65 s per read and
#: retries a timed-out request 3 times (a stalled server: over 4 minutes); here a
#: stalled or dying server fails within (RETRIES + 1) x READ_TIMEOUT (+ connect).
#: Throttling (429) keeps the SDK's own budget: 9 retries, as long as the service
#: asks (x-ms-retry-after-ms), 30 s at most.
CONNECTION_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
RETRIES = 1
#: the SDK's own throttling budget, passed explicitly: its ``retry_total``
#: would otherwise cap throttling retries too
THROTTLE_RETRIES = 9
#: statuses that mean "busy, or briefly unavailable": worth another try later
_TRANSIENT = (408, 429, 449, 500, 503)


class CosmosStorage(StorageBase):
    """Bot state in one Cosmos DB container (partition key ``/id`` or legacy).

    ``CosmosStorage(database, container, endpoint=..., key=...)`` is what a bot
    uses (creates the container on first use); ``from_url`` and
    ``from_container`` are what the explorer uses.
    """

    capabilities = frozenset(
        {Capability.REQUEST_CHARGE, Capability.MULTI_PROCESS, Capability.PERSISTENT}
    )

    def __init__(
        self,
        database: str,
        container: str,
        *,
        endpoint: str | None = None,
        key: str | None = None,
        credential: AsyncTokenCredential | None = None,
        insecure: bool = False,
        read_only: bool = False,
        create_container: bool = True,
        dialect: Dialect = "python",
        max_concurrency: int = 32,
        page_size: int = 1000,
        container_client: ContainerProxy | None = None,
        connection_timeout: float = CONNECTION_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retries: int = RETRIES,
    ) -> None:
        super().__init__(read_only=read_only)
        self.database_name = database
        self.container_name = container
        self.url = f"cosmos://{database}/{container}"
        self.endpoint = endpoint or os.environ.get("COSMOS_ENDPOINT", "")
        self._key = key if key is not None else os.environ.get("COSMOS_KEY") or None
        self._credential = credential
        #: TLS certificate checks are off (only ever for a local emulator)
        self.insecure = insecure
        self.create_container = create_container
        self.default_dialect: Dialect = dialect
        self.max_concurrency = max(1, max_concurrency)
        #: (connection timeout, read timeout, retries of a failed/timed-out request)
        self.timeouts = (float(connection_timeout), float(read_timeout), max(0, int(retries)))
        self.page_size = max(1, page_size)
        self.last_request_charge = 0.0
        self.total_request_charge = 0.0
        self.legacy_partition_key = False
        self.scan_only = False
        self.profile = ContainerDialect()
        self.duplicates: dict[str, tuple[str, ...]] = {}
        self._container = container_client
        self._client: CosmosClient | None = None
        self._owned_credential: AsyncTokenCredential | None = None
        #: key -> the stored members of its document (``document`` set to None),
        #: or None when a lookup found none: a bot's write-back keeps id and shape
        self._shapes = ShapeCache()
        self._opened = False
        self._open_lock = asyncio.Lock()
        self._notes: list[str] = []
        if insecure and self.endpoint and not is_local(self.endpoint):
            raise BackendUnavailableError(
                f"insecure (no TLS certificate checks) is only for a local emulator, not "
                f"{self.endpoint}; remove --insecure to connect with TLS verification"
            )

    @classmethod
    def from_container(
        cls, container: ContainerProxy, *, read_only: bool = False, **options: Any
    ) -> CosmosStorage:
        """A store on an SDK ``ContainerProxy`` (the caller owns and closes its client)."""
        database = container.database_link.rsplit("/", 1)[-1]
        options.setdefault("create_container", False)
        return cls(
            database, container.id, read_only=read_only, container_client=container, **options
        )

    # -- state the UI shows ------------------------------------------------------

    @property
    def dialect(self) -> str | None:
        """The dialect of the container's documents (``None`` until known)."""
        return self.profile.dialect

    @property
    def tls_verified(self) -> bool:
        """False when TLS certificates are not checked: ``insecure``, or an endpoint on
        ``localhost`` / ``127.0.0.1`` (the Cosmos SDK never checks those)."""
        return certificates_checked(self.endpoint, self.insecure)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Things the user must know about this store (TLS off, scans, legacy...)."""
        notes = list(self._notes)
        if self.endpoint and not self.tls_verified:
            notes.insert(0, NOTES["tls"])
        return tuple(notes)

    def _meter(self) -> RequestMeter:
        return RequestMeter(self._charged)

    def _charged(self, charge: float, operation_total: float) -> None:
        self.total_request_charge += charge
        self.last_request_charge = operation_total

    def _note(self, text: str) -> None:
        if text not in self._notes:
            self._notes.append(text)

    # -- lifecycle -----------------------------------------------------------------

    async def open(self) -> None:
        async with self._open_lock:
            if self._opened:
                return
            container = self._container or self._connect()
            meter = self._meter()
            try:
                props = await self._properties(container, meter)
                self._container = container
                self._configure(props)
                self.profile = await self._sample(meter)
            except BaseException:
                await self.close()  # no half-open client left behind
                raise
            if self.profile.mixed:
                self._note(NOTES["mixed"])
            if self.profile.modes_mixed:
                self._note(NOTES["modes"])
            self._opened = True

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()
            self._container = None
        credential, self._owned_credential = self._owned_credential, None
        if credential is not None:
            await credential.close()
        self._opened = False

    def _connect(self) -> ContainerProxy:
        if not self.endpoint:
            raise BackendUnavailableError(
                f"no Cosmos DB endpoint for {self.url}: set COSMOS_ENDPOINT or pass endpoint="
            )
        credential: str | AsyncTokenCredential
        if self._key:
            credential = self._key
        elif self._credential is not None:
            credential = self._credential
        else:
            from azure.identity.aio import DefaultAzureCredential

            credential = self._owned_credential = DefaultAzureCredential()
        connect, read, retries = self.timeouts
        self._client = CosmosClient(
            self.endpoint,
            credential,
            connection_verify=not self.insecure,
            connection_timeout=connect,
            read_timeout=read,
            retry_total=retries,
            retry_throttle_total=THROTTLE_RETRIES,
        )
        database = self._client.get_database_client(self.database_name)
        return database.get_container_client(self.container_name)

    async def _ready(self) -> ContainerProxy:
        if not self._opened:
            await self.open()
        assert self._container is not None
        return self._container

    async def _properties(self, container: ContainerProxy, meter: RequestMeter) -> Doc:
        try:
            return dict(await container.read(response_hook=meter.hook))
        except exceptions.CosmosResourceNotFoundError:
            if not self.create_container:
                raise BackendUnavailableError(
                    f"container {self.container_name!r} does not exist in database "
                    f"{self.database_name!r} at {self.endpoint}; the explorer never creates "
                    "containers: check the names (or let the bot create it)"
                ) from None
        except AzureError as exc:
            raise self._error(exc, "open the container") from exc
        return await self._create(meter)

    async def _create(self, meter: RequestMeter) -> Doc:
        if self._client is None:
            raise BackendUnavailableError(
                f"container {self.container_name!r} does not exist; pass a client or "
                "endpoint so it can be created"
            )
        database = self._client.get_database_client(self.database_name)
        try:
            await database.read(response_hook=meter.hook)
        except exceptions.CosmosResourceNotFoundError:
            raise BackendUnavailableError(
                f"database {self.database_name!r} does not exist at {self.endpoint}; "
                "create it first (bots create only the container)"
            ) from None
        try:
            container = await database.create_container_if_not_exists(
                self.container_name, PartitionKey(path="/id"), response_hook=meter.hook
            )
            return dict(await container.read(response_hook=meter.hook))
        except exceptions.CosmosHttpResponseError as exc:
            if exc.status_code == 403:  # Entra ID data roles cannot create containers
                raise BackendUnavailableError(
                    f"not allowed to create container {self.container_name!r} in "
                    f"{self.database_name!r}: Entra ID data roles cannot create containers; "
                    "create it (partition key /id) in the portal or with the account key"
                ) from exc
            raise self._error(exc, "create the container") from exc
        except AzureError as exc:
            raise self._error(exc, "create the container") from exc

    def _configure(self, props: Mapping[str, Any]) -> None:
        layout = layout_of(props, self.container_name)
        if layout.legacy_partition_key:
            self.legacy_partition_key = True
            self._note(NOTES["legacy"])
        if layout.unindexed:
            self._scan_mode()

    def _scan_mode(self) -> None:
        self.scan_only = True
        self._note(NOTES["scan"])

    def _error(self, exc: BaseException, action: str, key: str | None = None) -> StorageError:
        target = f" {key!r}" if key is not None else ""
        where = f"{self.url} at {self.endpoint or 'the given client'}"
        if isinstance(exc, ClientAuthenticationError) or getattr(exc, "status_code", 0) in (
            401,
            403,
        ):
            return BackendUnavailableError(
                f"Cosmos DB refused the credentials for {where} ({action}{target}): check "
                "COSMOS_KEY, or that your Entra ID identity has a Cosmos DB data role",
                key=key,
            )
        if isinstance(exc, ServiceRequestError | ServiceResponseError):
            hint = (
                "a local emulator with a self-signed certificate needs --insecure"
                if "certificate" in str(exc).lower()
                else "check that the account (or emulator) is up and reachable, then try again"
            )
            unknown = (
                "; the change may or may not have been applied (the connection failed "
                "mid-request): reload before changing anything"
                if isinstance(exc, ServiceResponseError) or action in ("write", "delete")
                else ""
            )
            return BackendUnavailableError(
                f"cannot reach {where} to {action}{target}: {exc}{unknown}; {hint}", key=key
            )
        status = getattr(exc, "status_code", None)
        message = getattr(exc, "message", None) or str(exc)
        hint = (
            "; the service is busy or briefly unavailable: wait a moment and try again"
            if status in _TRANSIENT
            else ""
        )
        return StorageError(
            f"Cosmos DB answered {status} when trying to {action}{target} in {where}: "
            f"{str(message).splitlines()[0][:300]}{hint}",
            key=key,
        )

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

    def _partition(self, doc_id: str) -> Any:
        return NonePartitionKeyValue if self.legacy_partition_key else doc_id

    # -- listing -------------------------------------------------------------------

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

    def _duplicate(self, real_id: str, *ids: str) -> str:
        known = tuple(dict.fromkeys((*self.duplicates.get(real_id, ()), *ids)))
        self.duplicates[real_id] = known
        return duplicate_message(real_id, known)

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

    # -- reading ---------------------------------------------------------------------

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

    async def _bounded(self, jobs: Iterable[Awaitable[T]]) -> list[T]:
        """Run ``jobs`` at most ``max_concurrency`` at a time; the first failure cancels all."""
        semaphore = asyncio.Semaphore(self.max_concurrency)

        async def run(job: Awaitable[T]) -> T:
            async with semaphore:
                return await job

        coros = list(jobs)
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(run(c)) for c in coros]
        except* (StorageError, AzureError) as failed:
            raise failed.exceptions[0] from None
        finally:
            for job in coros:  # jobs cancelled before they started were never awaited
                if isinstance(job, Coroutine):
                    job.close()
        return [t.result() for t in tasks]

    async def _read_docs(self, keys: Sequence[str], meter: RequestMeter) -> dict[str, Doc]:
        """The chosen document of each existing key (point reads first, then queries)."""
        await self._ready()
        wanted = list(dict.fromkeys(keys))
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

    def _others(self, key: str, doc_id: str) -> tuple[str, ...]:
        return tuple(i for i in self.duplicates.get(key, ()) if i != doc_id)

    async def read(self, keys: Sequence[str]) -> dict[str, JsonObject]:
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

    # -- codec -------------------------------------------------------------------------

    def decode(self, item: RawItem) -> JsonObject:
        """The ``document`` member, storage-level members removed."""
        return document_of(item)

    def encode(
        self, key: str, document: Mapping[str, Any], *, like: RawItem | None = None
    ) -> RawItem:
        """Keeps ``like``'s id, realId, extras and member order; only ``document`` changes.

        Objects in ``document`` are stored as their public attributes (as every
        backend does). Without ``like`` (or for another key) the body has no
        ``id`` yet: ``write_raw`` keeps the id of an existing document for the
        key, or gives a new one the id of the container's dialect.
        """
        envelope = new_envelope(key, as_document(document), self.profile, like)
        body = dump_json(key, envelope)
        same = like is not None and like.key == key
        extras = {k: v for k, v in envelope.items() if k not in ("id", "realId", "document")}
        return RawItem(
            key=key,
            body=body,
            content_type=CONTENT_TYPE,
            etag=like.etag if like is not None and same else None,
            last_modified=like.last_modified if like is not None and same else None,
            name=str(envelope.get("id", "")),
            dialect=like.dialect if like is not None and same else self.profile.dialect or "plain",
            meta=like.meta if like is not None and same else extras,
        )

    # -- writing -----------------------------------------------------------------------

    async def _existing_shape(self, key: str, meter: RequestMeter) -> Doc | None:
        """The stored members (id, extras, order) of ``key``'s document, if it has one."""
        if key not in self._shapes:
            await self._read_docs([key], meter)
        return self._shapes.get(key)

    async def write(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """The bot trio's write, many keys at once.

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


def from_url(url: str, *, read_only: bool = False, **options: Any) -> CosmosStorage:
    """Open ``cosmos://DATABASE/CONTAINER`` for the explorer.

    Options: ``endpoint``, ``key`` (else ``COSMOS_ENDPOINT`` / ``COSMOS_KEY``,
    else Entra ID), ``credential``, ``insecure`` (local emulator only),
    ``dialect``, ``max_concurrency``, ``page_size``, ``connection_timeout``,
    ``read_timeout`` and ``retries`` (see ``READ_TIMEOUT``), ``create_container``
    (default off: the explorer never creates containers), ``container`` (an
    SDK ``ContainerProxy`` to use instead of connecting). Others are ignored.
    """
    database, container = parse_url(url)
    known = {
        "endpoint",
        "key",
        "credential",
        "insecure",
        "dialect",
        "max_concurrency",
        "page_size",
        "create_container",
        "connection_timeout",
        "read_timeout",
        "retries",
    }
    kwargs = {k: v for k, v in options.items() if k in known and v is not None}
    kwargs.setdefault("create_container", False)
    proxy = options.get("container")
    if isinstance(proxy, ContainerProxy):
        kwargs.pop("create_container")
        return CosmosStorage.from_container(proxy, read_only=read_only, **kwargs)
    return CosmosStorage(database, container, read_only=read_only, **kwargs)
