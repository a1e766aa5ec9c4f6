"""Operations: many changes to one store, made, recorded and undone as one step.

An operation (``forget``, ``bulk``, the revert of an operation) has an id,
``op-YYYYMMDD-HHMMSS-xxxxxx``. ``apply_changes`` makes each planned change
through ``SafeWriter`` with that id, so every item is

- etag-checked against the version the plan saw: an item changed since is a
  conflict, reported and left alone (never overwritten), and the run goes on;
- backed up first and audited, each backup and audit entry carrying the id.

``revert_operation`` restores every item of an operation from its backups: the
item as it was before the operation (deleted again if the operation created it).
Each item is restored only if it is still exactly what the operation left
(the etag the operation's write produced, or absent after its delete); an item
changed since is a conflict and is left alone. The revert is an operation
itself, with its own id, so it can be reverted too.

Nothing here prints or asks: a plan is a list of ``Change``; the result an
``OperationResult`` that each view shows its own way.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from explorer.core.errors import ETagConflictError, ItemNotFoundError, ReadOnlyError, StorageError
from explorer.core.items import RawItem
from explorer.storage.base import Storage
from explorer.workspace.backups import Backup, store_identity
from explorer.workspace.safe_write import DELETE_ACTIONS, SafeWriter

#: (items done, items in all, key) after each item of a run; may return an awaitable,
#: awaited before the next item
ItemProgress = Callable[[int, int, str], Awaitable[None] | None]


class OperationNotFoundError(ItemNotFoundError):
    """No backups of this operation in this store (exit status 3, like a missing key)."""

    def __init__(self, operation: str, store: str) -> None:
        StorageError.__init__(
            self,
            f"no operation {operation!r} in {store}: its id is printed by forget and bulk "
            "(and recorded in the audit log); an operation is found only in the store it changed",
        )


def new_operation_id() -> str:
    """A new operation id: time of day (UTC) for people, random hex for uniqueness."""
    return f"op-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class Change:
    """One planned change: ``new`` written, or the item deleted (``new is None``).

    ``etag``: the version the plan saw; the change is made only while the item
    still has it. ``action``: its name in the audit log (a delete's is one of
    ``DELETE_ACTIONS``).
    """

    key: str
    etag: str | None
    new: RawItem | None
    action: str

    @property
    def is_delete(self) -> bool:
        return self.new is None


@dataclass
class OperationResult:
    """What a run did, item by item."""

    operation: str
    done: list[str] = field(default_factory=list)
    #: (key, why): the item changed since the plan (or since the operation); left alone
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    #: (key, why): another error on this item (outcome in the audit log)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.conflicts and not self.failed


async def apply_changes(
    writer: SafeWriter,
    store: Storage,
    changes: Sequence[Change],
    *,
    operation: str | None = None,
    on_item: ItemProgress | None = None,
) -> OperationResult:
    """Make ``changes`` as one operation (a new id unless ``operation`` is given).

    Raises ``ReadOnlyError`` before any change on a read-only store. Conflicts
    and per-item errors are collected in the result; the run goes on.
    """
    if store.read_only:
        raise ReadOnlyError("change", changes[0].key if changes else None)
    result = OperationResult(operation or new_operation_id())
    for index, change in enumerate(changes, 1):
        try:
            if change.new is None:
                await writer.delete_raw(
                    store,
                    change.key,
                    if_match=change.etag or "*",
                    action=change.action,
                    operation=result.operation,
                )
            else:
                await writer.write_raw(
                    store,
                    change.new,
                    if_match=change.etag,
                    create=change.etag is None,
                    action=change.action,
                    operation=result.operation,
                )
        except ETagConflictError as exc:
            result.conflicts.append((change.key, str(exc)))
        except ReadOnlyError:
            raise
        except StorageError as exc:
            result.failed.append((change.key, str(exc)))
        else:
            result.done.append(change.key)
        await _report(on_item, index, len(changes), change.key)
    return result


async def _report(on_item: ItemProgress | None, done: int, total: int, key: str) -> None:
    if on_item is not None:
        pending = on_item(done, total, key)
        if inspect.isawaitable(pending):
            await pending


async def delete_plan(store: Storage, keys: Sequence[str], action: str) -> list[Change]:
    """Deleting ``keys``, each only while it has the etag read now (absent keys left out)."""
    items = await store.read_raw(list(keys))
    return [Change(key, item.etag, None, action) for key in keys if (item := items.get(key))]


def _by_key(backups: Sequence[Backup]) -> dict[str, tuple[Backup, Backup]]:
    """key -> (its first backup in the operation, its last), in the operation's order."""
    spans: dict[str, tuple[Backup, Backup]] = {}
    for backup in backups:
        first = spans[backup.key][0] if backup.key in spans else backup
        spans[backup.key] = (first, backup)
    return spans


def _unchanged_since(last: Backup, current: RawItem | None) -> str | None:
    """Why ``current`` is no longer what the operation left, or ``None`` if it is."""
    if last.state != "applied":
        return (
            f"the operation's change to {last.key!r} has an unknown outcome; check the item "
            f"and use `revert KEY --to {last.version}` for it"
        )
    if last.action in DELETE_ACTIONS:
        if current is None:
            return None
        return f"{last.key!r} was created again since the operation deleted it; left as it is"
    if current is not None and current.etag == last.new_etag:
        return None
    now = "deleted" if current is None else "changed"
    return f"{last.key!r} was {now} since the operation; left as it is"


async def operation_backups(writer: SafeWriter, store: Storage, operation: str) -> list[Backup]:
    """The backups of ``operation`` in ``store`` (``OperationNotFoundError`` if none)."""
    identity = store_identity(store)
    backups = await writer.backups.operation(identity, operation)
    if not backups:
        raise OperationNotFoundError(operation, identity)
    return backups


async def revert_operation(
    writer: SafeWriter,
    store: Storage,
    operation: str,
    *,
    on_item: ItemProgress | None = None,
) -> OperationResult:
    """Restore every item ``operation`` changed, each etag-checked (see the module docstring).

    Returns the result of the revert, itself an operation with a new id.
    """
    if store.read_only:
        raise ReadOnlyError("revert")
    spans = _by_key(await operation_backups(writer, store, operation))
    current = await store.read_raw(list(spans))
    result = OperationResult(new_operation_id())
    for index, (key, (first, last)) in enumerate(spans.items(), 1):
        now = current.get(key)
        why = _unchanged_since(last, now)
        try:
            if why is not None:
                result.conflicts.append((key, why))
            elif first.existed:
                await writer.write_raw(
                    store,
                    first.to_raw_item(),
                    if_match=None if now is None else now.etag,
                    create=now is None,
                    action="revert",
                    operation=result.operation,
                )
                result.done.append(key)
            elif now is not None:
                await writer.delete_raw(
                    store,
                    key,
                    if_match=now.etag or "*",
                    action="revert-delete",
                    operation=result.operation,
                )
                result.done.append(key)
        except ETagConflictError as exc:
            result.conflicts.append((key, str(exc)))
        except ReadOnlyError:
            raise
        except StorageError as exc:
            result.failed.append((key, str(exc)))
        await _report(on_item, index, len(spans), key)
    return result
