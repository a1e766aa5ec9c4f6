"""``BlobStorage`` itself: lifecycle and the dialect sample taken on open; and
``from_url``, which the registry calls for ``blob://CONTAINER``.

The class's parts live beside it (see ``core``); the package docstring
(``explorer.storage.blob``) states the invariants.
"""

from __future__ import annotations

import asyncio
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError

from explorer.storage import blob_dialects as dialects
from explorer.storage.base import Capability
from explorer.storage.blob.client import connect, missing_write_permissions, sas_permissions
from explorer.storage.blob.core import ContainerProfile, gather
from explorer.storage.blob.listing import BlobListing
from explorer.storage.blob.reads import BlobReads
from explorer.storage.blob.writes import BlobWrites
from explorer.storage.bot_objects import OBJECT_OPTIONS

#: names sampled on open to learn the container's dialect: names alone decide
#: almost always, and the sample's page is parsed on the caller's event loop
#: (a window opening a store), so it stays small
SAMPLE_NAMES = 40
SAMPLE_BODIES = 8
#: bytes of a sampled body read to find tags (a python body's e_tag comes last)
SAMPLE_BODY_BYTES = 1 << 16


class BlobStorage(BlobListing, BlobReads, BlobWrites):
    """One blob container. Use ``from_url`` or pass an SDK ``ContainerClient``.

    ``dialect``: form for new items when the container has none yet.
    ``create_container``: create a missing container on open (not when read-only).
    ``max_concurrency``: requests at a time; ``page_size``: names per listing page
    (at most 5,000). A client passed in is not closed by ``close()``; one made
    here is (``owns_client``), and so are ``closers`` (credentials made for it).
    ``objects`` / ``state_classes``: object mode for a botbuilder-python bot
    (see ``StorageBase``).
    """

    capabilities = frozenset(
        {
            Capability.HIERARCHY,
            Capability.PERSISTENT,
            Capability.MULTI_PROCESS,
            Capability.LISTING_PAGES,
            Capability.COUNT,
        }
    )

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self.notes)

    async def open(self) -> None:
        """Check the container (creating it if asked) and sample its dialect.

        A read-only store opens once its names are sampled: the bodies it peeks
        at to settle the dialect are read in the background, and what lists or
        reads waits for them (``_settled``), so the first rows a window shows
        from the sampled names (``known_children``) do not. A writable store
        opens with its dialect settled (the form of new items)."""
        if self._create and not self.read_only:
            try:
                await self._container.create_container()
                self.created = f"created the blob container {self.container_name!r} (missing)"
            except ResourceExistsError:
                pass
            except AzureError as exc:
                raise self._error(exc, None, "create the container") from None
        await self.detect_profile(bodies_later=self.read_only)

    async def close(self) -> None:
        voting, self._voting = self._voting, None
        if voting is not None and not voting.done():
            voting.cancel()
            await asyncio.gather(voting, return_exceptions=True)
        if self._owns:
            await self._container.close()
            self._owns = False
        for closer in self._closers:
            await closer.close()
        self._closers.clear()

    async def detect_profile(self, *, bodies_later: bool = False) -> ContainerProfile:
        """Sample up to ``SAMPLE_NAMES`` names (and 8 bodies) to learn the main dialect.

        ``bodies_later``: return the names' vote at once and read the bodies in
        the background (``_settled`` waits for their vote)."""
        sample: list[tuple[str, str | None]] = []
        try:
            pages = self._container.list_blobs(results_per_page=SAMPLE_NAMES).by_page()
            async for page in pages:
                async for props in page:
                    sample.append((props.name, props.content_settings.content_type))
                break
        except AzureError as exc:
            raise self._error(exc, None, "list") from None
        guesses = [dialects.guess(n, ct) for n, ct in sample]
        unsure = [
            (n, d) for (n, _), (d, certain) in zip(sample, guesses, strict=True) if not certain
        ]
        unsure = unsure[:SAMPLE_BODIES]
        if bodies_later and unsure:
            self._vote(sample, guesses, [])  # the names' vote until the bodies are read
            self._voting = asyncio.create_task(self._vote_bodies(sample, guesses, unsure))
            return self._profile
        await self._vote_bodies(sample, guesses, unsure)
        return self._profile

    async def _vote_bodies(
        self,
        sample: list[tuple[str, str | None]],
        guesses: list[tuple[dialects.BlobDialect, bool]],
        unsure: list[tuple[str, dialects.BlobDialect]],
    ) -> None:
        bodies = await gather(self._peek(n) for n, _ in unsure)
        self._vote(sample, guesses, [(d, b) for (_, d), b in zip(unsure, bodies, strict=True)])

    def _vote(
        self,
        sample: list[tuple[str, str | None]],
        guesses: list[tuple[dialects.BlobDialect, bool]],
        bodies: list[tuple[dialects.BlobDialect, bytes]],
    ) -> None:
        main, python_hint, json_hint = dialects.vote(
            guesses,
            bodies,
            python_default=self._python_default(),
            json_default=self._json_default(),
            fallback=self._default,
        )
        names = tuple(n for n, _ in sample)
        self._profile = ContainerProfile(main, python_hint, json_hint, names)

    async def _peek(self, name: str) -> bytes:
        async with self._limit:
            try:
                stream = await self._container.download_blob(
                    name, offset=0, length=SAMPLE_BODY_BYTES
                )
                return bytes(await stream.readall())
            except AzureError:
                return b""  # gone or unreadable: it just does not vote


def from_url(url: str, *, read_only: bool = False, **options: Any) -> BlobStorage:
    """``blob://CONTAINER``; how to reach the account comes from ``options``.

    - ``container_client``: an SDK ``ContainerClient`` (used as is, not closed);
    - ``connection_string``, else ``$AZURE_STORAGE_CONNECTION_STRING``;
    - ``account_url`` with ``sas_token``, or ``account_key`` (+ ``account_name``),
      or ``credential`` (any SDK credential), else Entra ID through
      ``azure.identity.aio.DefaultAzureCredential``.

    Also ``dialect`` (form for new items in an empty container),
    ``create_container``, ``max_concurrency``, ``page_size``, ``objects`` and
    ``state_classes`` (object mode, for a bot) and the client's
    ``connection_timeout``, ``read_timeout`` and ``retries`` (``client_settings``).
    Other options are ignored.
    """
    names = ("dialect", "create_container", "max_concurrency", "page_size", *OBJECT_OPTIONS)
    settings = {k: options[k] for k in names if k in options}
    client = options.get("container_client")
    if client is not None:
        return BlobStorage(client, read_only=read_only, **settings)
    permissions = sas_permissions(options)
    refused = "w" in missing_write_permissions(permissions)
    client, closers = connect(url, options)
    store = BlobStorage(
        client, read_only=read_only or refused, owns_client=True, closers=closers, **settings
    )
    if refused:
        store.read_only_reason = (
            f"its SAS grants only '{permissions}' (no 'w', write); use a SAS with 'w' "
            "(and 'd' to delete) to change state"
        )
        store.notes.append(f"opened read-only: {store.read_only_reason}")
    return store
