"""The state every part of ``CosmosStorage`` shares, and its small helpers.

``CosmosStorage`` is built as a chain of classes, one per concern, each using
only what the ones before it define:

    CosmosCore (here: settings, caches, request charges, errors)
      -> CosmosListing (listing.py) -> CosmosReads (reads.py)
      -> CosmosWrites (writes.py) -> CosmosStorage (store.py: lifecycle, codec)
    CosmosListing -> CosmosAggregates (aggregates.py) -> CosmosStorage

Only ``CosmosStorage`` is meant to be used; the others are never instantiated.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, TypeVar

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError
from azure.cosmos.aio import ContainerProxy, CosmosClient
from azure.cosmos.partition_key import NonePartitionKeyValue

from explorer.core.errors import BackendUnavailableError, StorageError
from explorer.storage.base import Capability, StorageBase
from explorer.storage.budget import RuBudget
from explorer.storage.cosmos.client import CONNECTION_TIMEOUT, READ_TIMEOUT, RETRIES
from explorer.storage.cosmos.errors import storage_error
from explorer.storage.cosmos_docs import ShapeCache
from explorer.storage.cosmos_keys import ContainerDialect, Dialect
from explorer.storage.cosmos_layout import NOTES, RequestMeter, duplicate_message, is_local

Doc = dict[str, Any]
T = TypeVar("T")

CAPABILITIES = frozenset(
    {
        Capability.REQUEST_CHARGE,
        Capability.MULTI_PROCESS,
        Capability.PERSISTENT,
        Capability.LISTING_PAGES,
        Capability.KEY_PAGES,
        Capability.COUNT,
        Capability.RU_BUDGET,
        Capability.READ_BY_NAME,
        Capability.AGGREGATE_COUNTS,
    }
)


async def bounded(jobs: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Run ``jobs`` at most ``limit`` at a time; the first failure cancels all.

    A ``StorageError`` or ``AzureError`` is raised as itself (not as an
    ``ExceptionGroup``); jobs cancelled before they started are closed.
    """
    semaphore = asyncio.Semaphore(limit)

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


class CosmosCore(StorageBase):
    """Settings, caches and request charges of one container; see ``CosmosStorage``."""

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
        create_container: bool | str = True,
        dialect: Dialect = "python",
        max_concurrency: int = 32,
        page_size: int = 1000,
        container_client: ContainerProxy | None = None,
        connection_timeout: float = CONNECTION_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retries: int = RETRIES,
        objects: bool = False,
        state_classes: Iterable[type] = (),
        ru_per_second: float | None = None,
    ) -> None:
        super().__init__(read_only=read_only, objects=objects, state_classes=state_classes)
        #: optional abilities; key pages are withdrawn on a container that refuses them
        self.capabilities = CAPABILITIES
        #: the RU/s cap of scans (``explorer.storage.budget``; ``None``: none)
        self.budget = RuBudget(ru_per_second)
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
        #: the container's document count as Cosmos DB reported it with its quota
        #: info on open (``None``: not reported), until ``count("")`` uses it;
        #: reported, the store has ``Capability.REPORTED_TOTAL``
        self._count_on_open: int | None = None
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

    @property
    def location(self) -> str | None:
        return self.endpoint or None

    @property
    def transport_scheme(self) -> str:
        """``https``, or ``http`` for an endpoint without TLS (a local emulator)."""
        return "http" if self.endpoint.lower().startswith("http:") else "https"

    def _meter(self) -> RequestMeter:
        return RequestMeter(self._charged, self.budget.throttled)

    def _charged(self, charge: float, operation_total: float) -> None:
        self.total_request_charge += charge
        self.last_request_charge = operation_total
        self.budget.spend(charge)

    @property
    def ru_per_second(self) -> float | None:
        """The RU/s cap of scans (``None``: none)."""
        return self.budget.rate

    @property
    def throttled_seconds(self) -> float:
        """Seconds scans have waited for the RU budget."""
        return self.budget.waited

    async def _scan_turn(self) -> None:
        """Before each request of a scan: wait until the RU budget allows it."""
        await self.budget.wait()

    def _note(self, text: str) -> None:
        if text not in self._notes:
            self._notes.append(text)

    def _scan_mode(self) -> None:
        self.scan_only = True
        self._unordered()
        self._note(NOTES["scan"])

    def _unordered(self) -> None:
        """The container cannot list in key order (no ORDER BY on ``realId``)."""
        self.capabilities = self.capabilities - {Capability.KEY_PAGES}

    def _error(self, exc: BaseException, action: str, key: str | None = None) -> StorageError:
        return storage_error(exc, action, key, url=self.url, endpoint=self.endpoint)

    def _partition(self, doc_id: str) -> Any:
        return NonePartitionKeyValue if self.legacy_partition_key else doc_id

    async def _ready(self) -> ContainerProxy:
        if not self._opened:
            await self.open()
        assert self._container is not None
        return self._container

    async def _bounded(self, jobs: Iterable[Awaitable[T]]) -> list[T]:
        """``bounded`` at ``max_concurrency``."""
        return await bounded(jobs, self.max_concurrency)

    def _duplicate(self, real_id: str, *ids: str) -> str:
        known = tuple(dict.fromkeys((*self.duplicates.get(real_id, ()), *ids)))
        self.duplicates[real_id] = known
        return duplicate_message(real_id, known)

    def _others(self, key: str, doc_id: str) -> tuple[str, ...]:
        return tuple(i for i in self.duplicates.get(key, ()) if i != doc_id)
