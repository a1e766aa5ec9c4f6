"""SafeWriter: every change backed up first, etag-checked, audited; revert restores exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from explorer.core.errors import (
    BackendUnavailableError,
    ETagConflictError,
    ReadOnlyError,
    StorageError,
)
from explorer.core.items import RawItem
from explorer.storage import MemoryStorage, StorageBase
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import BackupStore
from explorer.workspace.safe_write import SafeWriter

KEY = "msteams/users/29:1AbC"


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[SafeWriter]:
    backups = BackupStore(tmp_path / "backups.sqlite3")
    yield SafeWriter(backups, AuditLog(tmp_path / "audit.jsonl", user="tester"), profile="dev")
    backups.close()


def _item(body: bytes, **kw: object) -> RawItem:
    return RawItem(key=KEY, body=body, content_type="application/octet-stream", **kw)  # type: ignore[arg-type]


async def test_write_write_revert_restores_first_exactly(
    storage: StorageBase, writer: SafeWriter
) -> None:
    first = b'{"UserProfile": {"py/object": "m.P", "name": "Ada"}, "e_tag": "stale"}'
    one = await writer.write_raw(storage, _item(first), if_match=None)
    two = await writer.write_raw(storage, _item(b'{"UserProfile": {}}'), if_match=one.etag)
    assert two.etag != one.etag
    history = await writer.history(storage, KEY)
    assert [(b.version, b.existed, b.action) for b in history] == [
        (1, False, "create"),
        (2, True, "write"),
    ]
    assert history[1].body == first
    assert history[1].etag == one.etag
    restored = await writer.revert(storage, KEY)
    assert restored is not None
    stored = (await storage.read_raw([KEY]))[KEY]
    assert stored.body == first
    assert stored.content_type == "application/octet-stream"
    entries = await writer.audit.entries(key=KEY)
    assert [(e.action, e.outcome) for e in entries] == [
        ("create", "ok"),
        ("write", "ok"),
        ("revert", "ok"),
    ]
    assert entries[1].old_etag == one.etag
    assert entries[1].new_etag == two.etag
    assert all(e.profile == "dev" and e.user == "tester" for e in entries)
    # revert to version 1 (the item did not exist): deletes it, and that is revertable too
    assert await writer.revert(storage, KEY, to=1) is None
    assert await storage.read_raw([KEY]) == {}
    await writer.revert(storage, KEY)
    assert (await storage.read_raw([KEY]))[KEY].body == first


async def test_stale_if_match_and_create_conflicts_write_nothing(
    storage: StorageBase, writer: SafeWriter
) -> None:
    one = await writer.write_raw(storage, _item(b'{"v": 1}'))
    await storage.write_raw(_item(b'{"v": "bot"}'))  # a bot writes behind our back
    with pytest.raises(ETagConflictError, match="changed by someone else"):
        await writer.write_raw(storage, _item(b'{"v": 2}'), if_match=one.etag)
    with pytest.raises(ETagConflictError, match="already exists"):
        await writer.write_raw(storage, _item(b'{"v": 3}'), create=True)
    with pytest.raises(ETagConflictError):
        await writer.delete_raw(storage, KEY, if_match=one.etag)
    assert (await storage.read_raw([KEY]))[KEY].body == b'{"v": "bot"}'
    assert len(await writer.history(storage, KEY)) == 1
    outcomes = [e.outcome for e in await writer.audit.entries(key=KEY)]
    assert outcomes == ["ok", "ETagConflictError", "ETagConflictError", "ETagConflictError"]
    with pytest.raises(ETagConflictError, match="no longer exists"):
        await writer.write_raw(storage, replace(_item(b"{}"), key="nope"), if_match="1")


async def test_revert_refuses_when_changed_since_our_last_change(
    storage: StorageBase, writer: SafeWriter
) -> None:
    one = await writer.write_raw(storage, _item(b'{"v": 1}'))
    await writer.write_raw(storage, _item(b'{"v": 2}'), if_match=one.etag)
    bot = await storage.write_raw(_item(b'{"v": "bot"}'))
    with pytest.raises(ETagConflictError, match="changed since the last change"):
        await writer.revert(storage, KEY)
    assert (await storage.read_raw([KEY]))[KEY].body == b'{"v": "bot"}'
    with pytest.raises(ETagConflictError):
        await writer.revert(storage, KEY, if_match="not-the-etag")
    await writer.revert(storage, KEY, if_match=bot.etag)
    assert (await storage.read_raw([KEY]))[KEY].body == b'{"v": 1}'
    # the bot's version was backed up before the revert replaced it
    assert (await writer.history(storage, KEY))[-1].body == b'{"v": "bot"}'


async def test_delete_is_backed_up_and_missing_delete_is_a_noop(
    storage: StorageBase, writer: SafeWriter
) -> None:
    await writer.delete_raw(storage, KEY)
    assert await writer.history(storage, KEY) == []
    await writer.write_raw(storage, _item(b'{"v": 1}'))
    await writer.delete_raw(storage, KEY)
    assert await storage.read_raw([KEY]) == {}
    await writer.revert(storage, KEY)
    assert (await storage.read_raw([KEY]))[KEY].body == b'{"v": 1}'


async def test_read_only_store_is_refused_before_any_backup(
    tmp_path: Path, writer: SafeWriter
) -> None:
    store = MemoryStorage(read_only=True)
    with pytest.raises(ReadOnlyError):
        await writer.write_raw(store, _item(b"{}"))
    with pytest.raises(ReadOnlyError):
        await writer.delete_raw(store, KEY)
    assert await writer.history(store, KEY) == []
    assert [e.outcome for e in await writer.audit.entries()] == ["ReadOnlyError", "ReadOnlyError"]


class _RacingStorage(MemoryStorage):
    """A bot writes the same key between our backup read and our write, ``races`` times."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem:
        if self.races > 0 and item.body.startswith(b'{"ours'):
            self.races -= 1
            await super().write_raw(replace(item, body=b'{"bot": %d}' % self.races))
        return await super().write_raw(item, if_match=if_match, create=create)


