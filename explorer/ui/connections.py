"""Open connections: one store per profile, its tree node, its write state.

A store bigger than ``paged_threshold`` keys that can seek (key pages) opens
as a window over the store: its groups load pages as the view scrolls
(``tree_paged.probe_size``), nothing is listed whole.

``ConnectionManager`` opens a profile's store through an injected opener
(``app.py`` gives it the workspace ``Connector.open_profile``), adds the
connection to the tree and starts its listing through the ``TaskRunner``.
Profiles marked prod open read-only (the workspace's production rule,
``opens_read_only``); ``unlock_writes`` reopens the store with
``read_only=False`` (read-only is enforced by the storage layer, not by
buttons). Several connections can be open at once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from explorer.storage.abilities import Abilities
from explorer.storage.base import Storage
from explorer.ui.tasks import TaskHandle, TaskRunner
from explorer.workspace.connections import opens_read_only
from explorer.workspace.profiles import Profile
from explorer.workspace.tree import ConnectionNode, StateTree
from explorer.workspace.tree_listing import reads_listing_pages
from explorer.workspace.tree_load import count_node, expand_node, is_lazy_store, list_connection
from explorer.workspace.tree_paged import (
    PAGED_THRESHOLD,
    StoreSize,
    fill_gap,
    probe_size,
    read_end,
)

log = logging.getLogger(__name__)

#: ``(profile, secret, read_only) -> an opened store``
Opener = Callable[[Profile, str | None, bool], Awaitable[Storage]]
#: ``(profile, secret) -> a lister (ThreadedLister) or None to list on the store``
ListerFactory = Callable[[Profile, str | None], Awaitable[Any]]


@dataclass(eq=False)
class Connection:
    profile: Profile
    secret: str | None
    store: Storage
    node: ConnectionNode
    writes_unlocked: bool = False
    listing: TaskHandle | None = field(default=None, repr=False)
    #: node listings and page loads under way (cancelled by a refresh or close)
    loads: set[TaskHandle] = field(default_factory=set, repr=False)
    #: lists the store off the event loop (``ThreadedLister``), when there is one
    lister: Any = field(default=None, repr=False)
    #: the listing being opened (done when it is attached, or failed)
    lister_ready: asyncio.Future[None] | None = field(default=None, repr=False)
    #: request units spent by stores this connection used before its current one
    earlier_request_units: float = 0.0

    @property
    def read_only(self) -> bool:
        return bool(self.store.read_only)

    @property
    def tls_checked(self) -> bool:
        return not self.profile.insecure

    @property
    def plain_http(self) -> bool:
        """The store is reached over HTTP, no TLS at all (a local emulator)."""
        return self.store.transport_scheme == "http"

    @property
    def request_charge(self) -> float | None:
        charges = Abilities.of(self.store).charges
        return None if charges is None else float(charges.last_request_charge)

    @property
    def charges_request_units(self) -> bool:
        """The store charges request units and keeps a budget (Cosmos DB)."""
        return Abilities.of(self.store).budget is not None

    @property
    def ru_cap(self) -> float | None:
        """The RU/s cap scans of this store wait for (``None``: none, or not charged)."""
        budget = Abilities.of(self.store).budget
        return None if budget is None else budget.ru_per_second

    def session_request_units(self) -> float | None:
        """Request units this connection spent since it opened (``None``: a store
        that does not charge them): its store, the stores it replaced (writes
        unlocked) and its listing thread's store."""
        budget = Abilities.of(self.store).budget
        if budget is None:
            return None
        spent = self.earlier_request_units + budget.total_request_charge
        thread_store = self.lister.store if self.lister is not None else None
        if thread_store is not None:
            other = Abilities.of(thread_store).budget
            spent += other.total_request_charge if other is not None else 0.0
        return spent


