"""Live watch: follow stored items as a running bot changes them.

A ``Watcher`` polls the etags of a few keys at an interval and reports each
new version: ``changed``, ``deleted`` or ``created``, with the dotted paths of
the properties that differ (``prefs.lang``). The window's Watch toggle and the
``watch`` command are two views of it.

Invariants:
- One cheap request per interval: the watched keys are read together
  (``read_raw``: one query on SQLite, a point read or read-many on Cosmos DB).
  On a store that reads by stored name in one request
  (``Capability.READ_BY_NAME``, Cosmos), a key already seen is polled by its
  name: one point read whether it exists or not (a missing key would otherwise
  cost a point read plus a ``realId`` query). While such a key is missing, every
  ``CONFIRM_EVERY``-th poll also reads it by key, to see it re-created under
  another id.
- With a ``prefix`` (a conversation's private states), the prefix is listed
  again every ``relist_every`` polls; keys that appear are reported as created.
- The first read is the baseline: ``start`` reports each key once with
  ``change=None`` (``item=None``: it does not exist yet; that is not an error,
  the watch waits for it).
- A failed poll (``StorageError``: store unreachable, throttled, answering
  errors) is not fatal: it is reported (``Outage``) and retried with a growing
  delay (doubling from the interval up to ``max_backoff``); the first good poll
  after it is reported (``Recovered``) and then its changes. An outage longer
  than ``give_up`` seconds raises the last error. A body that is not JSON is
  not an outage: its version is reported with the path ``$``.
- Nothing here writes. Versions keep the stored item (``item``), so a view can
  diff any two of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from explorer.core.errors import DecodeError, StorageError
from explorer.core.items import RawItem
from explorer.state.keys import parse_key
from explorer.storage.abilities import Abilities
from explorer.storage.base import Storage
from explorer.workspace.json_paths import changed_paths

ChangeKind = Literal["changed", "deleted", "created"]

DEFAULT_INTERVAL = 2.0
#: the longest wait between retries while the store is unreachable
MAX_BACKOFF = 15.0
#: a missing key polled by name is also read by key every this many polls
CONFIRM_EVERY = 10
#: a watched prefix is listed again every this many polls
RELIST_EVERY = 5


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Version:
    """One observed version of a watched key.

    ``change`` is ``None`` for the baseline (the first read). ``item`` is the
    stored form (``None``: the key does not exist). ``paths`` are the dotted
    property paths that differ from the previous version (for a created or
    deleted item: its top-level properties).
    """

    time: datetime
    key: str
    change: ChangeKind | None
    etag: str | None
    paths: tuple[str, ...] = ()
    item: RawItem | None = field(default=None, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        """The ``watch --json`` line: time, key, change, etag, paths."""
        return {
            "time": self.time.isoformat(timespec="milliseconds"),
            "key": self.key,
            "change": self.change,
            "etag": self.etag,
            "paths": list(self.paths),
        }


@dataclass(frozen=True)
class Outage:
    """A poll failed; the watch goes on. ``attempts`` counts failures in a row."""

    time: datetime
    error: StorageError
    since: datetime
    attempts: int
    retry_in: float


@dataclass(frozen=True)
class Recovered:
    """The store answered again after an outage of ``seconds``."""

    time: datetime
    seconds: float
    attempts: int


WatchEvent = Version | Outage | Recovered


def private_prefix(conversation_key: str) -> str | None:
    """The prefix of a conversation's private states (``None`` if not a conversation key)."""
    info = parse_key(conversation_key)
    if info.kind != "conversation" or info.agent is not None:
        return None
    base = conversation_key[:-1] if info.trailing_slash else conversation_key
    return f"{base}/users/"


