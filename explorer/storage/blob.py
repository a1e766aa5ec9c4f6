"""Azure Blob Storage backend (``blob://CONTAINER``) on ``azure.storage.blob.aio``.

Opens containers filled by botbuilder-python/-js/-dotnet and the Agents SDK
(``explorer.storage.blob_dialects``). Invariants:

- Every blob is read and listed in its own dialect, detected per blob from name,
  content type and body, and reported in ``RawItem.dialect`` / ``Entry.dialect``.
  New items get the container's main dialect (from a sample of the listing
  taken on open), else the ``dialect`` option (default ``python``).
- A key is looked up under its known name, then the main dialect's name, then
  the other dialects' names (a migrated container can hold several forms).
- Etags are the blob's ETag property, quotes stripped; never the ``e_tag`` a
  python body carries. Conditional writes send If-Match, creates
  If-None-Match ``*``; 412/409 become ``ETagConflictError`` naming the key.
- Writing back an item read from here keeps its name, content type, metadata and
  body style; only changed properties differ (``encode(key, doc, like=raw)``).
- Bulk reads and writes run concurrently on one client session, at most
  ``max_concurrency`` requests at a time. Listing streams 5,000-name pages.
  ``iter_children(prefix)`` lists one tree level (``Capability.HIERARCHY``).
- If the same key is stored in two forms (a migration), listing shows both
  entries (same key, different ``name``/``dialect``); reads take the main
  dialect's blob; ``delete`` removes every form.
- This is the only module that imports ``azure.storage``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobProperties, ContentSettings
from azure.storage.blob.aio import BlobPrefix, ContainerClient, ExponentialRetry

from explorer.core.errors import (
    BackendUnavailableError,
    ETagConflictError,
    InvalidKeyError,
    StorageError,
    UnknownStoreError,
)
from explorer.core.items import Entry, RawItem
from explorer.storage import blob_dialects as dialects
from explorer.storage.base import (
    Capability,
    StorageBase,
    as_document,
    etag_conflict,
    public_attributes,
    requested_etag,
)
from explorer.storage.blob_dialects import BlobDialect

PAGE_SIZE = 5000
SAMPLE_NAMES = 200
SAMPLE_BODIES = 8
#: bytes of a sampled body read to find tags (a python body's e_tag comes last)
SAMPLE_BODY_BYTES = 1 << 16
DEFAULT_CONCURRENCY = 48
_NAME_CACHE_LIMIT = 200_000
_EXTRA_SETTINGS = ("content_encoding", "content_language", "content_disposition", "cache_control")
_T = TypeVar("_T")
#: bodies above 1 MiB go up in 1 MiB blocks: aiohttp warns that one larger
#: request body may hold up the event loop
_BLOCK = 1 << 20
#: ``RawItem``'s default content type: an item built without one
_GENERIC_CONTENT_TYPE = RawItem(key="", body=b"").content_type
#: Client timeouts and retries for an interactive tool. The SDK's defaults wait
#: 15-24 s before each retry and 60 s per read: a killed server took 82 s to
#: report, two 503s 40 s (measured against Azurite). Here a refused or reset
#: connection is retried once, throttling (503/500) and timeouts up to 3 times,
#: after 2, 4 and 8 s (+-1 s); a stalled server fails after 2 x READ_TIMEOUT.
CONNECTION_TIMEOUT = 10.0
READ_TIMEOUT = 20.0
RETRIES = 3
CONNECT_RETRIES = 1


def _proxy_in_environment() -> bool:
    return any(
        os.environ.get(name) or os.environ.get(name.upper())
        for name in ("http_proxy", "https_proxy", "all_proxy", "netrc")
    )


def client_settings(options: Mapping[str, Any]) -> dict[str, Any]:
    """SDK client keywords from the options ``connection_timeout``, ``read_timeout``
    (seconds) and ``retries`` (throttling/timeouts; connection failures at most 1)."""
    retries = max(0, int(options.get("retries", RETRIES)))
    return {
        "connection_timeout": float(options.get("connection_timeout", CONNECTION_TIMEOUT)),
        "read_timeout": float(options.get("read_timeout", READ_TIMEOUT)),
        # aiohttp looks up proxy variables and ~/.netrc in a worker thread on every
        # request when asked to; only ask when the environment names a proxy
        "use_env_settings": _proxy_in_environment(),
        "retry_policy": ExponentialRetry(
            initial_backoff=0,
            increment_base=2,
            random_jitter_range=1,
            retry_total=retries,
            retry_connect=min(retries, CONNECT_RETRIES),
            retry_read=min(retries, CONNECT_RETRIES),
            retry_status=retries,
        ),
    }


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else None


def _quoted(etag: str) -> str:
    return etag if etag.startswith('"') else f'"{etag}"'


@dataclass(frozen=True, slots=True)
class ContainerProfile:
    """What a sample of the container shows: its main dialect and the tie-breakers."""

    main: BlobDialect
    python_hint: str = "python"
    json_hint: str = "js"
    sampled: int = 0


class BlobStorage(StorageBase):
    """One blob container. Use ``from_url`` or pass an SDK ``ContainerClient``.

    ``dialect``: form for new items when the container has none yet.
    ``create_container``: create a missing container on open (not when read-only).
    A client passed in is not closed by ``close()``; one made here is.
    """

    capabilities = frozenset(
        {Capability.HIERARCHY, Capability.PERSISTENT, Capability.MULTI_PROCESS}
    )

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
    ) -> None:
        super().__init__(read_only=read_only)
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

    def _python_default(self) -> str:
        return self._default.name if self._default.name in dialects.PYTHON_FAMILY else "python"

    def _json_default(self) -> str:
        return self._default.name if self._default.name in ("js", "dotnet") else "js"

    @property
    def container_name(self) -> str:
        return str(self._container.container_name)

    @property
    def profile(self) -> ContainerProfile:
        """The container's detected dialects (the configured default until opened)."""
        return self._profile

    # -- lifecycle -----------------------------------------------------------

    async def open(self) -> None:
        """Check the container (creating it if asked) and sample its dialect."""
        if self._create and not self.read_only:
            try:
                await self._container.create_container()
            except ResourceExistsError:
                pass
            except AzureError as exc:
                raise self._error(exc, None, "create the container") from None
        await self.detect_profile()

    async def close(self) -> None:
        if self._owns:
            await self._container.close()
            self._owns = False
        for closer in self._closers:
            await closer.close()
        self._closers.clear()

    async def detect_profile(self) -> ContainerProfile:
        """Sample up to 200 names (and 8 bodies) to learn the main dialect."""
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
        bodies = await self._gather(self._peek(n) for n, _ in unsure)
        main, python_hint, json_hint = dialects.vote(
            guesses,
            [(d, b) for (_, d), b in zip(unsure, bodies, strict=True)],
            python_default=self._python_default(),
            json_default=self._json_default(),
            fallback=self._default,
        )
        self._profile = ContainerProfile(main, python_hint, json_hint, len(sample))
        return self._profile

    async def _peek(self, name: str) -> bytes:
        async with self._limit:
            try:
                stream = await self._container.download_blob(
                    name, offset=0, length=SAMPLE_BODY_BYTES
                )
                return bytes(await stream.readall())
            except AzureError:
                return b""  # gone or unreadable: it just does not vote

    # -- helpers -------------------------------------------------------------

    async def _gather(self, coros: Iterable[Coroutine[Any, Any, _T]]) -> list[_T]:
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

    def _error(self, exc: BaseException, key: str | None, operation: str) -> StorageError:
        where = f"{key!r} in " if key is not None else ""
        target = f"{where}blob container {self.container_name!r}"
        code = getattr(exc, "error_code", None)
        code = getattr(code, "value", code)  # StorageErrorCode is a str enum
        if code == "ContainerNotFound":
            return BackendUnavailableError(
                f"cannot {operation} {target}: the container does not exist; "
                "check the name, or create it (option create_container)",
                key=key,
            )
        if isinstance(exc, ClientAuthenticationError) or code in (
            "AuthenticationFailed",
            "AuthorizationFailure",
            "AuthorizationPermissionMismatch",
        ):
            return BackendUnavailableError(
                f"cannot {operation} {target}: the credentials were refused ({code or exc}); "
                "check the connection string, key, SAS or role assignment",
                key=key,
            )
        if isinstance(exc, HttpResponseError) and exc.status_code:
            return StorageError(
                f"cannot {operation} {target}: {exc.status_code} {exc.reason} ({code}); "
                "try again, or check the storage account",
                key=key,
            )
        unknown = (
            " (the connection failed mid-request: the change may or may not have been "
            "applied; reload before changing anything)"
            if operation in ("write", "delete")
            else ""
        )
        return BackendUnavailableError(
            f"cannot {operation} {target}: {exc}{unknown}; check the network and the account URL",
            key=key,
        )

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

    @staticmethod
    def _meta(props: BlobProperties) -> dict[str, Any]:
        meta: dict[str, Any] = dict(props.metadata or {})
        for setting in _EXTRA_SETTINGS:
            value = getattr(props.content_settings, setting, None)
            if value:
                meta[f"${setting}"] = value
        return meta

    # -- listing -------------------------------------------------------------

    def _entry(self, props: BlobProperties) -> Entry:
        name = props.name
        found = self._detect(name, props.content_settings.content_type, None)
        try:
            key = found.key_of(name)
            error = None
        except ValueError as exc:
            key, error = name, f"blob name {name!r} cannot be decoded as a {found.label} key: {exc}"
        return Entry(
            key=key,
            name=name,
            size=props.size,
            last_modified=props.last_modified,
            etag=_etag(props.etag),
            dialect=found.name,
            error=error,
        )

    def _name_prefixes(self, prefix: str) -> list[str]:
        if not prefix:
            return [""]
        found: set[str] = set()
        for candidate in dialects.ALL:
            try:
                found.add(candidate.name_prefix_of(prefix))
            except InvalidKeyError:
                continue
        # a prefix that extends another one would list the same names twice
        return sorted(p for p in found if not any(p != q and p.startswith(q) for q in found))

    async def _list(self, name_prefix: str) -> AsyncIterator[BlobProperties]:
        pages = self._container.list_blobs(
            name_starts_with=name_prefix or None, results_per_page=self._page_size
        ).by_page()
        try:
            async for page in pages:
                async for props in page:
                    yield props
        except AzureError as exc:
            raise self._error(exc, None, "list") from None

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        """Every blob whose key starts with ``prefix``, one 5,000-name page at a time.

        A non-empty prefix is translated into each dialect's name prefix and the
        listings are chained. A name that cannot be decoded is still listed, as
        an ``Entry`` whose ``error`` says why (its ``key`` is the raw name).
        """
        for name_prefix in self._name_prefixes(prefix):
            async for props in self._list(name_prefix):
                entry = self._entry(props)
                if entry.error or entry.key.startswith(prefix):
                    yield entry

    async def iter_children(self, prefix: str = "") -> AsyncIterator[str | Entry]:
        """The direct children of a ``/``-delimited key prefix (``""`` or ending in ``/``).

        Yields ``str`` child prefixes (each ends with ``/``, each once) and
        ``Entry`` items whose key has no further ``/`` after ``prefix``. Python
        names are walked server-side (one page per 5,000 children); flat names
        (js, .NET, agents-js) have no folders, so the ones under ``prefix`` are
        listed and grouped here. A python private-state blob ``c/conversations/x/
        users/u/`` is the single child of the prefix of the same name. Undecodable
        names come as error entries.
        """
        if prefix and not prefix.endswith("/"):
            raise ValueError(f"a hierarchy prefix ends with '/', not {prefix!r}")
        seen: set[str] = set()
        sources: list[AsyncIterator[Any]] = [self._walk(prefix)]
        if prefix:
            flat = {
                d.name_prefix_of(prefix) for d in (dialects.JS, dialects.DOTNET, dialects.AGENTS_JS)
            }
            sources.extend(self._list(p) for p in sorted(flat))
        for source in sources:
            async for item in source:
                if isinstance(item, str):
                    child: str | Entry = item
                else:
                    entry = self._entry(item)
                    if not entry.error and not entry.key.startswith(prefix):
                        continue
                    rest = "" if entry.error else entry.key[len(prefix) :]
                    head, slash, tail = rest.partition("/")
                    child = f"{prefix}{head}/" if slash and tail else entry
                if isinstance(child, str):
                    if child in seen:
                        continue
                    seen.add(child)
                yield child

    async def _walk(self, prefix: str) -> AsyncIterator[str | BlobProperties]:
        try:
            async for item in self._container.walk_blobs(
                name_starts_with=prefix or None, delimiter="/", results_per_page=self._page_size
            ):
                yield item.name if isinstance(item, BlobPrefix) else item
        except AzureError as exc:
            raise self._error(exc, None, "list") from None

    # -- raw access ----------------------------------------------------------

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        """The stored form of each key found, read concurrently (bounded)."""
        unique = list(dict.fromkeys(keys))
        items = await self._gather(self._read_one(key) for key in unique)
        return {key: item for key, item in zip(unique, items, strict=True) if item is not None}

    async def _read_one(self, key: str) -> RawItem | None:
        candidates = self._candidates(key)
        if not candidates:
            return None
        first = await self._download(key, candidates[0][0])
        if first is not None or len(candidates) == 1:
            return first
        others = await self._gather(self._download(key, name) for name, _ in candidates[1:])
        return next((item for item in others if item is not None), None)

    async def _download(self, key: str, name: str) -> RawItem | None:
        async with self._limit:
            try:
                stream = await self._container.download_blob(name)
                body = bytes(await stream.readall())
            except ResourceNotFoundError as exc:
                if getattr(exc, "error_code", None) == "ContainerNotFound":
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
            etag=_etag(props.etag),
            last_modified=props.last_modified,
            name=name,
            dialect=found.name,
            meta=self._meta(props),
        )

    def _placement(self, item: RawItem) -> tuple[str, BlobDialect, str]:
        """Name, dialect and content type under which ``item`` is written.

        An item in blob form (its ``dialect`` is a blob dialect) is written as it
        says. Any other item goes under the name the key already has here (else
        the container's main dialect's name); it keeps its content type unless
        that is the generic default, which becomes the dialect's own.
        """
        found = dialects.DIALECTS.get(item.dialect)
        if found is not None:
            return item.name or found.name_of(item.key), found, item.content_type
        cached = self._names.get(item.key)
        found = dialects.DIALECTS[cached[1]] if cached else self._profile.main
        name = cached[0] if cached else found.name_of(item.key)
        generic = item.content_type in ("", _GENERIC_CONTENT_TYPE)
        return name, found, found.content_type if generic else item.content_type

    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem:
        """Store ``item`` as it is; an item not in blob form gets the container's form."""
        self.check_writable("write", item.key)
        name, found, content_type = self._placement(item)
        metadata = {k: str(v) for k, v in item.meta.items() if not k.startswith("$")}
        extras = {k[1:]: item.meta[k] for k in item.meta if k[1:] in _EXTRA_SETTINGS}
        options: dict[str, Any] = {
            "overwrite": not create,
            "content_settings": ContentSettings(content_type=content_type or None, **extras),
            "metadata": metadata or None,
        }
        if if_match not in (None, "*") and not create:
            options["etag"] = _quoted(str(if_match))
            options["match_condition"] = MatchConditions.IfNotModified
        async with self._limit:
            try:
                reply = await self._container.get_blob_client(name).upload_blob(
                    item.body, **options
                )
            except ResourceExistsError:
                raise ETagConflictError(
                    item.key, f"{item.key!r} already exists; reload it and apply your change again"
                ) from None
            except ResourceModifiedError:
                raise ETagConflictError(item.key) from None
            except ResourceNotFoundError as exc:
                if getattr(exc, "error_code", None) != "ContainerNotFound" and "etag" in options:
                    raise ETagConflictError(item.key) from None
                raise self._error(exc, item.key, "write") from None
            except HttpResponseError as exc:
                if exc.status_code in (409, 412):
                    raise ETagConflictError(item.key) from None
                raise self._error(exc, item.key, "write") from None
            except AzureError as exc:
                raise self._error(exc, item.key, "write") from None
        self._remember(item.key, name, found.name)
        return replace(
            item,
            name=name,
            dialect=found.name,
            content_type=content_type,
            etag=_etag(reply.get("etag")),
            last_modified=reply.get("last_modified"),
        )

    async def delete_raw(self, key: str, *, if_match: str | None = None) -> None:
        """Delete every blob that stores ``key``; with ``if_match``, the one that matches."""
        self.check_writable("delete", key)
        names = [name for name, _ in self._candidates(key)]
        self._names.pop(key, None)
        if if_match in (None, "*"):
            await self._gather(self._delete(key, name, None) for name in names)
            return
        for name in names:
            if await self._delete(key, name, str(if_match)):
                return
        raise ETagConflictError(key)

    async def _delete(self, key: str, name: str, if_match: str | None) -> bool:
        options: dict[str, Any] = {}
        if if_match is not None:
            options = {"etag": _quoted(if_match), "match_condition": MatchConditions.IfNotModified}
        async with self._limit:
            try:
                await self._container.delete_blob(name, **options)
            except ResourceNotFoundError as exc:
                if getattr(exc, "error_code", None) == "ContainerNotFound":
                    raise self._error(exc, key, "delete") from None
                return False
            except (ResourceModifiedError, ResourceExistsError):
                return False
            except HttpResponseError as exc:
                if exc.status_code == 412:
                    return False
                raise self._error(exc, key, "delete") from None
            except AzureError as exc:
                raise self._error(exc, key, "delete") from None
        return True

    # -- codec ---------------------------------------------------------------

    def encode(
        self, key: str, document: Mapping[str, Any], *, like: RawItem | None = None
    ) -> RawItem:
        """``document`` as a blob: in ``like``'s exact form, else in the container's form.

        See ``blob_dialects.encode_body`` for what write-back keeps (everything
        but the changed properties, and a python body's stale ``e_tag``).
        """
        document = as_document(document)
        if like is not None and like.dialect in dialects.DIALECTS:
            found = dialects.DIALECTS[like.dialect]
            body = self._body(key, document, found, like)
            # another key in like's form (a copy) gets its own name in that dialect
            name = like.name if key == like.key and like.name else found.name_of(key)
            return replace(like, key=key, body=body, name=name)
        cached = self._names.get(key)
        found = dialects.DIALECTS[cached[1]] if cached else self._profile.main
        name = cached[0] if cached else found.name_of(key)
        body = self._body(key, document, found, None)
        return RawItem(
            key=key, body=body, content_type=found.content_type, name=name, dialect=found.name
        )

    @staticmethod
    def _body(
        key: str, document: Mapping[str, Any], found: BlobDialect, like: RawItem | None
    ) -> bytes:
        try:
            return dialects.encode_body(
                document,
                found,
                like_body=like.body if like is not None else None,
                like_etag=like.etag if like is not None else None,
                default=public_attributes,
            )
        except (TypeError, ValueError, RecursionError) as exc:
            raise StorageError(
                f"cannot store {key!r}: {exc}; keep state to JSON values and plain objects",
                key=key,
            ) from None

    # -- the bot-facing trio -------------------------------------------------

    async def write(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Write concurrently; conflicting keys are left untouched and reported together."""
        if not changes:
            return
        for key in changes:
            self.check_writable("write", key)

        async def one(key: str, value: Mapping[str, Any]) -> str | None:
            document = as_document(value)
            item = self.encode(key, document)
            try:
                await self.write_raw(item, if_match=requested_etag(document))
            except ETagConflictError:
                return key
            return None

        results = await self._gather(one(k, v) for k, v in changes.items())
        conflicts = [key for key in results if key is not None]
        if conflicts:
            raise etag_conflict(conflicts)

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.check_writable("delete", key)
        await self._gather(self.delete_raw(key) for key in dict.fromkeys(keys))


# -- construction --------------------------------------------------------------


def _account_name(account_url: str) -> str:
    """``https://NAME.blob.core.windows.net`` or an emulator's ``http://host:port/NAME``."""
    parts = urlsplit(account_url)
    path = parts.path.strip("/")
    return path.split("/")[0] if path else (parts.hostname or "").split(".")[0]


def _container_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    name = rest.strip("/")
    if scheme.lower() != "blob" or not name or "/" in name:
        raise UnknownStoreError(f"{url!r} is not a blob store URL; use blob://CONTAINER")
    return name


def from_url(url: str, *, read_only: bool = False, **options: Any) -> BlobStorage:
    """``blob://CONTAINER``; how to reach the account comes from ``options``.

    - ``container_client``: an SDK ``ContainerClient`` (used as is, not closed);
    - ``connection_string``, else ``$AZURE_STORAGE_CONNECTION_STRING``;
    - ``account_url`` with ``sas_token``, or ``account_key`` (+ ``account_name``),
      or ``credential`` (any SDK credential), else Entra ID through
      ``azure.identity.aio.DefaultAzureCredential``.

    Also ``dialect`` (form for new items in an empty container),
    ``create_container``, ``max_concurrency``, ``page_size`` and the client's
    ``connection_timeout``, ``read_timeout`` and ``retries`` (``client_settings``).
    Other options are ignored.
    """
    names = ("dialect", "create_container", "max_concurrency", "page_size")
    settings = {k: options[k] for k in names if k in options}
    client = options.get("container_client")
    if client is not None:
        return BlobStorage(client, read_only=read_only, **settings)
    name = _container_of(url)
    connection = options.get("connection_string") or os.environ.get(
        "AZURE_STORAGE_CONNECTION_STRING"
    )
    account_url = options.get("account_url")
    closers: list[Any] = []
    if connection and not account_url:
        client = ContainerClient.from_connection_string(
            connection,
            name,
            max_single_put_size=_BLOCK,
            max_block_size=_BLOCK,
            **client_settings(options),
        )
    elif account_url:
        credential = options.get("credential")
        if credential is None and options.get("sas_token"):
            credential = str(options["sas_token"]).lstrip("?")
        elif credential is None and options.get("account_key"):
            account = options.get("account_name") or _account_name(account_url)
            credential = {"account_name": account, "account_key": options["account_key"]}
        elif credential is None:
            from azure.identity.aio import DefaultAzureCredential

            credential = DefaultAzureCredential()
            closers.append(credential)
        client = ContainerClient(
            account_url,
            name,
            credential=credential,
            max_single_put_size=_BLOCK,
            max_block_size=_BLOCK,
            **client_settings(options),
        )
    else:
        raise BackendUnavailableError(
            f"no account for {url!r}: set AZURE_STORAGE_CONNECTION_STRING, or pass "
            "--connection-string, or an account URL with a SAS, key or Entra ID sign-in"
        )
    return BlobStorage(client, read_only=read_only, owns_client=True, closers=closers, **settings)
