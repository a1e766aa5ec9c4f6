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
5. appends an ``AuditEntry`` (also for refused and failed attempts).

A write whose outcome is unknown (connection lost mid-request) keeps its backup
with state ``unknown`` and is audited with the error's class name.
"""

from __future__ import annotations

from dataclasses import replace

from explorer.core.errors import ETagConflictError, ReadOnlyError, StorageError
from explorer.core.items import RawItem
from explorer.state.audit import AuditLog
from explorer.state.backups import Backup, BackupStore, canonical_store_url
from explorer.storage.base import Storage

#: how often an unconditional write is retried after losing a race
RETRIES = 3


class SafeWriter:
    """Backs up, writes and audits. One per session; ``profile`` names it in the audit log."""

    def __init__(
        self, backups: BackupStore, audit: AuditLog, *, profile: str | None = None
    ) -> None:
        self.backups = backups
        self.audit = audit
        self.profile = profile

    async def _audit(
        self,
        store: Storage,
        key: str,
        action: str,
        *,
        outcome: str = "ok",
        old: RawItem | None = None,
        new: RawItem | None = None,
        new_body: bytes | None = None,
        detail: str | None = None,
    ) -> None:
        entry = self.audit.make_entry(
            store=canonical_store_url(store.url),
            key=key,
            action=action,
            profile=self.profile,
            outcome=outcome,
            old=None if old is None else old.body,
            new=new.body if new is not None else new_body,
            old_etag=None if old is None else old.etag,
            new_etag=None if new is None else new.etag,
            detail=detail,
        )
        await self.audit.append(entry)

    async def _current(self, store: Storage, key: str) -> RawItem | None:
        return (await store.read_raw([key])).get(key)

    async def write_raw(
        self,
        store: Storage,
        item: RawItem,
        *,
        if_match: str | None = None,
        create: bool = False,
        action: str | None = None,
    ) -> RawItem:
        """Write ``item`` as stored form; return it with its new etag.

        ``if_match`` (not ``None``/``"*"``): the stored etag must equal it.
        ``create``: the key must be absent. ``action`` names the change in the
        audit log (default ``create``/``write``).
        """
        key = item.key
        if store.read_only:
            await self._audit(store, key, action or "write", outcome="ReadOnlyError",
                              new_body=item.body)  # fmt: skip
            raise ReadOnlyError("write", key)
        for attempt in range(RETRIES + 1):
            current = await self._current(store, key)
            verb = action or ("create" if current is None else "write")
            refusal = _check(key, current, if_match=if_match, create=create)
            if refusal is not None:
                await self._audit(store, key, verb, outcome=type(refusal).__name__, old=current,
                                  new_body=item.body, detail=str(refusal))  # fmt: skip
                raise refusal
            backup = await self.backups.record(store.url, key, verb, current)
            try:
                written = await store.write_raw(
                    replace(item, etag=None),
                    if_match=None if current is None else (current.etag or None),
                    create=current is None,
                )
            except ETagConflictError as exc:
                await self.backups.discard(backup)
                explicit = create or if_match not in (None, "*")
                if explicit or attempt == RETRIES:
                    await self._audit(store, key, verb, outcome="ETagConflictError", old=current,
                                      new_body=item.body, detail=str(exc))  # fmt: skip
                    raise
                continue  # someone wrote in between; back up their version and retry
            except ReadOnlyError:
                await self.backups.discard(backup)
                raise
            except BaseException as exc:
                await self._fail(store, key, verb, backup, current, exc, new_body=item.body)
                raise
            await self.backups.mark_applied(backup, written.etag)
            await self._audit(store, key, verb, old=current, new=written)
            return written
        raise AssertionError("unreachable")  # pragma: no cover

    async def delete_raw(
        self, store: Storage, key: str, *, if_match: str | None = None, action: str = "delete"
    ) -> None:
        """Delete ``key``; a missing key is a no-op unless ``if_match`` names an etag."""
        if store.read_only:
            await self._audit(store, key, action, outcome="ReadOnlyError")
            raise ReadOnlyError("delete", key)
        for attempt in range(RETRIES + 1):
            current = await self._current(store, key)
            refusal = _check(key, current, if_match=if_match, create=False)
            if refusal is not None:
                await self._audit(store, key, action, outcome=type(refusal).__name__,
                                  old=current, detail=str(refusal))  # fmt: skip
                raise refusal
            if current is None:
                return
            backup = await self.backups.record(store.url, key, action, current)
            try:
                await store.delete_raw(key, if_match=current.etag or None)
            except ETagConflictError as exc:
                await self.backups.discard(backup)
                if if_match not in (None, "*") or attempt == RETRIES:
                    await self._audit(store, key, action, outcome="ETagConflictError",
                                      old=current, detail=str(exc))  # fmt: skip
                    raise
                continue
            except ReadOnlyError:
                await self.backups.discard(backup)
                raise
            except BaseException as exc:
                await self._fail(store, key, action, backup, current, exc)
                raise
            await self.backups.mark_applied(backup, None)
            await self._audit(store, key, action, old=current)
            return

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
    ) -> None:
        """The write may or may not have happened: keep the backup, say so in the audit."""
        await self.backups.mark_unknown(backup)
        await self._audit(store, key, action, outcome=type(exc).__name__, old=current,
                          new_body=new_body, detail=str(exc) or type(exc).__name__)  # fmt: skip

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
        history = await self.backups.history(store.url, key)
        target = await self.backups.get(store.url, key, to)
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
                key, f"{key!r} no longer exists (it was deleted since it was read); nothing written"
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
    if last.action in ("delete", "revert-delete"):
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
