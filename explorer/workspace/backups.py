"""A local backup store: the previous stored form of every item before it is changed.

One SQLite file (WAL) in the user data directory. ``SafeWriter`` calls
``record`` before each write or delete; the row holds the item exactly as it
was stored (raw body bytes, content type, etag, name/id, dialect, backend
extras, last modified), or marks that the item did not exist (so reverting a
create deletes it). After the write it calls ``mark_applied`` with the etag the
write produced; if the write certainly did not happen (etag conflict,
read-only) the row is dropped with ``discard``; if the outcome is unknown (a
network error mid-write) the row stays with state ``unknown``.

Versions are numbered per (store, key) from 1, oldest first; a listed number
is never reused (only a discarded one, which was never listed).
The store is identified by ``canonical_store_url`` (secrets removed, SQLite
paths made absolute), so ``sqlite:a.db`` and ``sqlite:./a.db`` share history.

Operations: a change made as part of one operation (``forget``, ``bulk``, the
revert of an operation) carries its operation id; ``operation`` lists the
backups of one operation, so the whole operation can be reverted as one step.

Invariants: rows are never changed except ``state``/``new_etag`` after the
write; several processes may use one file (``BEGIN IMMEDIATE`` numbering);
blocking I/O runs in a worker thread. Stdlib only.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from explorer.core.errors import ItemNotFoundError, StorageError
from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.workspace.redact import redact_secrets

T = TypeVar("T")
BackupState = Literal["pending", "applied", "unknown"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS backups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    time TEXT NOT NULL,
    action TEXT NOT NULL,
    existed INTEGER NOT NULL,
    body BLOB,
    content_type TEXT,
    etag TEXT,
    name TEXT,
    dialect TEXT,
    meta TEXT,
    last_modified TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    new_etag TEXT,
    operation TEXT,
    UNIQUE (store, key, version)
);
"""
#: added after the first release: files made before it get the column on open
_MIGRATIONS = (("operation", "ALTER TABLE backups ADD COLUMN operation TEXT"),)
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS backups_by_operation ON backups (operation) "
    "WHERE operation IS NOT NULL"
)
_COLUMNS = (
    "id, store, key, version, time, action, existed, body, content_type, etag, name, "
    "dialect, meta, last_modified, state, new_etag, operation"
)


class NoBackupsError(ItemNotFoundError):
    """``key`` has no backups in this store (exit status 3, like a missing key)."""

    def __init__(self, key: str, store_url: str) -> None:
        StorageError.__init__(
            self,
            f"no backups of {key!r} in {store_url}; only changes made with this tool are backed up",
            key=key,
        )


def canonical_store_url(url: str) -> str:
    """How a store is named in backups and the audit log: no secrets, absolute SQLite paths."""
    if url.lower().startswith("sqlite:"):
        path = url[len("sqlite:") :]
        if path and path != ":memory:":
            return "sqlite:" + os.path.abspath(os.path.expanduser(path))
    return redact_secrets(url)


def store_identity(store: Storage) -> str:
    """The name of an open store in backups and the audit log.

    ``canonical_store_url(store.url)``, plus ``@host`` when the store tells its
    account (``Storage.location``: Cosmos DB's endpoint), so the
    containers of a test and a production account that share a name never
    share history. In-memory stores each get their own name (process id and
    object id): all are called ``memory:``, and their etags restart in every
    process, so one must never see another's backups.
    """
    url = store.url
    if url == "memory:":
        return f"memory:#{os.getpid()}-{id(store):x}"
    name = canonical_store_url(url)
    where = store.location
    host = urlsplit(where).hostname if where and "://" in where else None
    if host:
        port = urlsplit(str(where)).port
        return f"{name}@{host}:{port}" if port else f"{name}@{host}"
    return name


def same_store(identity: str, wanted: str) -> bool:
    """Does a recorded ``identity`` belong to ``wanted`` (an identity or a bare store URL)?"""
    return identity == wanted or identity.startswith(wanted + "@")


