"""The state every part of ``BlobStorage`` shares, and its small helpers.

``BlobStorage`` (store.py: lifecycle, dialect sampling) combines three parts
that each use only what ``BlobCore`` defines here (client, container profile,
name cache, concurrency limit, dialect detection, error mapping):

    BlobListing (listing.py), BlobReads (reads.py), BlobWrites (writes.py: codec too)

Only ``BlobStorage`` is meant to be used; the others are never instantiated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from azure.storage.blob.aio import ContainerClient

from explorer.core.errors import InvalidKeyError, StorageError
from explorer.storage import blob_dialects as dialects
from explorer.storage.base import StorageBase
from explorer.storage.blob.errors import storage_error
from explorer.storage.blob_dialects import BlobDialect

PAGE_SIZE = 5000
DEFAULT_CONCURRENCY = 48
_NAME_CACHE_LIMIT = 200_000
#: content settings kept (as ``$name`` in ``RawItem.meta``) besides the content type
EXTRA_SETTINGS = ("content_encoding", "content_language", "content_disposition", "cache_control")
_T = TypeVar("_T")


def etag(value: str | None) -> str | None:
    """A blob's ETag without its quotes (``None`` for none)."""
    return value.strip('"') if value else None


def quoted(value: str) -> str:
    """An etag as the service wants it in If-Match: quoted."""
    return value if value.startswith('"') else f'"{value}"'


async def gather(coros: Iterable[Coroutine[Any, Any, _T]]) -> list[_T]:
    """Run concurrently; the first failure cancels the rest and is raised as itself
    (callers and users see one typed ``StorageError``, not an ``ExceptionGroup``)."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coros]
    except BaseExceptionGroup as failed:
        first = failed.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [t.result() for t in tasks]


@dataclass(frozen=True, slots=True)
class ContainerProfile:
    """What a sample of the container shows: its main dialect and the tie-breakers."""

    main: BlobDialect
    python_hint: str = "python"
    json_hint: str = "js"
    #: the sampled blob names, in listing order
    names: tuple[str, ...] = ()

    @property
    def sampled(self) -> int:
        return len(self.names)

    @property
    def top_prefixes(self) -> tuple[str, ...]:
        """The top-level key prefixes of the sampled names, each once, in order:
        children of ``""`` that ``iter_children`` will list too. Flat names of the
        main dialect (js ``msteams%2Fusers%2F…``) are decoded to their keys first."""
        found: dict[str, None] = {}
        for name in self.names:
            key = name
            if self.main.separator in name and not self.main.hierarchical:
                try:
                    key = self.main.key_of(name)
                except ValueError:
                    continue
            if "/" in key and not key.startswith("/"):
                found.setdefault(key[: key.index("/") + 1])
        return tuple(found)


class BlobCore(StorageBase):
    """Client, profile, name cache and limits of one container; see ``BlobStorage``."""

    def __init__(
        self,
        container: ContainerClient,
        *,
        read_only: bool = False,
        dialect: str = "python",
        create_container: bool = False,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        page_size: int = PAGE_SIZE,
        owns_client: bool = False,
        closers: Sequence[Any] = (),
        objects: bool = False,
        state_classes: Iterable[type] = (),
    ) -> None:
        super().__init__(read_only=read_only, objects=objects, state_classes=state_classes)
        self._container = container
        self.url = f"blob://{container.container_name}"
        self._default = dialects.dialect(dialect)
        self._profile = ContainerProfile(
            self._default, python_hint=self._python_default(), json_hint=self._json_default()
        )
        self._page_size = max(1, min(page_size, PAGE_SIZE))
        self._create = create_container
        self._limit = asyncio.Semaphore(max(1, max_concurrency))
        self._owns = owns_client
        self._closers = list(closers)
        self._names: dict[str, tuple[str, str]] = {}
        self._sample_offered = False
        #: the sampled bodies' vote on the dialect while it is being read (a read-only
        #: store opens on its names' vote; see ``BlobStorage.open``)
        self._voting: asyncio.Task[None] | None = None
        #: what the user must know about this container (``warnings``)
        self.notes: list[str] = []

    async def _settled(self) -> None:
        """Wait for the sampled bodies' vote on the dialect if it is still being read:
        what lists, reads or writes decodes names and bodies with it."""
        voting = self._voting
        if voting is not None and not voting.done():
            await asyncio.shield(voting)

    def _python_default(self) -> str:
        return self._default.name if self._default.name in dialects.PYTHON_FAMILY else "python"

    def _json_default(self) -> str:
        return self._default.name if self._default.name in ("js", "dotnet") else "js"

    @property
    def transport_scheme(self) -> str:
        """``https``, or ``http`` for an endpoint without TLS (a local emulator)."""
        return str(getattr(self._container, "scheme", "https")).lower()

    @property
    def container_name(self) -> str:
        return str(self._container.container_name)

    @property
    def profile(self) -> ContainerProfile:
        """The container's detected dialects (the configured default until opened; on a
        read-only store, the sampled names' vote until the sampled bodies are read)."""
        return self._profile

    def known_children(self, prefix: str) -> tuple[str, ...]:
        """Child prefixes of ``prefix`` already seen (in the sample taken on open), so
        a tree can show them before ``iter_children`` answers: listing a container's
        top level with a delimiter can take a while (Azurite: ~0.6 s for 20,000 blobs,
        it walks them all). Only the top level is known, and only once: a later
        listing (a refresh) must not bring back a prefix deleted since."""
        if prefix or self._sample_offered:
            return ()
        self._sample_offered = True
        return self._profile.top_prefixes

    def _error(self, exc: BaseException, key: str | None, operation: str) -> StorageError:
        return storage_error(exc, key, operation, self.container_name)

    def _candidates(self, key: str) -> list[tuple[str, BlobDialect]]:
        """Names under which ``key`` may be stored, the likeliest first (deduplicated)."""
        found: dict[str, BlobDialect] = {}
        cached = self._names.get(key)
        if cached:
            found[cached[0]] = dialects.DIALECTS[cached[1]]
        main = self._profile.main
        for candidate in (main, *dialects.ALL):
            try:
                name = candidate.name_of(key)
            except InvalidKeyError:
                continue
            found.setdefault(name, candidate)
        return list(found.items())

    def _remember(self, key: str, name: str, dialect: str) -> None:
        if len(self._names) >= _NAME_CACHE_LIMIT:
            self._names.clear()
        self._names[key] = (name, dialect)

    def _detect(self, name: str, content_type: str | None, body: bytes | None) -> BlobDialect:
        profile = self._profile
        found, certain = dialects.guess(
            name, content_type, python_hint=profile.python_hint, json_hint=profile.json_hint
        )
        if body is None:
            return found
        return dialects.refine(found, certain, body, python_hint=profile.python_hint)
