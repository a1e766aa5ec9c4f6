"""The embedded store: one SQLite file, WAL, etag check and write in one transaction.

Invariants:
- One table ``items``: ``key`` (TEXT primary key, compared byte-wise, which for
  UTF-8 is code point order), ``body`` (BLOB: the stored bytes exactly),
  ``content_type``, ``etag``, ``last_modified`` (ISO 8601, UTC), ``name``,
  ``dialect``, ``meta`` (a JSON object). ``PRAGMA user_version`` is the schema.
- Every change runs in ``BEGIN IMMEDIATE`` ... ``COMMIT``: the etag check and the
  write are one transaction, so processes sharing the file never lose an update.
  ``busy_timeout`` (``timeout`` option, 30 s) makes them wait for each other.
- Every SQLite call runs on the store's own worker thread (a single-thread
  executor owning the connection), never on the event loop. Measured here: a
  round trip costs the same as ``asyncio.to_thread`` (13-16k/s either way); the
  dedicated thread keeps the connection on one thread and the calls in order.
- The store opens on first use (``async with`` is optional), so a botbuilder
  bot can pass ``SqliteStorage(path)`` as its storage.
- A missing file is created; a missing directory is an error, never created.
  A read-only store opens the file with ``mode=ro``: it never creates or
  changes the database (SQLite may add its ``-wal``/``-shm`` companions beside
  it, as every reader of a WAL database does).
- Etags: a random per-store prefix plus a counter: unique across processes.
- Durability: WAL with ``synchronous=NORMAL``: an app crash loses nothing, a
  power cut may lose the last commits but never corrupts the file; pass
  ``synchronous="full"`` to sync every commit.
- Keys must be valid Unicode: a key holding a lone surrogate cannot be stored
  (``InvalidKeyError``) and so is never found.
- Pages, positions and counts (``explorer.storage.paging``) are primary key
  ranges (``sqlite_paging``). Counts and row positions, which walk up to a
  whole group (~0.1 s per million keys when cached), run on a second,
  read-only connection with its own thread, so pages and writes never queue
  behind them; cancelling one stops its query at once.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from explorer.core.errors import (
    BackendUnavailableError,
    ETagConflictError,
    StorageError,
)
from explorer.core.items import Entry, JsonObject, RawItem
from explorer.storage.base import (
    Capability,
    StorageBase,
    as_document,
    etag_conflict,
    requested_etag,
)
from explorer.storage.bot_objects import object_options
from explorer.storage.paging import Count, Page
from explorer.storage.sqlite_paging import count_range, key_page, position_page
from explorer.storage.sqlite_scan import SqliteScan
from explorer.storage.sqlite_sql import (
    CREATE_TABLE,
    DELETE_IF_MATCH,
    HAS_TABLE,
    INSERT_NEW,
    SCHEMA_VERSION,
    UPDATE_IF_MATCH,
    UPSERT,
    check_key,
    chunks,
    delete_keys,
    item_row,
    raw_item,
    select,
    select_bodies,
    select_items,
    transaction,
    valid_key,
)
from explorer.storage.url import StoreUrl

T = TypeVar("T")

#: keys listed per page; the listing holds no cursor open between pages
PAGE_SIZE = 1000


class SqliteStorage(SqliteScan, StorageBase):
    """A store in one SQLite file. ``SqliteStorage(path)`` creates the file if missing.

    Options: ``timeout`` (seconds to wait for another process's write, 30),
    ``synchronous`` (``"normal"`` or ``"full"``), ``page_size`` (keys per listing
    page, 1000); ``objects`` / ``state_classes``: object mode for a
    botbuilder-python bot (see ``StorageBase``).
    """

    capabilities = frozenset(
        {
            Capability.MULTI_PROCESS,
            Capability.PERSISTENT,
            Capability.LISTING_PAGES,
            Capability.KEY_PAGES,
            Capability.POSITIONS,
            Capability.COUNT,
            Capability.BULK_WRITE,
            Capability.SCAN_ROWS,
        }
    )

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        timeout: float = 30.0,
        synchronous: str = "normal",
        page_size: int = PAGE_SIZE,
        objects: bool = False,
        state_classes: Iterable[type] = (),
    ) -> None:
        super().__init__(read_only=read_only, objects=objects, state_classes=state_classes)
        if synchronous.lower() not in ("normal", "full"):
            raise ValueError(f"synchronous must be 'normal' or 'full', not {synchronous!r}")
        self.path = Path(path).expanduser()
        self.url = f"sqlite:{self.path}"
        self.timeout = timeout
        self.page_size = max(1, page_size)
        self._synchronous = synchronous.upper()
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        #: the read-only connection and thread of counts and positions
        self._reader: sqlite3.Connection | None = None
        self._reader_executor: ThreadPoolExecutor | None = None
        self._reader_jobs: set[threading.Event] = set()
        #: the job running on the reader thread (guarded by ``_reader_lock``)
        self._reader_running: threading.Event | None = None
        self._reader_lock = threading.Lock()
        self._etag_prefix = secrets.token_hex(6)
        self._etag_counter = itertools.count(1)

    def __repr__(self) -> str:
        return f"SqliteStorage({str(self.path)!r}, read_only={self.read_only})"

    # -- lifecycle and the worker thread -------------------------------------

    async def open(self) -> None:
        await self._run(lambda conn: None)

    async def close(self) -> None:
        for job in list(self._reader_jobs):
            self._stop_reader_job(job)  # a count still running stops at once
        reader, self._reader_executor = self._reader_executor, None
        executor, self._executor = self._executor, None
        loop = asyncio.get_running_loop()
        if reader is not None:
            try:
                await loop.run_in_executor(reader, self._close_reader)
            finally:
                reader.shutdown(wait=False)
        if executor is None:
            return
        try:
            await loop.run_in_executor(executor, self._close_connection)
        finally:
            executor.shutdown(wait=False)

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _close_reader(self) -> None:
        conn, self._reader = self._reader, None
        if conn is not None:
            conn.close()

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"sqlite {self.path.name}")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Runs on the worker thread: connect on first use, translate SQLite errors."""
        try:
            if self._conn is None:
                self._conn = self._connect()
            return fn(self._conn)
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the reader thread's connection; cancelling stops its query."""
        if self._conn is None:
            await self.open()  # the main connection creates the file and schema first
        if self._reader_executor is None:
            self._reader_executor = ThreadPoolExecutor(
                1, thread_name_prefix=f"sqlite reader {self.path.name}"
            )
        cancelled = threading.Event()
        self._reader_jobs.add(cancelled)

        stopped = StorageError(f"reading {self.path} stopped: cancelled, or the store was closed")

        def job() -> T:
            try:
                if self._reader is None:
                    self._reader = self._connect(reader=True)
                with self._reader_lock:
                    if cancelled.is_set():
                        raise stopped
                    self._reader_running = cancelled
                try:
                    return fn(self._reader)
                finally:
                    with self._reader_lock:
                        self._reader_running = None
            except sqlite3.Error as exc:
                if cancelled.is_set():
                    raise stopped from None
                raise self._translate(exc) from exc

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._reader_executor, job)
        except asyncio.CancelledError:
            self._stop_reader_job(cancelled)
            raise
        finally:
            self._reader_jobs.discard(cancelled)

    def _stop_reader_job(self, job: threading.Event) -> None:
        """Stop ``job``: before it starts, or, while it runs, by interrupting its query.

        The interrupt is sent only while that very job runs (under the lock), so it
        can never stop the next one; a bare ``Connection.interrupt`` could.
        """
        with self._reader_lock:
            job.set()
            if self._reader_running is job and self._reader is not None:
                self._reader.interrupt()

    def _connect(self, *, reader: bool = False) -> sqlite3.Connection:
        if reader:
            # never creates or changes the file; sees every committed write (WAL)
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)
            try:
                conn.execute("PRAGMA query_only = ON")
            except BaseException:
                conn.close()
                raise
            return conn
        if self.read_only:
            if not self.path.is_file():
                raise BackendUnavailableError(
                    f"no SQLite store at {self.path}; check the path "
                    "(a store opened read-only is never created)"
                )
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)
        else:
            if not self.path.parent.is_dir():
                raise BackendUnavailableError(
                    f"cannot create the SQLite store {self.path}: the folder "
                    f"{self.path.parent} does not exist; create it first or choose another path"
                )
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        if self.read_only:
            conn.execute("PRAGMA query_only = ON")
            if not conn.execute(HAS_TABLE).fetchone():
                raise BackendUnavailableError(
                    f"{self.path} is not a bot state store (it has no items table); "
                    "check the path, or open it writable once to set it up"
                )
            return
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise BackendUnavailableError(
                f"{self.path} was written by a newer version of this tool "
                f"(schema {version}); update botstate-explorer to open it"
            )
        if version < SCHEMA_VERSION:
            with transaction(conn):
                conn.execute(CREATE_TABLE)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _translate(self, exc: sqlite3.Error) -> StorageError:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        where = str(self.path)
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return BackendUnavailableError(
                f"{where} stayed locked by another program for {self.timeout:g} s; "
                "try again, or close the program that keeps writing to it"
            )
        if code == sqlite3.SQLITE_READONLY:
            return BackendUnavailableError(
                f"{where} cannot be written (the file or its folder is read-only); "
                "open the store read-only or fix the permissions"
            )
        if code == sqlite3.SQLITE_CANTOPEN:
            return BackendUnavailableError(f"cannot open {where}; check the path and permissions")
        if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return BackendUnavailableError(
                f"{where} is not a SQLite database or is damaged; check the path"
            )
        return StorageError(f"SQLite failed on {where}: {exc}")

    def _stamp(self) -> tuple[str, str]:
        """A new etag and the time of a write."""
        etag = f"{self._etag_prefix}-{next(self._etag_counter):x}"
        return etag, datetime.now(UTC).isoformat(timespec="microseconds")

    # -- listing -------------------------------------------------------------

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        cursor: str | None = None
        while True:
            page = await self.next_page(prefix, cursor=cursor, limit=self.page_size)
            for entry in page.entries:
                yield entry
            cursor = page.cursor
            if cursor is None:
                return

    async def iter_keys(self, prefix: str = "") -> AsyncIterator[str]:
        cursor: str | None = None
        while True:
            page = await self.next_page(prefix, cursor=cursor, limit=self.page_size, keys_only=True)
            for key in page.keys:
                yield key
            cursor = page.cursor
            if cursor is None:
                return

    async def next_page(
        self,
        prefix: str = "",
        *,
        cursor: str | None = None,
        limit: int = PAGE_SIZE,
        keys_only: bool = False,
    ) -> Page:
        """``paging.ListingPages``: key order; the cursor is the page's last key."""
        if not valid_key(prefix):
            return Page()
        return await self._run(
            partial(
                key_page,
                prefix=prefix,
                after=cursor,
                limit=max(1, limit),
                keys_only=keys_only,
                cursor=True,
            )
        )

    async def list_page(
        self,
        prefix: str = "",
        *,
        after: str | None = None,
        limit: int = PAGE_SIZE,
        reverse: bool = False,
        inclusive: bool = False,
        keys_only: bool = False,
        until: str | None = None,
    ) -> Page:
        """``paging.KeyPages``: one primary key range query, whatever the position."""
        if not valid_key(prefix):
            return Page()
        if after is not None:
            check_key(after)
        if until is not None:
            check_key(until)
        return await self._run(
            partial(
                key_page,
                prefix=prefix,
                after=after,
                limit=max(1, limit),
                reverse=reverse,
                inclusive=inclusive,
                keys_only=keys_only,
                until=until,
            )
        )

    async def page_at(
        self, prefix: str, offset: int, *, limit: int = PAGE_SIZE, total: int | None = None
    ) -> Page:
        """``paging.Positions``: ``LIMIT ... OFFSET`` from the nearer end of the range."""
        if not valid_key(prefix):
            return Page()
        return await self._read(
            partial(position_page, prefix=prefix, offset=offset, limit=max(1, limit), total=total)
        )

    async def index_of(self, prefix: str, key: str) -> int:
        """``paging.Positions``: a count of the keys of ``prefix`` below ``key``."""
        if not valid_key(prefix):
            return 0
        check_key(key)
        return await self._read(partial(count_range, prefix=prefix, below=key))

    async def count(self, prefix: str = "") -> Count:
        """``paging.Counting``: exact, one count over the key range (reader thread)."""
        if not valid_key(prefix):
            return Count(0)
        return Count(await self._read(partial(count_range, prefix=prefix)))

    # -- raw access ----------------------------------------------------------

    async def read_raw(self, keys: Sequence[str]) -> dict[str, RawItem]:
        wanted = [k for k in dict.fromkeys(keys) if valid_key(k)]
        if not wanted:
            return {}
        rows = await self._run(lambda conn: select(conn, select_items, wanted))
        return {row[0]: raw_item(row) for row in rows}

    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem:
        self.check_writable("write", item.key)
        check_key(item.key)
        etag, modified = self._stamp()
        row = item_row(item, etag, modified)
        conditional = if_match not in (None, "*")

        def put(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                if create and conditional:
                    return False  # a missing item never matches an etag
                if create:
                    return conn.execute(INSERT_NEW, row).rowcount == 1
                if conditional:
                    return conn.execute(UPDATE_IF_MATCH, (*row, if_match)).rowcount == 1
                conn.execute(UPSERT, row)
                return True

        if not await self._run(put):
            if create:
                raise ETagConflictError(item.key, f"{item.key!r} already exists; reload it first")
            raise ETagConflictError(item.key)
        return replace(item, etag=etag, last_modified=datetime.fromisoformat(modified))

    async def write_raw_many(self, items: Iterable[RawItem]) -> int:
        """Store many items as they are, unconditionally, in one transaction.

        The bulk path for imports and demo stores: ``items`` (any iterable, even
        a generator) is consumed on the worker thread and streamed into SQLite,
        so the event loop stays free. All items share one ``last_modified``.
        Returns how many were written; on any error nothing is written.
        """
        self.check_writable("write")
        _, modified = self._stamp()
        prefix, counter = self._etag_prefix, self._etag_counter
        written = 0

        def rows() -> Iterator[tuple[Any, ...]]:
            nonlocal written
            for item in items:
                check_key(item.key)
                written += 1
                yield item_row(item, f"{prefix}-{next(counter):x}", modified)

        def put_all(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.executemany(UPSERT, rows())

        await self._run(put_all)
        return written

    async def delete_raw(self, key: str, *, if_match: str | None = None) -> None:
        self.check_writable("delete", key)
        if if_match in (None, "*"):
            await self.delete([key])
            return

        def remove(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                return conn.execute(DELETE_IF_MATCH, (key, if_match)).rowcount

        if not valid_key(key) or await self._run(remove) != 1:
            raise ETagConflictError(key)

    # -- the document trio, one round trip each -----------------------------

    async def read_documents(self, keys: Sequence[str]) -> dict[str, JsonObject]:
        wanted = [k for k in dict.fromkeys(keys) if valid_key(k)]
        if not wanted:
            return {}
        rows = await self._run(lambda conn: select(conn, select_bodies, wanted))
        result: dict[str, JsonObject] = {}
        for key, body, etag in rows:
            document = self.decode(RawItem(key=key, body=body))
            document["e_tag"] = etag
            result[key] = document
        return result

    async def write_documents(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Write every change in one transaction; a conflicting key is skipped, the rest written."""
        if not changes:
            return
        for key in changes:
            self.check_writable("write", key)
            check_key(key)
        batch = []
        for key, value in changes.items():
            document = as_document(value)
            etag, modified = self._stamp()
            batch.append(
                (requested_etag(document), item_row(self.encode(key, document), etag, modified))
            )

        def put_all(conn: sqlite3.Connection) -> list[str]:
            conflicts = []
            with transaction(conn):
                for if_match, row in batch:
                    if if_match is None:
                        conn.execute(UPSERT, row)
                    elif conn.execute(UPDATE_IF_MATCH, (*row, if_match)).rowcount != 1:
                        conflicts.append(row[0])
            return conflicts

        conflicts = await self._run(put_all)
        if conflicts:
            raise etag_conflict(conflicts)

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.check_writable("delete", key)
        wanted = [k for k in dict.fromkeys(keys) if valid_key(k)]
        if not wanted:
            return

        def remove(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                for chunk in chunks(wanted):
                    conn.execute(delete_keys(len(chunk)), chunk)

        await self._run(remove)


def from_url(url: str, *, read_only: bool = False, **options: Any) -> SqliteStorage:
    """``sqlite:PATH`` (also ``sqlite:///abs/path``, ``sqlite:~/state.db``).

    Options ``timeout``, ``synchronous``, ``page_size``, ``objects`` and
    ``state_classes`` are passed on; others (meant for other backends) are ignored.
    """
    path = StoreUrl.parse(url).sqlite_path
    known = {k: v for k, v in options.items() if k in ("timeout", "synchronous", "page_size")}
    return SqliteStorage(path, read_only=read_only, **known, **object_options(options))
