"""Operations (``workspace.operations``): forget a user and revert it as one step, on every backend.

Real stores only: a conflict is a real write by another writer between the plan
and the change, made from the run's own progress callback (the middle of a run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.core.errors import ReadOnlyError
from explorer.core.items import RawItem
from explorer.storage import Storage
from explorer.workspace.backups import BackupStore, store_identity
from explorer.workspace.operations import (
    OperationNotFoundError,
    apply_changes,
    delete_plan,
    revert_operation,
)
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.user_lookup import find_user
from tests.support.support_stores import (
    HOLDS_USER,
    USER,
    Place,
)


async def _snapshot(store: Storage) -> dict[str, RawItem]:
    keys = [k async for k in store.iter_keys("")]
    return await store.read_raw(keys)


def _form(item: RawItem) -> tuple[bytes, str, str]:
    return item.body, item.content_type, item.stored_name


async def test_forget_then_revert_restores_every_item_exactly(
    store: Storage, writer: SafeWriter
) -> None:
    before = await _snapshot(store)
    lookup = await find_user(store, USER)
    plan = await delete_plan(store, lookup.keys, "forget")
    assert len(plan) == len(HOLDS_USER)
    result = await apply_changes(writer, store, plan)
    assert result.complete
    assert sorted(result.done) == sorted(lookup.keys)
    after = await _snapshot(store)
    assert set(after) == set(before) - set(lookup.keys)  # decoys and others untouched
    assert all(after[k].body == before[k].body for k in after)
    backups = await writer.backups.operation(store_identity(store), result.operation)
    assert sorted(b.key for b in backups) == sorted(lookup.keys)
    assert {b.action for b in backups} == {"forget"}
    audit = [e for e in await writer.audit.entries() if e.operation == result.operation]
    assert sorted(e.key for e in audit) == sorted(lookup.keys)
    assert {(e.action, e.outcome) for e in audit} == {("forget", "ok")}

    undo = await revert_operation(writer, store, result.operation)
    assert undo.complete
    assert undo.operation != result.operation
    restored = await _snapshot(store)
    assert set(restored) == set(before)
    assert {k: _form(v) for k, v in restored.items()} == {k: _form(v) for k, v in before.items()}

    again = await revert_operation(writer, store, undo.operation)  # undo the undo
    assert again.complete
    assert set(await _snapshot(store)) == set(before) - set(lookup.keys)


async def test_conflict_in_the_middle_of_a_run_is_left_alone(
    store: Storage, writer: SafeWriter
) -> None:
    lookup = await find_user(store, USER)
    plan = await delete_plan(store, lookup.keys, "forget")
    victim = plan[2].key
    meanwhile = {"UserProfile": {"changed": "meanwhile"}}

    async def another_writer(done: int, total: int, key: str) -> None:
        if done == 1:  # after the first item, before the victim: a bot writes it
            item = (await store.read_raw([victim]))[victim]
            await store.write_raw(store.encode(victim, meanwhile, like=item), if_match=item.etag)

    result = await apply_changes(writer, store, plan, on_item=another_writer)
    assert [k for k, _ in result.conflicts] == [victim]
    assert sorted(result.done) == sorted(c.key for c in plan if c.key != victim)
    assert store.decode((await store.read_raw([victim]))[victim]) == meanwhile
    audit = [e for e in await writer.audit.entries() if e.key == victim]
    assert [(e.operation, e.outcome) for e in audit] == [(result.operation, "ETagConflictError")]
    undo = await revert_operation(writer, store, result.operation)
    assert undo.complete
    assert sorted(undo.done) == sorted(result.done)
    assert store.decode((await store.read_raw([victim]))[victim]) == meanwhile


async def test_revert_leaves_an_item_recreated_since(store: Storage, writer: SafeWriter) -> None:
    lookup = await find_user(store, USER)
    result = await apply_changes(writer, store, await delete_plan(store, lookup.keys, "forget"))
    again = lookup.keys[0]
    await store.write_raw(store.encode(again, {"UserProfile": {"new": True}}), create=True)
    undo = await revert_operation(writer, store, result.operation)
    assert [k for k, _ in undo.conflicts] == [again]
    assert "created again" in undo.conflicts[0][1]
    assert store.decode((await store.read_raw([again]))[again]) == {"UserProfile": {"new": True}}
    assert sorted(undo.done) == sorted(lookup.keys[1:])


async def test_read_only_store_refuses_before_any_change(place: Place, writer: SafeWriter) -> None:
    async with place.opener(True) as store:
        lookup = await find_user(store, USER)
        plan = await delete_plan(store, lookup.keys, "forget")
        with pytest.raises(ReadOnlyError):
            await apply_changes(writer, store, plan)
        assert len(await store.read_raw(lookup.keys)) == len(lookup.keys)
    assert await writer.audit.entries() == []


async def test_unknown_operation(store: Storage, writer: SafeWriter) -> None:
    with pytest.raises(OperationNotFoundError, match="no operation 'op-nope'"):
        await revert_operation(writer, store, "op-nope")


async def test_a_backup_file_from_before_operations_gets_the_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old backups.db"
    with sqlite3.connect(path) as conn:  # the schema as released before operation ids
        conn.execute(
            "CREATE TABLE backups (id INTEGER PRIMARY KEY AUTOINCREMENT, store TEXT NOT NULL, "
            "key TEXT NOT NULL, version INTEGER NOT NULL, time TEXT NOT NULL, action TEXT NOT "
            "NULL, existed INTEGER NOT NULL, body BLOB, content_type TEXT, etag TEXT, name TEXT, "
            "dialect TEXT, meta TEXT, last_modified TEXT, state TEXT NOT NULL DEFAULT 'pending', "
            "new_etag TEXT, UNIQUE (store, key, version))"
        )
        conn.execute(
            "INSERT INTO backups (store, key, version, time, action, existed, body, state) "
            "VALUES ('sqlite:/x.db', 'k', 1, 't', 'write', 1, x'7b7d', 'applied')"
        )
    conn.close()
    backups = BackupStore(path)
    try:
        (old,) = await backups.history("sqlite:/x.db", "k")
        assert (old.version, old.body, old.operation) == (1, b"{}", None)
        new = await backups.record("sqlite:/x.db", "k", "forget", None, "op-1")
        assert (new.version, new.operation) == (2, "op-1")
        assert [b.version for b in await backups.operation("sqlite:/x.db", "op-1")] == [2]
    finally:
        backups.close()