class ConnectionManager(QObject):
    """The open connections of one window."""

    #: a Connection was opened, reopened (writes unlocked) or closed
    changed = Signal()

    def __init__(
        self,
        tree: StateTree,
        runner: TaskRunner,
        opener: Opener,
        parent: QObject | None = None,
        *,
        lister_factory: ListerFactory | None = None,
    ) -> None:
        super().__init__(parent)
        self.tree, self.runner, self.opener = tree, runner, opener
        self.lister_factory = lister_factory
        self.connections: list[Connection] = []
        #: stores with more keys than this open as a window over the store (paged groups)
        self.paged_threshold = PAGED_THRESHOLD

    def for_node(self, node: Any) -> Connection | None:
        """The connection a node belongs to (also a node of filter results: same store)."""
        conn = node.connection if node is not None else None
        if conn is None:
            return None
        found = next((c for c in self.connections if c.node is conn), None)
        return found or next((c for c in self.connections if c.store is conn.store), None)

    async def open(
        self, profile: Profile, secret: str | None, read_only: bool | None = None
    ) -> Connection:
        """Open ``profile`` (prod: read-only unless told otherwise) and start listing."""
        if read_only is None:
            read_only = opens_read_only(profile)

        store = await self.opener(profile, secret, read_only)
        lazy = is_lazy_store(store)
        try:
            size = StoreSize(False) if lazy else await probe_size(store, self.paged_threshold)
        except BaseException:  # its probe failed (or was cancelled): the store is not kept
            await _close(store)
            raise
        paged = size.paged
        node = self.tree.add_connection(
            _title(profile), store, environment=profile.environment, lazy=lazy or paged
        )
        node.paged = paged
        if size.total is not None:  # the store's total came with the probe: not asked again
            node.store_count, node.count_asked = size.total, True
        conn = Connection(profile, secret, store, node)
        self.connections.append(conn)
        if self.lister_factory is not None and not paged:
            # the listing thread opens in the background; the first level of a
            # lazy store is listed on the store meanwhile (one small page). A paged
            # store reads its pages on the store: no thread (opening one costs
            # requests, request units on Cosmos DB)
            opening = self.runner.start(
                f"Opening {profile.name}'s listing thread",
                lambda _handle: self._attach_lister(conn),
                shown=False,
            )
            conn.lister_ready = opening.task
        if not lazy and not paged:
            self.start_listing(conn)
        self.changed.emit()
        return conn

    async def _attach_lister(self, conn: Connection) -> None:
        assert self.lister_factory is not None
        try:
            lister = await self.lister_factory(conn.profile, conn.secret)
        except Exception as exc:  # listing stays on the store: slower pages, same items
            log.warning("listing %s on the event loop: %s", conn.profile.name, exc)
            return
        if conn not in self.connections:  # closed meanwhile
            if lister is not None:
                await lister.close()
            return
        conn.lister = conn.node.lister = lister

    def start_listing(self, conn: Connection) -> TaskHandle:
        if conn.listing is not None:
            conn.listing.cancel()

        async def work(handle: TaskHandle) -> int:
            def progress(done: int, total: int | None) -> None:
                handle.report(done, total)
                settle_listed_objects()

            if conn.lister_ready is not None:  # a whole listing waits for its thread
                await asyncio.shield(conn.lister_ready)
            return await list_connection(self.tree, conn.node, progress)

        conn.listing = self.runner.start(f"Listing {conn.profile.name}", work)
        return conn.listing

    def expand(self, node: Any) -> TaskHandle:
        """Start listing a lazy node (called by the model's ``fetchMore``)."""

        conn = self.for_node(node)
        paged = conn is not None and conn.node.paged  # pages are read on the store
        ready = conn.lister_ready if conn is not None and node is not conn.node else None
        if paged or reads_listing_pages(node) or (conn is not None and is_lazy_store(conn.store)):
            # one page, or one level of names, read on the store (or the thread once
            # it is there): not worth waiting for the thread to open
            ready = None

        async def work(handle: TaskHandle) -> int:
            if ready is not None:  # below the top level pages are big: use the thread
                await asyncio.shield(ready)
            return await expand_node(self.tree, node, lambda d, t: handle.report(d, t))

        return self._load(node, f"Listing {node.label}", work)

    def fill(self, gap: Any, reverse: bool = False) -> TaskHandle:
        """Read a page into a paged group's gap row (the view scrolled near it),
        forwards from the rows above it or ``reverse`` from the rows below."""

        async def work(_handle: TaskHandle) -> int:
            return await fill_gap(self.tree, gap, reverse=reverse)

        return self._load(gap, f"Reading {gap.parent.label if gap.parent else ''}", work)

    def read_end(self, group: Any, on_result: Callable[[Any], None] | None = None) -> TaskHandle:
        """Read the last page of a paged group (End): one reverse seek."""

        async def work(_handle: TaskHandle) -> int:
            return await read_end(self.tree, group)

        return self._load(group, f"Reading the end of {group.label}", work, on_result)

    def _load(
        self,
        node: Any,
        label: str,
        work: Callable[[TaskHandle], Awaitable[int]],
        on_result: Callable[[Any], None] | None = None,
    ) -> TaskHandle:
        """Start a listing or page read of ``node``'s connection; a refresh cancels it."""
        conn = self.for_node(node)
        handle = self.runner.start(label, work, on_result=on_result)
        if conn is not None:
            conn.loads.add(handle)
            if handle.task is not None:
                handle.task.add_done_callback(lambda _t: conn.loads.discard(handle))
        return handle

    def count(self, node: Any) -> TaskHandle:
        """Ask the store for the count under ``node`` in the background (hidden task)."""

        async def work(_handle: TaskHandle) -> Any:
            try:
                return await count_node(self.tree, node)
            except Exception as exc:  # a count is a hint: the tree shows what is listed
                log.info("counting %s: %s", node.label, exc)
                return None

        return self.runner.start(f"Counting {node.label}", work, shown=False)

    def refresh(self, conn: Connection) -> None:
        """Forget what was listed and list again."""
        if conn.listing is not None:
            conn.listing.cancel()
        for load in list(conn.loads):
            load.cancel()
        self.tree.clear_children(conn.node)
        release_listed_objects()
        if conn.node.prefix is not None:
            conn.node.load_state = conn.node.load_state.UNLOADED
            self.expand(conn.node)
        else:
            self.start_listing(conn)

    async def unlock_writes(self, conn: Connection) -> None:
        """Reopen ``conn``'s store writable for this session."""
        store = await self.opener(conn.profile, conn.secret, False)
        old, conn.store = conn.store, store
        spent = Abilities.of(old).budget
        if spent is not None:
            conn.earlier_request_units += spent.total_request_charge
        conn.node.store = store
        conn.writes_unlocked = True
        self.changed.emit()
        await _close(old)

    async def close(self, conn: Connection) -> None:
        """Stop ``conn``'s listings, then close its store and its listing thread's
        store (also when closing the first one fails)."""
        if conn.listing is not None:
            conn.listing.cancel()
        for load in list(conn.loads):
            load.cancel()
        self.connections.remove(conn)
        self.tree.remove_connection(conn.node)
        release_listed_objects()
        self.changed.emit()
        try:
            await _close(conn.store)
        finally:
            if conn.lister_ready is not None:
                await asyncio.gather(conn.lister_ready, return_exceptions=True)
            if conn.lister is not None:
                await conn.lister.close()

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await self.close(conn)


def settle_listed_objects() -> None:
    """Move what was listed so far out of the garbage collector's full passes.

    A 100,000-key tree is ~500,000 tracked objects; every full (generation 2)
    pass over them stalls the event loop for 100-200 ms, several times per
    listing. Listed nodes live until their connection is refreshed or closed,
    so they are frozen (``gc.freeze``) as they arrive and released again by
    ``release_listed_objects`` when they are dropped.
    """
    gc.freeze()


def release_listed_objects() -> None:
    """Let the collector see dropped tree nodes again (they hold reference cycles)."""
    gc.unfreeze()


def _title(profile: Profile) -> str:
    return f"{profile.name}  ({profile.kind_label})"


async def _close(store: Storage) -> None:
    await store.__aexit__(None, None, None)
