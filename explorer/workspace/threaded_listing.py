"""Listing a store from a worker thread, so parsing listing pages never blocks the UI.

The Azure SDKs parse every listing page (XML for Blob, JSON for Cosmos DB)
synchronously inside their async iterators: 1,000 blob names take 100-150 ms
of the caller's event loop. ``ThreadedLister`` opens a second, read-only
instance of the store in its own thread with its own event loop and runs
``iter_entries`` / ``iter_children`` there; items come back to the caller's
loop in batches through ``call_soon_threadsafe``. The caller's loop only
moves finished Python objects.

- Same listing API as the store (``iter_entries``, ``iter_children`` when the
  store has it, ``capabilities``), so ``tree_load`` takes either.
- Stopping early (``break``, cancel) cancels the worker-side listing.
- ``close()`` closes the worker's store and ends the thread; safe twice.
- Only for stores that can be opened twice (Blob, Cosmos DB; not ``memory:``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from typing import Any, cast

from explorer.storage.base import Capability, Storage

#: items handed to the caller's loop at once
BATCH = 250
_END = object()


class ThreadedLister:
    """A store's listing, run in a worker thread. Create with ``await start(open_fn)``."""

    def __init__(self, open_fn: Callable[[], Storage], *, batch: int = BATCH) -> None:
        self._open = open_fn
        self._batch = batch
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._store: Any = None
        #: set by the thread once its store is open (True) or failed/abandoned (False)
        self._opened: Future[bool] = Future()
        self.capabilities: frozenset[Capability] = frozenset()

    @classmethod
    async def start(cls, open_fn: Callable[[], Storage], **kwargs: Any) -> ThreadedLister:
        lister = cls(open_fn, **kwargs)
        await lister._start()
        return lister

    async def _start(self) -> None:
        ready: Future[None] = Future()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                opened = loop.run_until_complete(self._enter(ready))
                self._opened.set_result(opened)
                if opened:
                    loop.run_forever()
            finally:
                if not self._opened.done():
                    self._opened.set_result(False)
                loop.close()

        self._thread = threading.Thread(target=run, name="store-listing", daemon=True)
        self._thread.start()
        try:
            await asyncio.wrap_future(ready)
        except BaseException:
            await self.close()
            raise

    async def _enter(self, ready: Future[None]) -> bool:
        try:
            store = self._open()
            await store.__aenter__()
        except BaseException as exc:  # reported to the caller, the thread ends
            if ready.set_running_or_notify_cancel():
                ready.set_exception(exc)
            return False
        if not ready.set_running_or_notify_cancel():  # the caller gave up (closed) meanwhile
            await store.__aexit__(None, None, None)
            return False
        self._store = store
        self.capabilities = frozenset(store.capabilities)
        ready.set_result(None)
        return True

    @property
    def store(self) -> Storage | None:
        """The thread's own store, once open: for its counters only (request units);
        it is used on the thread's loop, never from the caller's."""
        return cast("Storage | None", self._store)

    def iter_entries(self, prefix: str = "") -> AsyncIterator[Any]:
        return self._stream(lambda store: store.iter_entries(prefix))

    def iter_children(self, prefix: str = "") -> AsyncIterator[Any]:
        """The store's ``iter_children`` (only for a store with ``Capability.HIERARCHY``)."""
        return self._stream(lambda store: store.iter_children(prefix))

    async def _stream(self, make: Callable[[Any], AsyncIterator[Any]]) -> AsyncIterator[Any]:
        if self._loop is None or self._store is None:
            raise RuntimeError("the listing thread is not running")
        caller = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        batch_size = self._batch

        def hand(got: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the caller's loop is closed: nobody reads
                caller.call_soon_threadsafe(queue.put_nowait, got)

        async def produce() -> None:  # runs in the worker loop
            batch: list[Any] = []
            try:
                async for item in make(self._store):
                    batch.append(item)
                    if len(batch) >= batch_size:
                        hand(batch)
                        batch = []
                hand(batch)
                hand(_END)
            except BaseException as exc:
                hand(batch)
                hand(exc)
                raise

        work = asyncio.run_coroutine_threadsafe(produce(), self._loop)
        try:
            while True:
                got = await queue.get()
                if got is _END:
                    return
                if isinstance(got, BaseException):
                    if isinstance(got, asyncio.CancelledError):
                        raise asyncio.CancelledError()
                    raise got
                for item in got:
                    yield item
        finally:
            work.cancel()

    async def close(self) -> None:
        """End the listings still running, close the worker's store, stop its thread."""
        loop = self._loop
        if loop is None or self._thread is None:
            return
        # an opening still under way ends first (it closes its store if we gave up)
        with contextlib.suppress(TimeoutError):
            opened = asyncio.shield(asyncio.wrap_future(self._opened))
            await asyncio.wait_for(opened, SHUTDOWN_SECONDS)
        store, self._store = self._store, None
        # only an opened store's thread runs its loop until told to stop; a thread
        # whose store failed to open ends by itself (the store closed itself)
        if store is not None and not loop.is_closed():
            shutdown = _shutdown(store)
            try:
                closing = asyncio.run_coroutine_threadsafe(shutdown, loop)
            except RuntimeError:  # the loop closed meanwhile
                shutdown.close()
            else:
                with contextlib.suppress(Exception):  # a failed close is not worth an error
                    await asyncio.wait_for(asyncio.wrap_future(closing), SHUTDOWN_SECONDS)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        # joined also when its loop is closed: a thread that failed to open the store
        # may still be on its way out
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)


#: longest wait for the worker to end its listings and close its store
SHUTDOWN_SECONDS = 30
#: turns of the worker loop given to closing connections before it stops (a
#: transport's ``connection_lost`` runs a turn after ``close()``; TLS takes more)
CLOSING_TURNS = 5


async def _shutdown(store: Storage | None) -> None:
    """In the worker loop: cancel and await the listings still running, close the
    store, finish async generators, and let closed connections finish closing, so
    no task, socket or aiohttp connector is left to the garbage collector."""
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    try:
        if store is not None:
            await store.__aexit__(None, None, None)
    finally:
        await asyncio.get_running_loop().shutdown_asyncgens()
        for _ in range(CLOSING_TURNS):
            await asyncio.sleep(0)