@dataclass(frozen=True, slots=True)
class Backup:
    """One saved previous form of an item. ``existed=False``: the item was absent."""

    id: int
    store: str
    key: str
    version: int
    time: str
    action: str
    existed: bool
    body: bytes | None
    content_type: str | None
    etag: str | None
    name: str | None
    dialect: str | None
    meta: Mapping[str, Any]
    last_modified: str | None
    state: BackupState
    new_etag: str | None
    #: the operation this change was part of (``None``: a single change)
    operation: str | None = None

    @property
    def size(self) -> int | None:
        return None if self.body is None else len(self.body)

    def to_raw_item(self) -> RawItem:
        """The backed-up item, ready for ``write_raw`` (etag and time left to the store)."""
        if not self.existed or self.body is None:
            raise StorageError(
                f"version {self.version} of {self.key!r} records that the item did not exist; "
                "restoring it means deleting the item",
                key=self.key,
            )
        return RawItem(
            key=self.key,
            body=self.body,
            content_type=self.content_type or "application/json",
            name=self.name or "",
            dialect=self.dialect or "plain",
            meta=dict(self.meta),
        )


def _new_backup(
    store: str,
    key: str,
    version: int,
    now: str,
    action: str,
    item: RawItem | None,
    operation: str | None = None,
) -> Backup:
    return Backup(
        id=0,
        store=store,
        key=key,
        version=version,
        time=now,
        action=action,
        existed=item is not None,
        body=None if item is None else item.body,
        content_type=None if item is None else item.content_type,
        etag=None if item is None else item.etag,
        name=None if item is None else item.name,
        dialect=None if item is None else item.dialect,
        meta={} if item is None else dict(item.meta),
        last_modified=item.last_modified.isoformat() if item and item.last_modified else None,
        state="pending",
        new_etag=None,
        operation=operation,
    )


def _insert_row(b: Backup) -> tuple[Any, ...]:
    meta = json.dumps(dict(b.meta), default=str) if b.existed else None
    return (b.store, b.key, b.version, b.time, b.action, b.existed, b.body, b.content_type,
            b.etag, b.name, b.dialect, meta, b.last_modified, b.operation)  # fmt: skip


def _row_to_backup(row: tuple[Any, ...]) -> Backup:
    (id_, store, key, version, time, action, existed, body, ctype, etag, name, dialect, meta,
     modified, state, new_etag, operation) = row  # fmt: skip
    return Backup(
        id=id_,
        store=store,
        key=key,
        version=version,
        time=time,
        action=action,
        existed=bool(existed),
        body=None if body is None else bytes(body),
        content_type=ctype,
        etag=etag,
        name=name,
        dialect=dialect,
        meta=json.loads(meta) if meta else {},
        last_modified=modified,
        state=state,
        new_etag=new_etag,
        operation=operation,
    )


