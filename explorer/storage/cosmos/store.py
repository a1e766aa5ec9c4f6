"""``CosmosStorage`` itself: lifecycle, the state the UI shows, the codec; and
``from_url``, which the registry calls for ``cosmos://DATABASE/CONTAINER``.

The class's parts live beside it (see ``core``); the package docstring
(``explorer.storage.cosmos``) states the invariants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.cosmos.aio import ContainerProxy

from explorer.core.errors import BackendUnavailableError, UnknownStoreError
from explorer.core.items import JsonObject, RawItem
from explorer.storage.base import Capability, as_document, dump_json
from explorer.storage.bot_objects import OBJECT_OPTIONS
from explorer.storage.budget import DEFAULT_RU_PER_SECOND
from explorer.storage.cosmos.aggregates import CosmosAggregates
from explorer.storage.cosmos.client import choose_credential, container_properties, new_client
from explorer.storage.cosmos.writes import CosmosWrites
from explorer.storage.cosmos_docs import CONTENT_TYPE, document_of, new_envelope
from explorer.storage.cosmos_layout import NOTES, certificates_checked, layout_of
from explorer.storage.url import StoreUrl


class CosmosStorage(CosmosWrites, CosmosAggregates):
    """Bot state in one Cosmos DB container (partition key ``/id`` or legacy).

    ``CosmosStorage(database, container, endpoint=..., key=...)`` is what a bot
    uses (creates the container on first use); ``from_url`` and
    ``from_container`` are what the explorer uses. The constructor's options
    are described in ``core.CosmosCore``; a botbuilder-python bot adds
    ``objects=True`` (and ``state_classes``): see ``StorageBase``.
    """

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

    # -- lifecycle -----------------------------------------------------------------

    async def open(self) -> None:
        async with self._open_lock:
            if self._opened:
                return
            container = self._container or self._connect()
            meter = self._meter()
            made: list[str] = []
            usage: dict[str, int] = {}
            try:
                props = await container_properties(
                    container,
                    self._client,
                    meter,
                    database=self.database_name,
                    name=self.container_name,
                    url=self.url,
                    endpoint=self.endpoint,
                    create=self.create_container,
                    created=made,
                    usage=usage,
                )
                self._count_on_open = usage.get("documentsCount")
                if self._count_on_open is not None:
                    self.capabilities = self.capabilities | {Capability.REPORTED_TOTAL}
                self._container = container
                self._configure(props)
                self.profile = await self._sample(meter)
            except BaseException:
                await self.close()  # no half-open client left behind
                raise
            if made:
                self.created = f"created the Cosmos DB {' and '.join(made)} (missing)"
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
                f"no Cosmos DB endpoint for {self.url}: set COSMOS_ENDPOINT or pass "
                "--endpoint (endpoint= in code)"
            )
        credential, self._owned_credential = choose_credential(self._key, self._credential)
        self._client = new_client(
            self.endpoint, credential, insecure=self.insecure, timeouts=self.timeouts
        )
        database = self._client.get_database_client(self.database_name)
        return database.get_container_client(self.container_name)

    def _configure(self, props: Mapping[str, Any]) -> None:
        layout = layout_of(props, self.container_name)
        if layout.legacy_partition_key:
            self.legacy_partition_key = True
            self._note(NOTES["legacy"])
        if layout.unindexed:
            self._scan_mode()

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


def ru_budget(value: Any) -> float | None:
    """The ``ru_per_second`` option as a cap: a positive number, or ``None`` for none
    (``None``, ``0``, ``"off"``, ``"none"``). Anything else is refused, naming the option."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off", "none")):
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise UnknownStoreError(
            f"ru_per_second must be a number of request units per second, not {value!r}"
        ) from None
    if rate != rate or rate < 0:
        raise UnknownStoreError(f"ru_per_second must be 0 (no cap) or more, not {value!r}")
    return rate or None


def from_url(url: str, *, read_only: bool = False, **options: Any) -> CosmosStorage:
    """Open ``cosmos://DATABASE/CONTAINER`` for the explorer.

    Options: ``endpoint``, ``key`` (else ``COSMOS_ENDPOINT`` / ``COSMOS_KEY``,
    else Entra ID), ``credential``, ``insecure`` (local emulator only),
    ``dialect``, ``max_concurrency``, ``page_size``, ``connection_timeout``,
    ``read_timeout`` and ``retries`` (see ``READ_TIMEOUT``), ``create_container``
    (default off: the explorer never creates containers), ``container`` (an
    SDK ``ContainerProxy`` to use instead of connecting), ``objects`` and
    ``state_classes`` (object mode, for a bot), ``ru_per_second`` (the RU/s cap
    of scans, default ``DEFAULT_RU_PER_SECOND``; ``0``, ``"off"`` or ``"none"``:
    no cap; text is accepted, as a profile stores it). Others are ignored.
    """
    database, container = StoreUrl.parse(url).cosmos_names
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
        *OBJECT_OPTIONS,
    }
    kwargs = {k: v for k, v in options.items() if k in known and v is not None}
    kwargs.setdefault("create_container", False)
    kwargs["ru_per_second"] = ru_budget(options.get("ru_per_second", DEFAULT_RU_PER_SECOND))
    proxy = options.get("container")
    if isinstance(proxy, ContainerProxy):
        kwargs.pop("create_container")
        return CosmosStorage.from_container(proxy, read_only=read_only, **kwargs)
    return CosmosStorage(database, container, read_only=read_only, **kwargs)
