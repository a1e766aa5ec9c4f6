"""EditSession: pending edits, undo/redo, the exact diff, etag-checked save and conflicts.

Runs on a real SQLite file (and memory). A "concurrent external write" is a
second store object on the same SQLite file writing the same key, as another
explorer or a bot process would.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from explorer.core.errors import (
    DialogStackError,
    ETagConflictError,
    ItemNotFoundError,
    ReadOnlyError,
)
from explorer.core.items import RawItem
from explorer.storage import MemoryStorage, StorageBase
from explorer.storage.base import Storage
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.session import EditSession

KEY = "msteams/users/29:1AbC"
USER = {"UserProfile": {"py/object": "bbmodels.UserProfile", "name": "Ada"}, "prefs": {"n": 1}}
PY_DIALOG = {
    "DialogState": {
        "py/object": "botbuilder.dialogs.dialog_state.DialogState",
        "_dialog_stack": [
            {"py/object": "botbuilder.dialogs.DialogInstance", "id": "top", "state": {"a": 1}},
            {"py/object": "botbuilder.dialogs.DialogInstance", "id": "main", "state": {}},
        ],
    }
}
JS_DIALOG = {"DialogState": {"dialogStack": [{"id": "main", "state": {}}, {"id": "top"}]}}


@pytest.fixture(params=["sqlite", "memory"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorageBase]:
    backend: StorageBase = (
        SqliteStorage(tmp_path / "state.db") if request.param == "sqlite" else MemoryStorage()
    )
    async with backend:
        yield backend


def dirty(session: EditSession) -> bool:
    """``session.is_dirty`` read afresh (mypy would keep a narrowed property value)."""
    return session.is_dirty


async def put(store: Storage, key: str, document: dict[str, object]) -> RawItem:
    return await store.write_raw(
        RawItem(key=key, body=json.dumps(document, separators=(",", ":")).encode())
    )


async def stored(store: Storage, key: str) -> dict[str, object] | None:
    found = await store.read_raw([key])
    return store.decode(found[key]) if key in found else None


async def test_load_missing_key_is_a_typed_error(store: StorageBase) -> None:
    with pytest.raises(ItemNotFoundError, match="no item"):
        await EditSession.load(store, "msteams/users/nobody")


async def test_edits_are_pending_until_save(store: StorageBase) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    assert not dirty(session)
    session.set_property("prefs", {"n": 2})
    session.add_property("lastSeen", "2026-11-20")
    session.remove_property("UserProfile")
    assert dirty(session)
    assert {c.name: c.kind for c in session.changes().values()} == {
        "prefs": "modified",
        "lastSeen": "added",
        "UserProfile": "removed",
    }
    assert await stored(store, KEY) == USER  # nothing written yet

    written = await session.save()
    assert written is not None
    assert await stored(store, KEY) == {"prefs": {"n": 2}, "lastSeen": "2026-11-20"}
    assert not dirty(session)
    assert session.etag == written.etag
    assert not session.can_undo  # saved edits are no longer pending


async def test_setting_the_same_value_records_nothing_and_true_is_not_1(
    store: StorageBase,
) -> None:
    await put(store, KEY, {"flag": 1})
    session = await EditSession.load(store, KEY)
    session.set_property("flag", 1)
    assert not session.can_undo
    assert not dirty(session)
    session.set_property("flag", True)  # equal in Python, different JSON
    assert dirty(session)


async def test_add_existing_and_type_member_are_refused(store: StorageBase) -> None:
    await put(store, KEY, {"$type": "Bot.State, Bot", "a": 1})
    session = await EditSession.load(store, KEY)
    with pytest.raises(ValueError, match="already has"):
        session.add_property("a", 2)
    with pytest.raises(ValueError, match=r"stored type of the state"):
        session.set_property("$type", "x")
    assert session.property_names() == ["a"]
    with pytest.raises(ValueError, match="not a JSON value"):
        session.set_property("a", float("nan"))


async def test_undo_redo_restore_values_and_member_order(store: StorageBase) -> None:
    await put(store, KEY, {"$type": "Bot.State, Bot", "a": 1, "b": 2})
    session = await EditSession.load(store, KEY)
    session.remove_property("a")
    session.set_property("b", 3)
    assert session.undo_label == "Edit b"
    assert session.undo()
    assert session.undo()
    assert list(session.draft) == ["$type", "a", "b"]
    assert session.draft["a"] == 1
    assert not dirty(session)
    assert session.redo()
    assert session.redo_label == "Edit b"
    assert "a" not in session.draft
    session.set_property("c", 0)  # a new edit drops the redo history
    assert not session.can_redo
    assert not session.redo()


async def test_diff_shows_the_exact_bytes_that_will_be_written(store: StorageBase) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    session.set_property("prefs", {"n": 2})
    diff = session.diff()
    assert diff.old_body == (await store.read_raw([KEY]))[KEY].body
    assert diff.etag == session.etag
    await session.save()
    assert diff.new_body == (await store.read_raw([KEY]))[KEY].body
    assert '-    "n": 1' in diff.unified()
    assert '+    "n": 2' in diff.unified()


async def test_save_against_a_changed_item_raises_and_keeps_the_draft(
    store: StorageBase, tmp_path: Path
) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    session.set_property("prefs", {"n": "mine"})
    other = SqliteStorage(tmp_path / "state.db") if isinstance(store, SqliteStorage) else store
    async with other:
        await put(other, KEY, {**USER, "prefs": {"n": "theirs"}})
    with pytest.raises(ETagConflictError, match="changed by someone else"):
        await session.save()
    assert session.draft["prefs"] == {"n": "mine"}
    assert dirty(session)
    assert (await stored(store, KEY))["prefs"] == {"n": "theirs"}  # type: ignore[index]


async def test_overwrite_needs_the_seen_version_and_is_checked_against_it(
    store: StorageBase,
) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    session.set_property("prefs", {"n": "mine"})
    await put(store, KEY, {**USER, "prefs": {"n": "theirs-1"}})
    with pytest.raises(ValueError, match="compare it before"):
        await session.overwrite("whatever")
    theirs = await session.fetch_theirs()
    assert theirs is not None
    assert theirs.etag != session.etag
    assert '"theirs-1"' in session.diff(against=theirs).old_text
    await put(store, KEY, {**USER, "prefs": {"n": "theirs-2"}})  # a third change, unseen
    with pytest.raises(ETagConflictError):
        await session.overwrite(theirs.etag or "")
    assert (await stored(store, KEY))["prefs"] == {"n": "theirs-2"}  # type: ignore[index]
    theirs = await session.fetch_theirs()
    assert theirs is not None
    with pytest.raises(ValueError, match="not the one"):
        await session.overwrite("stale-etag")
    await session.overwrite(theirs.etag or "")
    assert (await stored(store, KEY))["prefs"] == {"n": "mine"}  # type: ignore[index]
    assert not dirty(session)


async def test_reload_theirs_keeps_my_draft_aside(store: StorageBase) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    session.set_property("prefs", {"n": "mine"})
    await put(store, KEY, {**USER, "prefs": {"n": "theirs"}})
    await session.reload_theirs()
    assert session.aside is not None
    assert session.aside["prefs"] == {"n": "mine"}
    assert session.draft["prefs"] == {"n": "theirs"}
    assert not dirty(session)
    session.set_property("prefs", {"n": "again"})
    await session.save()  # now based on their etag: no conflict
    assert (await stored(store, KEY))["prefs"] == {"n": "again"}  # type: ignore[index]
    assert session.aside is None  # the save settled it: not offered again


async def test_reload_theirs_after_delete_is_typed(store: StorageBase) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    session.set_property("prefs", 1)
    await store.delete_raw(KEY)
    with pytest.raises(ETagConflictError):
        await session.save()
    with pytest.raises(ItemNotFoundError):
        await session.reload_theirs()
    assert session.theirs is None
    assert session.draft["prefs"] == 1


async def test_delete_state_is_pending_undoable_and_etag_checked(store: StorageBase) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    session.delete_state()
    assert dirty(session)
    assert session.diff().is_delete
    session.undo()
    assert not dirty(session)
    session.redo()
    await put(store, KEY, {"changed": True})
    with pytest.raises(ETagConflictError):
        await session.save()
    assert await stored(store, KEY) == {"changed": True}
    await session.reload_theirs()
    session.delete_state()
    assert await session.save() is None
    assert await stored(store, KEY) is None
    assert session.gone
    assert not dirty(session)


async def test_revert_discards_everything(store: StorageBase) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    session.set_property("prefs", 5)
    session.delete_state()
    session.revert()
    assert not dirty(session)
    assert not session.can_undo
    assert session.draft == USER


async def test_replace_document_follows_the_new_member_order(store: StorageBase) -> None:
    await put(store, KEY, {"a": 1, "b": 2})
    session = await EditSession.load(store, KEY)
    session.replace_document({"b": 2, "a": 1, "c": 3}, label="Revert to version 1")
    assert list(session.draft) == ["b", "a", "c"]
    session.undo()
    assert list(session.draft) == ["a", "b"]
    assert not dirty(session)


@pytest.mark.parametrize(("document", "left"), [(PY_DIALOG, "main"), (JS_DIALOG, "main")])
async def test_pop_and_clear_dialog_stack_are_pending_edits(
    store: StorageBase, document: dict[str, object], left: str
) -> None:
    await put(store, KEY, document)
    session = await EditSession.load(store, KEY)
    assert [f.id for f in session.dialog_stack()] == ["top", "main"]
    session.pop_active_dialog()
    assert session.undo_label == "Pop dialog top"
    assert [f.id for f in session.dialog_stack()] == [left]
    assert await stored(store, KEY) == document  # still pending
    session.clear_dialog_stack()
    assert session.dialog_stack() == []
    with pytest.raises(DialogStackError, match="empty"):
        session.pop_active_dialog()
    await session.save()
    saved = await stored(store, KEY)
    assert saved is not None
    assert read_tags(saved) == read_tags(document)


def read_tags(document: dict[str, object]) -> object:
    state = document["DialogState"]
    assert isinstance(state, dict)
    return state.get("py/object")


async def test_read_only_store_refuses_save_and_keeps_the_draft(tmp_path: Path) -> None:
    async with SqliteStorage(tmp_path / "state.db") as writable:
        await put(writable, KEY, USER)
    async with SqliteStorage(tmp_path / "state.db", read_only=True) as store:
        session = await EditSession.load(store, KEY)
        session.set_property("prefs", 1)
        with pytest.raises(ReadOnlyError):
            await session.save()
        assert dirty(session)


async def test_listeners_hear_every_change(store: StorageBase) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    heard: list[bool] = []
    session.add_listener(lambda s: heard.append(s.is_dirty))
    session.set_property("prefs", 1)
    session.undo()
    session.redo()
    await session.save()
    assert heard == [True, False, True, False]


async def test_refresh_takes_a_new_snapshot_only_when_nothing_is_pending(
    store: StorageBase,
) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    newer = await put(store, KEY, {"fresh": 1})
    assert session.refresh(newer)
    assert session.draft == {"fresh": 1}
    assert session.etag == newer.etag
    session.set_property("fresh", 2)
    newest = await put(store, KEY, {"fresh": 3})
    assert not session.refresh(newest)  # pending edits stay on their base
    assert session.etag == newer.etag
    assert session.draft == {"fresh": 2}


DOTNET = {
    "$type": "MyBot.ConversationData, MyBot",
    "DialogState": {
        "$type": "Microsoft.Bot.Builder.Dialogs.DialogState, Microsoft.Bot.Builder.Dialogs",
        "dialogStack": {
            "$type": "System.Collections.Generic.List`1[[DialogInstance]], System.Private.CoreLib",
            "$values": [
                {"$type": "...DialogInstance", "id": "top", "state": {}},
                {"$type": "...DialogInstance", "id": "main", "state": {}},
            ],
        },
    },
    "Count": 1,
}


async def test_dotnet_type_stays_first_and_its_stack_keeps_its_form(store: StorageBase) -> None:
    await put(store, KEY, DOTNET)
    session = await EditSession.load(store, KEY)
    assert session.property_names() == ["DialogState", "Count"]
    session.remove_property("Count")
    session.add_property("Count", 2)  # re-added at the end, after DialogState
    session.pop_active_dialog()
    assert [f.id for f in session.dialog_stack()] == ["main"]
    written = await session.save()
    assert written is not None
    assert written.body.startswith(b'{"$type":"MyBot.ConversationData, MyBot"')
    saved = store.decode(written)
    stack = saved["DialogState"]["dialogStack"]
    assert stack["$type"].startswith("System.Collections.Generic.List")
    assert [f["id"] for f in stack["$values"]] == ["main"]
    assert list(saved) == ["$type", "DialogState", "Count"]


async def test_a_root_py_object_tag_is_kept_not_a_property(store: StorageBase) -> None:
    await put(store, KEY, {"py/object": "__main__.MyItem", "counter": 7})
    session = await EditSession.load(store, KEY)
    assert session.property_names() == ["counter"]
    with pytest.raises(ValueError, match="stored type"):
        session.remove_property("py/object")
    session.set_property("counter", 8)
    written = await session.save()
    assert written is not None
    assert written.body.startswith(b'{"py/object":"__main__.MyItem"')


async def test_recreate_after_someone_deleted_it_is_a_create(store: StorageBase) -> None:
    await put(store, KEY, USER)
    session = await EditSession.load(store, KEY)
    session.set_property("prefs", {"n": "mine"})
    await store.delete_raw(KEY)
    with pytest.raises(ValueError, match="not known to be deleted"):
        await session.recreate()
    assert await session.fetch_theirs() is None
    await put(store, KEY, {"back": True})  # someone recreated it meanwhile
    with pytest.raises(ETagConflictError):
        await session.recreate()
    assert await stored(store, KEY) == {"back": True}
    await store.delete_raw(KEY)
    await session.fetch_theirs()
    written = await session.recreate()
    assert written.etag is not None
    assert await stored(store, KEY) == {**USER, "prefs": {"n": "mine"}}
    assert not dirty(session)