class _LostReplyStorage(MemoryStorage):
    """The write reaches the store but the reply is lost (connection dropped)."""

    async def write_raw(
        self, item: RawItem, *, if_match: str | None = None, create: bool = False
    ) -> RawItem:
        await super().write_raw(item, if_match=if_match, create=create)
        raise BackendUnavailableError("connection reset while writing", key=item.key)


async def test_unconditional_write_backs_up_what_it_actually_replaced(writer: SafeWriter) -> None:
    store = _RacingStorage(races=2)
    await store.write_raw(_item(b'{"first": 1}'))
    await writer.write_raw(store, _item(b'{"ours": 1}'))
    assert (await store.read_raw([KEY]))[KEY].body == b'{"ours": 1}'
    (backup,) = await writer.history(store, KEY)
    assert backup.body == b'{"bot": 0}'  # the version our write replaced, not a stale read
    store.races = 10
    with pytest.raises(ETagConflictError):
        await writer.write_raw(store, _item(b'{"ours": 2}'))


async def test_unknown_outcome_keeps_the_backup_and_revert_needs_if_match(
    writer: SafeWriter,
) -> None:
    store = _LostReplyStorage()
    await MemoryStorage.write_raw(store, _item(b'{"v": 1}'))
    with pytest.raises(BackendUnavailableError):
        await writer.write_raw(store, _item(b'{"v": 2}'))
    (backup,) = await writer.history(store, KEY)
    assert (backup.state, backup.body) == ("unknown", b'{"v": 1}')
    assert (await writer.audit.entries())[-1].outcome == "BackendUnavailableError"
    with pytest.raises(ETagConflictError, match="unknown outcome"):
        await writer.revert(store, KEY)