class Watcher:
    """Polls ``keys`` (and keys appearing under ``prefix``) of an opened store."""

    def __init__(
        self,
        store: Storage,
        keys: list[str],
        *,
        prefix: str | None = None,
        interval: float = DEFAULT_INTERVAL,
        max_backoff: float = MAX_BACKOFF,
        give_up: float | None = None,
        relist_every: int = RELIST_EVERY,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"the interval must be above 0 seconds, not {interval:g}")
        self.store = store
        self.keys: list[str] = list(dict.fromkeys(keys))
        self.prefix = prefix
        self.interval = interval
        self.max_backoff = max(interval, max_backoff)
        self.give_up = give_up
        self.relist_every = max(1, relist_every)
        self._now = now
        self._by_name = Abilities.of(store).by_name
        self._items: dict[str, RawItem | None] = {}
        self._documents: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        self._missing_polls: dict[str, int] = {}
        self._polls = 0
        self.started = False
        #: requests made by polls (listings included), for cost reports
        self.requests = 0

    # -- one round ---------------------------------------------------------------

    async def start(self) -> list[Version]:
        """Read every key once: the baseline versions (``change=None``)."""
        if self.prefix is not None:
            await self._relist()
        found = await self.store.read_raw(self.keys)
        self.requests += 1
        self.started = True
        return [self._baseline(key, found.get(key)) for key in self.keys]

    async def poll(self) -> list[Version]:
        """Read the watched keys once; the versions that are new since the last poll.

        Raises ``StorageError`` when the store fails (nothing is recorded then).
        """
        if not self.started:
            raise RuntimeError("call start() first")
        self._polls += 1
        if self.prefix is not None and self._polls % self.relist_every == 0:
            await self._relist()
        found = await self._read(self.keys)
        # a key that appeared under the prefix was never seen: it reads as created
        return [v for key in self.keys if (v := self._observe(key, found.get(key)))]

    async def _relist(self) -> None:
        assert self.prefix is not None
        listed = [key async for key in self.store.iter_keys(self.prefix)]
        self.requests += 1
        for key in listed:
            if key not in self.keys:
                self.keys.append(key)

    async def _read(self, keys: list[str]) -> dict[str, RawItem]:
        by_name = self._by_name
        if by_name is None:
            self.requests += 1
            return await self.store.read_raw(keys)
        named = {k: self._names[k] for k in keys if k in self._names}
        by_key = [k for k in keys if k not in named]
        results = await asyncio.gather(*(by_name.read_document(n) for n in named.values()))
        self.requests += len(named)
        found: dict[str, RawItem] = {}
        for key, item in zip(named, results, strict=True):
            if item is not None and item.key == key:
                found[key] = item
                self._missing_polls.pop(key, None)
                continue
            # gone under its name: read by key when it was there until now (it may
            # live under another id), and now and then while it stays missing
            misses = self._missing_polls.get(key, 0) + 1
            self._missing_polls[key] = misses
            if self._items.get(key) is not None or misses % CONFIRM_EVERY == 0:
                by_key.append(key)
        if by_key:
            self.requests += 1
            found.update(await self.store.read_raw(by_key))
        return found

    def _decode(self, item: RawItem | None) -> Any:
        if item is None:
            return None
        try:
            return self.store.decode(item)
        except DecodeError:
            return item.body  # not JSON: compared as bytes, reported as "$"

    def _remember(self, key: str, item: RawItem | None) -> Any:
        document = self._decode(item)
        self._items[key] = item
        self._documents[key] = document
        if item is not None and item.name:
            self._names[key] = item.name
        return document

    def _baseline(self, key: str, item: RawItem | None) -> Version:
        self._remember(key, item)
        return Version(self._now(), key, None, item.etag if item else None, (), item)

    def _observe(self, key: str, item: RawItem | None) -> Version | None:
        before = self._items.get(key)
        if before is None and item is None:
            return None
        if before is not None and item is not None and before.etag == item.etag:
            return None
        old = self._documents.get(key)
        new = self._remember(key, item)
        change: ChangeKind
        if item is None:
            change, paths = "deleted", _top_level(old)
        elif before is None:
            change, paths = "created", _top_level(new)
        else:
            change = "changed"
            if isinstance(old, dict) and isinstance(new, dict):
                paths = changed_paths(old, new)
            else:
                paths = [] if old == new else ["$"]
        return Version(self._now(), key, change, item.etag if item else None, tuple(paths), item)

    def current(self, key: str) -> RawItem | None:
        """The last seen stored form of ``key`` (``None``: missing or not watched)."""
        return self._items.get(key)

    # -- the loop ----------------------------------------------------------------

    async def events(self) -> AsyncIterator[WatchEvent]:
        """The baseline, then every change and outage, until cancelled.

        The baseline read fails like any read (the store may be wrong, not
        down); later failures are outages (see the module docstring).
        """
        for version in await self.start():
            yield version
        failed_since: float | None = None
        failed_at: datetime | None = None
        attempts = 0
        delay = self.interval
        while True:
            await asyncio.sleep(delay)
            try:
                versions = await self.poll()
            except StorageError as exc:
                attempts += 1
                if failed_since is None:
                    failed_since, failed_at = time.monotonic(), self._now()
                down = time.monotonic() - failed_since
                if self.give_up is not None and down >= self.give_up:
                    raise
                delay = min(self.interval * 2**attempts, self.max_backoff)
                assert failed_at is not None
                yield Outage(self._now(), exc, failed_at, attempts, delay)
                continue
            if failed_since is not None:
                yield Recovered(self._now(), time.monotonic() - failed_since, attempts)
                failed_since, failed_at, attempts = None, None, 0
            delay = self.interval
            for version in versions:
                yield version


def _top_level(document: Any) -> list[str]:
    return [str(name) for name in document] if isinstance(document, dict) else ["$"]
