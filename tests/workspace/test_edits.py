"""EditSessions without Qt: one session per item, undo across items, saving with
conflicts returned as values, and reading an item for a view.

Runs over memory and SQLite (the ``storage`` fixture). "Someone else" writes
through the same store object, unconditionally, as a bot would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from explorer.core.errors import DecodeError, ItemNotFoundError, ReadOnlyError
from explorer.core.items import RawItem
from explorer.storage import StorageBase
from explorer.storage.base import Storage
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.audit import AuditLog
from explorer.workspace.backups import BackupStore
from explorer.workspace.edits import EditSessions
from explorer.workspace.item_loading import THREAD_DECODE_BYTES, revert_to_backup
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.saving import Resolution
from explorer.workspace.session import EditSession

USER = "msteams/users/29:1ada"
CONV = "msteams/conversations/19:chat"
USER_DOC = {"UserProfile": {"name": "Ada"}, "visits": 42}
CONV_DOC = {"ConversationData": {"topic": "billing"}}


async def put(store: Storage, key: str, document: dict[str, Any]) -> RawItem:
    return await store.write_raw(RawItem(key=key, body=json.dumps(document).encode()))


async def stored(store: Storage, key: str) -> dict[str, Any] | None:
    found = await store.read_raw([key])
    return store.decode(found[key]) if key in found else None


@pytest.fixture
async def edits(storage: StorageBase) -> EditSessions:
    await put(storage, USER, USER_DOC)
    await put(storage, CONV, CONV_DOC)
    return EditSessions()


async def test_counts_and_summary_follow_the_sessions(
    storage: StorageBase, edits: EditSessions
) -> None:
    heard: list[int] = []
    edits.add_listener(lambda: heard.append(edits.count()))
    user = await edits.open(storage, USER)
    conv = await edits.open(storage, CONV)
    assert not edits.has_unsaved()
    assert edits.summary() == ""
    user.set_property("visits", 43)
    user.remove_property("UserProfile")
    conv.delete_state()
    assert edits.count() == 2
    assert edits.edit_count() == 3
    assert edits.summary() == "3 edits in 2 states"
    assert edits.is_dirty(USER)
    assert edits.is_dirty(CONV, storage)
    assert not edits.is_dirty("msteams/users/other")
    assert {s.key for s in edits.sessions()} == {USER, CONV}
    assert heard[-1] == 2
    edits.discard_all()
    assert not edits.has_unsaved()
    assert heard[-1] == 0
    assert await stored(storage, USER) == USER_DOC  # nothing was ever written


async def test_undo_and_redo_go_across_items_newest_first(
    storage: StorageBase, edits: EditSessions
) -> None:
    user = await edits.open(storage, USER)
    conv = await edits.open(storage, CONV)
    user.set_property("visits", 43)
    conv.set_property("ConversationData", {"topic": "refund"})
    user.add_property("note", "called")
    assert edits.undo_target is user
    assert user.undo_label == "Add note"
    assert edits.undo()
    assert "note" not in user.draft
    assert edits.undo_target is conv
    assert edits.undo()
    assert conv.draft == CONV_DOC
    assert edits.redo_target is conv
    assert edits.redo()
    assert conv.draft["ConversationData"] == {"topic": "refund"}
    user.set_property("visits", 44)  # a new edit: nothing left to redo
    assert edits.redo_target is None
    assert not edits.redo()
    assert [edits.undo() for _ in range(4)] == [True, True, True, False]
    assert not edits.has_unsaved()


async def test_one_session_per_item_also_through_a_held_reference(
    storage: StorageBase, edits: EditSessions
) -> None:
    first = await edits.open(storage, USER)
    await put(storage, USER, {**USER_DOC, "visits": 50})
    assert await edits.open(storage, USER) is first
    assert first.draft["visits"] == 50  # a clean session takes the fresh snapshot
    await edits.open(storage, CONV)  # the clean user session is set aside
    assert edits.get(storage, USER) is None
    first.set_property("visits", 7)  # edited through a held reference: tracked again
    assert edits.is_dirty(USER)
    assert await edits.open(storage, USER) is first
    assert edits.track(EditSession(storage, first.loaded)) is first


async def test_save_all_writes_each_state_and_tells_the_listeners(
    storage: StorageBase, edits: EditSessions
) -> None:
    saved: list[str] = []
    edits.add_saved_listener(lambda session: saved.append(session.key))
    (await edits.open(storage, USER)).set_property("visits", 43)
    (await edits.open(storage, CONV)).delete_state()
    results = await edits.save_all()
    assert [(r.key, r.stored, r.describe()) for r in results] == [
        (USER, True, ""),
        (CONV, True, ""),
    ]
    assert saved == [USER, CONV]
    assert (await stored(storage, USER)) == {**USER_DOC, "visits": 43}
    assert await stored(storage, CONV) is None
    assert not edits.has_unsaved()


async def test_a_conflict_comes_back_as_a_value_and_overwrite_is_checked(
    storage: StorageBase, edits: EditSessions
) -> None:
    session = await edits.open(storage, USER)
    session.set_property("visits", 43)
    theirs = await put(storage, USER, {**USER_DOC, "visits": 99})
    [result] = await edits.save_all()
    assert not result.stored
    assert result.conflict is not None
    assert result.conflict.theirs is not None
    assert result.conflict.theirs.etag == theirs.etag
    assert result.conflict.choices == (
        Resolution.RELOAD,
        Resolution.OVERWRITE,
        Resolution.CANCEL,
    )
    assert result.describe() == f"{USER}: not saved (conflict unresolved)"
    assert edits.is_dirty(USER)  # the draft is kept
    assert (await stored(storage, USER))["visits"] == 99  # type: ignore[index]

    again = await put(storage, USER, {**USER_DOC, "visits": 100})  # changed after it was seen
    second = await edits.resolve(result.conflict, Resolution.OVERWRITE)
    assert not second.stored
    assert second.conflict is not None
    assert second.conflict.theirs is not None
    assert second.conflict.theirs.etag == again.etag  # the new version, to be seen again
    assert (await stored(storage, USER))["visits"] == 100  # type: ignore[index]

    done = await edits.resolve(second.conflict, Resolution.OVERWRITE)
    assert done.stored
    assert (await stored(storage, USER))["visits"] == 43  # type: ignore[index]
    assert not edits.has_unsaved()


async def test_reload_keeps_my_draft_aside_and_cancel_keeps_it_pending(
    storage: StorageBase, edits: EditSessions
) -> None:
    session = await edits.open(storage, USER)
    session.set_property("visits", 43)
    await put(storage, USER, {**USER_DOC, "visits": 99})
    result = await edits.save(session)
    assert result.conflict is not None
    cancelled = await edits.resolve(result.conflict, Resolution.CANCEL)
    assert not cancelled.stored
    assert cancelled.conflict is None
    assert edits.is_dirty(USER)
    reloaded = await edits.resolve(result.conflict, Resolution.RELOAD)
    assert not reloaded.stored
    assert reloaded.note.startswith(f"Reloaded {USER}: their version is loaded")
    assert session.draft["visits"] == 99
    assert session.aside is not None
    assert session.aside["visits"] == 43
    assert not edits.is_dirty(USER)


async def test_recreate_after_someone_deleted_it(storage: StorageBase, edits: EditSessions) -> None:
    session = await edits.open(storage, USER)
    session.set_property("visits", 43)
    await storage.delete_raw(USER)
    result = await edits.save(session)
    assert result.conflict is not None
    assert result.conflict.deleted
    assert result.conflict.choices == (Resolution.RECREATE, Resolution.CANCEL)
    assert not (await edits.resolve(result.conflict, Resolution.OVERWRITE)).stored  # no version
    done = await edits.resolve(result.conflict, Resolution.RECREATE)
    assert done.stored
    assert await stored(storage, USER) == {**USER_DOC, "visits": 43}


async def test_save_each_reports_errors_and_saves_the_rest(tmp_path: Path) -> None:
    async with SqliteStorage(tmp_path / "state.db") as writable:
        await put(writable, USER, USER_DOC)
        await put(writable, CONV, CONV_DOC)
    async with (
        SqliteStorage(tmp_path / "state.db", read_only=True) as locked,
        SqliteStorage(tmp_path / "other.db") as other,
    ):
        await put(other, CONV, CONV_DOC)
        edits = EditSessions()
        (await edits.open(locked, USER)).set_property("visits", 1)
        (await edits.open(other, CONV)).set_property("ConversationData", {})
        first, second = [result async for result in edits.save_each(edits.sessions())]
        assert isinstance(first.error, ReadOnlyError)
        assert "read-only" in first.describe()
        assert second.stored
        assert edits.is_dirty(USER, locked)  # the refused draft stays pending
        assert await stored(other, CONV) == {"ConversationData": {}}


async def test_writes_go_through_the_writer_of_their_store(
    storage: StorageBase, tmp_path: Path
) -> None:
    backups = BackupStore(tmp_path / "backups.sqlite3")
    writer = SafeWriter(backups, AuditLog(tmp_path / "audit.jsonl", user="tester"))
    asked: list[Storage] = []

    def writer_for(store: Storage) -> SafeWriter:
        asked.append(store)
        return writer

    try:
        await put(storage, USER, USER_DOC)
        edits = EditSessions(writer_for)
        session = await edits.open(storage, USER)
        session.set_property("visits", 43)
        assert (await edits.save(session)).stored
        assert asked == [storage]
        [backup] = await writer.history(storage, USER)
        assert backup.existed
        assert json.loads(backup.body or b"") == USER_DOC
        revert_to_backup(session, backup)  # the version before, as a pending edit
        assert session.draft == USER_DOC
        assert session.undo_label == "Revert to version 1"
        assert edits.is_dirty(USER)
    finally:
        backups.close()


async def test_load_item_gives_errors_as_values(storage: StorageBase, edits: EditSessions) -> None:
    missing = await edits.load_item(storage, "msteams/users/nobody")
    assert missing.missing
    assert isinstance(missing.error, ItemNotFoundError)
    assert missing.item is None
    assert missing.session is None

    await storage.write_raw(RawItem(key="bad", body=b"[1, 2]"))
    bad = await edits.load_item(storage, "bad")
    assert bad.undecodable
    assert isinstance(bad.error, DecodeError)
    assert bad.item is not None
    assert bad.item.body == b"[1, 2]"
    assert bad.session is None

    shown = await edits.load_item(storage, USER)
    assert shown.error is None
    assert shown.session is edits.get(storage, USER)
    assert shown.session is not None
    shown.session.set_property("visits", 43)
    await put(storage, USER, {**USER_DOC, "visits": 99})
    again = await edits.load_item(storage, USER)  # pending edits: the session, not a read
    assert again.session is shown.session
    assert again.item is shown.session.loaded
    assert again.session.draft["visits"] == 43


async def test_a_large_body_loads_off_the_loop(storage: StorageBase, edits: EditSessions) -> None:
    big = {"blob": "x" * (THREAD_DECODE_BYTES + 10)}
    await put(storage, "big", big)
    loaded = await edits.load_item(storage, "big")
    assert loaded.session is not None
    assert loaded.session.draft == big