async def test_write_many_backs_up_audits_and_reports_per_item(
    storage: StorageBase, writer: SafeWriter
) -> None:
    await writer.write_raw(storage, replace(_item(b'{"old": 1}'), key="a"))
    items = [replace(_item(b'{"new": %d}' % i), key=k) for i, k in enumerate(["a", "b", "c"])]
    results = await writer.write_many(storage, items, create=True, action="import")
    assert isinstance(results[0], ETagConflictError)  # exists, create refused
    assert [r.key for r in results[1:] if isinstance(r, RawItem)] == ["b", "c"]
    assert (await storage.read_raw(["a"]))["a"].body == b'{"old": 1}'
    results = await writer.write_many(storage, items, action="import")
    assert all(isinstance(r, RawItem) for r in results)
    (_, backup_a) = await writer.history(storage, "a")
    assert (backup_a.body, backup_a.state, backup_a.action) == (b'{"old": 1}', "applied", "import")
    assert backup_a.new_etag == results[0].etag  # type: ignore[union-attr]
    outcomes = [(e.key, e.action, e.outcome) for e in await writer.audit.entries()][1:]
    assert outcomes == [
        ("a", "import", "ETagConflictError"),
        ("b", "import", "ok"),
        ("c", "import", "ok"),
        ("a", "import", "ok"),
        ("b", "import", "ok"),
        ("c", "import", "ok"),
    ]
    await writer.revert(storage, "a")
    assert (await storage.read_raw(["a"]))["a"].body == b'{"old": 1}'


async def test_write_many_handles_races_duplicates_and_lost_replies(writer: SafeWriter) -> None:
    racing = _RacingStorage(races=1)
    await racing.write_raw(_item(b'{"first": 1}'))
    (result,) = await writer.write_many(racing, [_item(b'{"ours": 1}')])
    assert isinstance(result, RawItem)
    assert [b.body for b in await writer.history(racing, KEY)] == [b'{"bot": 0}']
    dupes = [_item(b'{"v": 1}'), _item(b'{"v": 2}')]
    assert all(isinstance(r, RawItem) for r in await writer.write_many(racing, dupes))
    assert (await racing.read_raw([KEY]))[KEY].body == b'{"v": 2}'
    lost = _LostReplyStorage()
    (failure,) = await writer.write_many(lost, [_item(b'{"v": 9}')])
    assert isinstance(failure, BackendUnavailableError)
    assert (await writer.history(lost, KEY))[-1].state == "unknown"
    with pytest.raises(ReadOnlyError):
        await writer.write_many(MemoryStorage(read_only=True), [_item(b"{}")])
    assert await writer.write_many(racing, []) == []


async def test_in_memory_stores_never_share_backups(writer: SafeWriter) -> None:
    one, two = MemoryStorage(), MemoryStorage()
    await writer.write_raw(one, _item(b'{"v": 1}'))
    await writer.write_raw(one, _item(b'{"v": 2}'))
    await two.write_raw(_item(b'{"v": "other store"}'))
    assert len(await writer.history(one, KEY)) == 2
    assert await writer.history(two, KEY) == []
    with pytest.raises(StorageError, match="no backups"):
        await writer.revert(two, KEY)


async def test_nothing_is_written_when_backups_or_audit_cannot_be(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    store = MemoryStorage()
    await store.write_raw(_item(b'{"v": 1}'))
    good_backups = BackupStore(tmp_path / "b.db")
    no_audit = SafeWriter(good_backups, AuditLog(blocker / "audit.jsonl"))
    no_backups = SafeWriter(BackupStore(blocker / "b.db"), AuditLog(tmp_path / "a.jsonl"))
    for writer in (no_audit, no_backups):
        with pytest.raises(StorageError, match="nothing was written"):
            await writer.write_raw(store, _item(b'{"v": 2}'))
        with pytest.raises(StorageError, match="nothing was written"):
            await writer.delete_raw(store, KEY)
    assert (await store.read_raw([KEY]))[KEY].body == b'{"v": 1}'
    good_backups.close()