class BackupStore:
    """The backup file at ``path`` (created with its directory on first use)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            try:
                _prepare(conn)
            except BaseException:  # a locked or damaged file: no connection left open
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                return fn(self._connect())
            except (sqlite3.Error, OSError) as exc:
                raise StorageError(
                    f"the backup store {self.path} cannot be used ({exc}); "
                    "nothing was written to the bot store. Check the file and free disk space"
                ) from exc

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- writing ---------------------------------------------------------------

    def record_many_sync(
        self,
        store_url: str,
        changes: Sequence[tuple[str, str, RawItem | None]],
        operation: str | None = None,
    ) -> list[Backup]:
        """Save several ``(key, action, current item or None)`` in one transaction."""
        store = canonical_store_url(store_url)
        now = datetime.now(UTC).isoformat(timespec="microseconds")

        def insert(conn: sqlite3.Connection) -> list[Backup]:
            made: list[Backup] = []
            versions: dict[str, int] = {}
            conn.execute("BEGIN IMMEDIATE")
            try:
                for key, action, item in changes:
                    if key not in versions:
                        (versions[key],) = conn.execute(
                            "SELECT COALESCE(MAX(version), 0) FROM backups WHERE store=? AND key=?",
                            (store, key),
                        ).fetchone()
                    versions[key] += 1
                    backup = _new_backup(store, key, versions[key], now, action, item, operation)
                    cur = conn.execute(
                        "INSERT INTO backups (store, key, version, time, action, existed, body, "
                        "content_type, etag, name, dialect, meta, last_modified, operation) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        _insert_row(backup),
                    )
                    made.append(replace(backup, id=int(cur.lastrowid or 0)))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return made

        return self._run(insert)

    def record_sync(
        self,
        store_url: str,
        key: str,
        action: str,
        item: RawItem | None,
        operation: str | None = None,
    ) -> Backup:
        return self.record_many_sync(store_url, [(key, action, item)], operation)[0]

    def set_states_sync(self, updates: Sequence[tuple[Backup, BackupState, str | None]]) -> None:
        """Set state and new etag of several backups in one transaction."""

        def update(conn: sqlite3.Connection) -> None:
            with conn:
                conn.executemany(
                    "UPDATE backups SET state=?, new_etag=? WHERE id=?",
                    [(state, etag, backup.id) for backup, state, etag in updates],
                )

        self._run(update)

    def set_state_sync(self, backup: Backup, state: BackupState, new_etag: str | None) -> None:
        self.set_states_sync([(backup, state, new_etag)])

    def discard_many_sync(self, backups: Sequence[Backup]) -> None:
        """Drop backups whose writes certainly did not happen."""

        def delete(conn: sqlite3.Connection) -> None:
            with conn:
                conn.executemany("DELETE FROM backups WHERE id=?", [(b.id,) for b in backups])

        self._run(delete)

    def discard_sync(self, backup: Backup) -> None:
        self.discard_many_sync([backup])

    async def record_many(
        self,
        store_url: str,
        changes: Sequence[tuple[str, str, RawItem | None]],
        operation: str | None = None,
    ) -> list[Backup]:
        return await asyncio.to_thread(self.record_many_sync, store_url, changes, operation)

    async def set_states(self, updates: Sequence[tuple[Backup, BackupState, str | None]]) -> None:
        await asyncio.to_thread(self.set_states_sync, updates)

    async def discard_many(self, backups: Sequence[Backup]) -> None:
        await asyncio.to_thread(self.discard_many_sync, backups)

    async def record(
        self,
        store_url: str,
        key: str,
        action: str,
        item: RawItem | None,
        operation: str | None = None,
    ) -> Backup:
        """Save ``item`` (the current stored form; ``None`` if absent) before ``action``."""
        return await asyncio.to_thread(self.record_sync, store_url, key, action, item, operation)

    async def mark_applied(self, backup: Backup, new_etag: str | None) -> None:
        await asyncio.to_thread(self.set_state_sync, backup, "applied", new_etag)

    async def mark_unknown(self, backup: Backup) -> None:
        await asyncio.to_thread(self.set_state_sync, backup, "unknown", None)

    async def discard(self, backup: Backup) -> None:
        await asyncio.to_thread(self.discard_sync, backup)

    # -- reading ---------------------------------------------------------------

    def _select(self, where: str, params: tuple[str, ...], order: str) -> list[Backup]:
        """Backups matching ``where`` (``?`` placeholders for ``params``), in ``order``."""
        sql = f"SELECT {_COLUMNS} FROM backups WHERE {where} ORDER BY {order}"
        rows = self._run(lambda c: c.execute(sql, params).fetchall())
        return [_row_to_backup(r) for r in rows]

    def history_sync(self, store_url: str, key: str) -> list[Backup]:
        store = canonical_store_url(store_url)
        return self._select("store=? AND key=?", (store, key), "version")

    async def history(self, store_url: str, key: str) -> list[Backup]:
        """Backups of ``key`` in ``store_url``, oldest first (version 1 first).

        A ``pending`` row is a write in flight (or one interrupted by a crash:
        its outcome is unknown); it is listed so nothing is hidden."""
        return await asyncio.to_thread(self.history_sync, store_url, key)

    def operation_sync(self, store_url: str, operation: str) -> list[Backup]:
        store = canonical_store_url(store_url)
        return self._select("operation=? AND store=?", (operation, store), "id")

    async def operation(self, store_url: str, operation: str) -> list[Backup]:
        """The backups of one operation in ``store_url``, in the order they were made."""
        return await asyncio.to_thread(self.operation_sync, store_url, operation)

    async def get(self, store_url: str, key: str, version: int | None = None) -> Backup:
        """Version ``version`` of ``key`` (the newest if ``None``)."""
        backups = await self.history(store_url, key)
        if not backups:
            raise NoBackupsError(key, canonical_store_url(store_url))
        if version is None:
            return backups[-1]
        for backup in backups:
            if backup.version == version:
                return backup
        raise StorageError(
            f"{key!r} has no backup version {version}; versions are "
            f"{backups[0].version}..{backups[-1].version} (see `history`)",
            key=key,
        )


def _prepare(conn: sqlite3.Connection) -> None:
    """WAL mode, the schema, and the columns later versions added."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(backups)")}
    for column, statement in _MIGRATIONS:
        if column not in columns:
            conn.execute(statement)
    conn.execute(_INDEXES)
