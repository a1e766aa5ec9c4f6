"""Every write and delete the explorer makes: backed up first, etag-checked, audited.

``SafeWriter.write_raw`` / ``delete_raw`` / ``revert`` are the only way the CLI
and the GUI change a store. Each call:

1. refuses a read-only store (``ReadOnlyError``) before any I/O;
2. reads the item's current stored form and checks the caller's condition
   (``if_match``: the item must exist with that etag; ``create``: it must be
   absent) -> ``ETagConflictError`` without writing;
3. records that form in the ``BackupStore`` (or that the item was absent);
4. writes with the etag of exactly the form it backed up (or as a create),
   so the backup is always what the write replaced. An *unconditional* write
   that loses a race is retried (re-read, re-backup) a few times; a
   conditional one fails with ``ETagConflictError``;
5. appends an ``AuditEntry`` (also for refused and failed attempts); the log
   is checked to be writable before step 2, and the backup store fails before
   the write, so a change is never made that could not be backed up or audited.

A write whose outcome is unknown (connection lost mid-request) keeps its backup
with state ``unknown`` and is audited with the error's class name.

A write whose reply was lost can come back as ``ETagConflictError``: the SDK
retries the request, and the retry fails its own If-Match because the first
attempt landed. So a conflict is checked by reading the item again: if it now
holds exactly what was sent (same body, or the same document for backends
that add server members), the write is ours and is recorded as applied (audit
detail says so); a delete is ours when the item is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypedDict, Unpack

from explorer.core.errors import ETagConflictError, ReadOnlyError, StorageError
from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.workspace.audit import AuditEntry, AuditLog
from explorer.workspace.backups import Backup, BackupState, BackupStore, store_identity

#: how often an unconditional write is retried after losing a race
RETRIES = 3
#: the actions under which ``delete_raw`` records a delete (a revert tells a delete by them)
DELETE_ACTIONS = frozenset({"delete", "revert-delete", "forget", "bulk-delete"})
#: audit detail of a change whose reply was lost and that was found applied
_LANDED = "the reply was lost and the retry conflicted; the stored item shows this change applied"


class _Fields(TypedDict, total=False):
    """What an audit entry records besides store, key and action."""

    outcome: str  # "ok" unless given
    old: RawItem | None
    new: RawItem | None
    new_body: bytes | None  # what was sent when no stored form came back
    detail: str | None
    operation: str | None


class SafeWriter:
    """Backs up, writes and audits. One per session; ``profile`` names it in the audit log."""

    def __init__(
        self, backups: BackupStore, audit: AuditLog, *, profile: str | None = None
    ) -> None:
        self.backups = backups
        self.audit = audit
        self.profile = profile

    async def _audit(
        self, store: Storage, key: str, action: str, **fields: Unpack[_Fields]
    ) -> None:
        await self.audit.append(self._entry(store, key, action, **fields))

    def _entry(
        self, store: Storage, key: str, action: str, **fields: Unpack[_Fields]
    ) -> AuditEntry:
        old, new = fields.get("old"), fields.get("new")
        return self.audit.make_entry(
            store=store_identity(store),
            key=key,
            action=action,
            profile=self.profile,
            outcome=fields.get("outcome", "ok"),
            old=None if old is None else old.body,
            new=new.body if new is not None else fields.get("new_body"),
            old_etag=None if old is None else old.etag,
            new_etag=None if new is None else new.etag,
            detail=fields.get("detail"),
            operation=fields.get("operation"),
        )

    async def _current(self, store: Storage, key: str) -> RawItem | None:
        return (await store.read_raw([key])).get(key)

    async def _landed(self, store: Storage, sent: RawItem) -> RawItem | None:
        """After a conflict: the stored item if it is exactly what was sent (a lost reply)."""
        try:
            now = await self._current(store, sent.key)
        except StorageError:
            return None
        if now is None:
            return None
        if now.body == sent.body:
            return now
        try:
            return now if store.decode(now) == store.decode(sent) else None
        except StorageError:
            return None

    async def write_raw(
        self,
        store: Storage,
        item: RawItem,
        *,
        if_match: str | None = None,
        create: bool = False,
        action: str | None = None,
        operation: str | None = None,
    ) -> RawItem:
        """Write ``item`` as stored form; return it with its new etag.

        ``if_match`` (not ``None``/``"*"``): the stored etag must equal it.
        ``create``: the key must be absent. ``action`` names the change in the
        audit log (default ``create``/``write``); ``operation`` is the id of the
        operation it is part of (in its backup and audit entry).
        """
        key = item.key
        op = operation
        if store.read_only:
            await self._audit(store, key, action or "write", outcome="ReadOnlyError",
                              new_body=item.body, operation=op)  # fmt: skip
            raise ReadOnlyError("write", key, store.read_only_reason)
        await self.audit.check_writable()
        for attempt in range(RETRIES + 1):
            current = await self._current(store, key)
            verb = action or ("create" if current is None else "write")
            refusal = _check(key, current, if_match=if_match, create=create)
            if refusal is not None:
                await self._audit(store, key, verb, outcome=type(refusal).__name__,
                                  old=current, new_body=item.body, detail=str(refusal),
                                  operation=op)  # fmt: skip
                raise refusal
            backup = await self.backups.record(store_identity(store), key, verb, current, op)
            try:
                written = await store.write_raw(
                    replace(item, etag=None),
                    if_match=None if current is None else (current.etag or None),
                    create=current is None,
                )
            except ETagConflictError as exc:
                landed = await self._landed(store, item)
                if landed is not None:  # our own write, whose reply was lost
                    await self.backups.mark_applied(backup, landed.etag)
                    await self._audit(store, key, verb, old=current, new=landed, detail=_LANDED,
                                      operation=op)  # fmt: skip
                    return landed
                await self.backups.discard(backup)
                explicit = create or if_match not in (None, "*")
                if explicit or attempt == RETRIES:
                    await self._audit(store, key, verb, outcome="ETagConflictError",
                                      old=current, new_body=item.body, detail=str(exc),
                                      operation=op)  # fmt: skip
                    raise
                continue  # someone wrote in between; back up their version and retry
            except ReadOnlyError:
                await self.backups.discard(backup)
                raise
            except BaseException as exc:
                await self._fail(store, key, verb, backup, current, exc, new_body=item.body,
                                 operation=op)  # fmt: skip
                raise
            await self.backups.mark_applied(backup, written.etag)
            await self._audit(store, key, verb, old=current, new=written, operation=op)
            return written
        raise AssertionError("unreachable")  # pragma: no cover

    async def write_many(
        self,
        store: Storage,
        items: Sequence[RawItem],
        *,
        create: bool = False,
        action: str = "import",
    ) -> list[RawItem | StorageError]:
        """Write many items, each unconditionally (``create``: only if absent).

        The same guarantees as ``write_raw`` item by item, with the reads,
        backups and audit lines batched (about 5x faster for imports). Returns,
        per item in order, the written item or the error that stopped it
        (``ETagConflictError`` for an existing key under ``create``). A crash
        mid-batch leaves backups in state ``pending`` and the audit lines of
        that batch unwritten; keep batches small (the CLI uses 200).
        """
        if not items:
            return []
        if store.read_only:
            raise ReadOnlyError("write", items[0].key, store.read_only_reason)
        if len({i.key for i in items}) != len(items):
            return [await self._one(store, i, create=create, action=action) for i in items]
        await self.audit.check_writable()
        current = await store.read_raw([i.key for i in items])
        outcome: dict[str, RawItem | StorageError] = {}
        entries: list[AuditEntry] = []
        todo: list[RawItem] = []
        for item in items:
            cur = current.get(item.key)
            if create and cur is not None:
                refusal = ETagConflictError(item.key, f"{item.key!r} already exists; left as it is")
                entry = self._entry(store, item.key, action, outcome="ETagConflictError", old=cur,
                                    new_body=item.body, detail=str(refusal))  # fmt: skip
                entries.append(entry)
                outcome[item.key] = refusal
            else:
                todo.append(item)
        backups = await self.backups.record_many(
            store_identity(store), [(i.key, action, current.get(i.key)) for i in todo]
        )
        states: list[tuple[Backup, BackupState, str | None]] = []
        dropped: list[Backup] = []
        retry: list[RawItem] = []
        try:
            for item, backup in zip(todo, backups, strict=True):
                cur = current.get(item.key)
                try:
                    written = await store.write_raw(
                        replace(item, etag=None),
                        if_match=None if cur is None else (cur.etag or None),
                        create=cur is None,
                    )
                except ETagConflictError:
                    landed = await self._landed(store, item)
                    if landed is not None:  # our own write, whose reply was lost
                        states.append((backup, "applied", landed.etag))
                        entries.append(self._entry(store, item.key, action, old=cur, new=landed,
                                                   detail=_LANDED))  # fmt: skip
                        outcome[item.key] = landed
                        continue
                    dropped.append(backup)  # raced with another writer: redone alone below
                    retry.append(item)
                    continue
                except StorageError as exc:
                    if isinstance(exc, ReadOnlyError):
                        dropped.append(backup)
                    else:
                        states.append((backup, "unknown", None))
                    entry = self._entry(store, item.key, action, outcome=type(exc).__name__,
                                        old=cur, new_body=item.body, detail=str(exc))  # fmt: skip
                    entries.append(entry)
                    outcome[item.key] = exc
                    continue
                states.append((backup, "applied", written.etag))
                entries.append(self._entry(store, item.key, action, old=cur, new=written))
                outcome[item.key] = written
        finally:
            await self.backups.set_states(states)
            await self.backups.discard_many(dropped)
            await self.audit.append_many(entries)
        for item in retry:
            outcome[item.key] = await self._one(store, item, create=create, action=action)
        return [outcome[i.key] for i in items]

    async def _one(
        self, store: Storage, item: RawItem, *, create: bool, action: str
    ) -> RawItem | StorageError:
        try:
            return await self.write_raw(store, item, create=create, action=action)
        except StorageError as exc:
            if isinstance(exc, ReadOnlyError):
                raise
            return exc

    async def delete_raw(
        self,
        store: Storage,
        key: str,
        *,
        if_match: str | None = None,
        action: str = "delete",
        operation: str | None = None,
    ) -> None:
        """Delete ``key``; a missing key is a no-op unless ``if_match`` names an etag.

        ``action`` must be one of ``DELETE_ACTIONS`` (a revert tells a delete by it).
        """
        op = operation
        if store.read_only:
            await self._audit(store, key, action, outcome="ReadOnlyError", operation=op)
            raise ReadOnlyError("delete", key, store.read_only_reason)
        await self.audit.check_writable()
        for attempt in range(RETRIES + 1):
            current = await self._current(store, key)
            refusal = _check(key, current, if_match=if_match, create=False)
            if refusal is not None:
                await self._audit(store, key, action, outcome=type(refusal).__name__,
                                  old=current, detail=str(refusal), operation=op)  # fmt: skip
                raise refusal
            if current is None:
                return
            backup = await self.backups.record(store_identity(store), key, action, current, op)
            try:
                await store.delete_raw(key, if_match=current.etag or None)
            except ETagConflictError as exc:
                if await self._gone(store, key):  # our own delete, whose reply was lost
                    await self.backups.mark_applied(backup, None)
                    await self._audit(store, key, action, old=current, detail=_LANDED,
                                      operation=op)  # fmt: skip
                    return
                await self.backups.discard(backup)
                if if_match not in (None, "*") or attempt == RETRIES:
                    await self._audit(store, key, action, outcome="ETagConflictError",
                                      old=current, detail=str(exc), operation=op)  # fmt: skip
                    raise
                continue
            except ReadOnlyError:
                await self.backups.discard(backup)
                raise
            except BaseException as exc:
                await self._fail(store, key, action, backup, current, exc, operation=op)
                raise
            await self.backups.mark_applied(backup, None)
            await self._audit(store, key, action, old=current, operation=op)
            return

    async def _gone(self, store: Storage, key: str) -> bool:
        try:
            return await self._current(store, key) is None
        except StorageError:
            return False

    async def _fail(
        self,
        store: Storage,
        key: str,
        action: str,
        backup: Backup,
        current: RawItem | None,
        exc: BaseException,
        *,
        new_body: bytes | None = None,
        operation: str | None = None,
    ) -> None:
        """The write may or may not have happened: keep the backup, say so in the audit."""
        await self.backups.mark_unknown(backup)
        await self._audit(store, key, action, outcome=type(exc).__name__, old=current,
                          new_body=new_body, detail=str(exc) or type(exc).__name__,
                          operation=operation)  # fmt: skip

    async def history(self, store: Storage, key: str) -> list[Backup]:
        """The backups of ``key`` in ``store``, oldest first (what ``revert`` can restore)."""
        return await self.backups.history(store_identity(store), key)

    async def revert(
        self, store: Storage, key: str, *, to: int | None = None, if_match: str | None = None
    ) -> RawItem | None:
        """Restore backup version ``to`` (default: the newest) of ``key``.

        Refuses (``ETagConflictError``) when the item changed since the last
        change made through this tool, unless ``if_match`` names its current
        etag (``"*"``: restore whatever is stored now). Restoring a version
        that records an absent item deletes the item. The revert is itself
        backed up and audited (action ``revert``, or ``revert-delete``). Returns the written item,
        or ``None`` after a delete.
        """
        history = await self.history(store, key)
        target = await self.backups.get(store_identity(store), key, to)
        current = await self._current(store, key)
        if if_match is None:
            _check_unchanged_since_last_change(key, history[-1], current)
        elif if_match != "*" and (current is None or current.etag != if_match):
            raise ETagConflictError(key)
        expected = None if current is None else current.etag
        if target.existed:
            return await self.write_raw(
                store, target.to_raw_item(), if_match=expected, create=current is None,
                action="revert",
            )  # fmt: skip
        if current is not None:
            await self.delete_raw(store, key, if_match=expected, action="revert-delete")
        return None


def _check(
    key: str, current: RawItem | None, *, if_match: str | None, create: bool
) -> StorageError | None:
    if create and current is not None:
        return ETagConflictError(key, f"{key!r} already exists; reload it before creating it")
    if if_match not in (None, "*"):
        if current is None:
            return ETagConflictError(
                key,
                f"{key!r} does not exist (never created, or it no longer exists: deleted "
                "since it was read); nothing was written",
            )
        if current.etag != if_match:
            return ETagConflictError(
                key,
                f"{key!r} was changed by someone else since it was read (etag {if_match!r}, "
                f"now {current.etag!r}); reload it and apply your change again",
            )
    return None


def _check_unchanged_since_last_change(key: str, last: Backup, current: RawItem | None) -> None:
    """The item must still be what our last recorded change left behind."""
    if last.state != "applied":
        raise ETagConflictError(
            key,
            f"the last change to {key!r} made with this tool has an unknown outcome; "
            "check the item (get --etag) and revert with --if-match ETAG",
        )
    if last.action in DELETE_ACTIONS:
        changed = current is not None
    else:
        changed = current is None or current.etag != last.new_etag
    if changed:
        now = "absent" if current is None else f"etag {current.etag!r}"
        raise ETagConflictError(
            key,
            f"{key!r} changed since the last change made with this tool (now {now}); "
            "check it (get --etag) and revert with --if-match ETAG to replace it anyway",
        )
