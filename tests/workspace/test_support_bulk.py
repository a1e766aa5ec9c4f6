"""Bulk changes (``workspace.bulk``) planned and applied as one operation, on every backend."""

from __future__ import annotations

import pytest

from explorer.core.errors import ReadOnlyError
from explorer.core.items import RawItem
from explorer.storage import Storage
from explorer.workspace.bulk import (
    ClearDialogs,
    Delete,
    SetProperty,
    UnsetProperty,
    keys_with_prefix,
    plan_bulk,
)
from explorer.workspace.operations import apply_changes, revert_operation
from explorer.workspace.safe_write import SafeWriter
from explorer.workspace.user_lookup import find_user
from tests.support.support_stores import (
    TEAMS_CONV,
    USER,
    Place,
)


async def _all(store: Storage) -> dict[str, RawItem]:
    return await store.read_raw([k async for k in store.iter_keys("")])


async def test_set_keeps_every_byte_outside_the_change(
    store: Storage, writer: SafeWriter, place: Place
) -> None:
    before = await _all(store)
    keys = await keys_with_prefix(store, "msteams/users/")
    plan = await plan_bulk(store, keys, SetProperty("UserProfile.lang", "de"))
    assert len(plan.changes) == len(keys)  # every one has a UserProfile object
    result = await apply_changes(writer, store, plan.changes)
    assert result.complete
    after = await _all(store)
    user = place.stored(f"msteams/users/{USER}")
    assert store.decode(after[user]) == {"UserProfile": {"name": "Ada Lovelace", "lang": "de"}}
    if not place.kind.startswith("cosmos"):  # a Cosmos body also holds server members
        assert after[user].body == before[user].body.replace(b'"en"', b'"de"')
    assert after[user].stored_name == before[user].stored_name
    untouched = [k for k in before if not k.startswith("msteams/users/")]
    assert all(after[k].body == before[k].body for k in untouched)
    again = await plan_bulk(store, keys, SetProperty("UserProfile.lang", "de"))
    assert again.changes == []
    assert {why for _, why in again.unchanged} == {"UserProfile.lang is already set to this value"}
    undo = await revert_operation(writer, store, result.operation)
    assert undo.complete
    restored = await _all(store)
    assert {k: v.body for k, v in restored.items()} == {k: v.body for k, v in before.items()}


async def test_unset_by_user_and_pointer_paths(store: Storage, writer: SafeWriter) -> None:
    keys = (await find_user(store, USER)).keys
    plan = await plan_bulk(store, keys, UnsetProperty("/UserProfile/lang"))
    assert len(plan.changes) == 2  # msteams and msteams:COPILOT; the others lack it
    assert {why for _, why in plan.unchanged} == {"no property /UserProfile/lang"}
    assert len(plan.unchanged) == len(keys) - 2
    result = await apply_changes(writer, store, plan.changes)
    assert result.complete
    for key in result.done:
        assert "lang" not in store.decode((await store.read_raw([key]))[key])["UserProfile"]


async def test_clear_dialogs_only_where_there_is_a_stack(
    store: Storage, writer: SafeWriter, place: Place
) -> None:
    keys = await keys_with_prefix(store, "msteams/conversations/")
    plan = await plan_bulk(store, keys, ClearDialogs())
    conv = place.stored(f"msteams/conversations/{TEAMS_CONV}")
    assert [c.key for c in plan.changes] == [conv]
    assert {why for _, why in plan.unchanged} == {"no dialog stack"}
    result = await apply_changes(writer, store, plan.changes)
    assert result.complete
    document = store.decode((await store.read_raw([conv]))[conv])
    assert document == {"DialogState": {"dialogStack": []}, "ConversationData": {"members": 2}}
    again = await plan_bulk(store, [conv], ClearDialogs())
    assert again.unchanged == [(conv, "the dialog stack is already empty")]


async def test_a_conflict_in_the_middle_of_a_bulk_run(
    store: Storage, writer: SafeWriter, place: Place
) -> None:
    before = await _all(store)
    keys = await keys_with_prefix(store, "msteams/users/")
    plan = await plan_bulk(store, keys, Delete())
    victim = plan.changes[len(plan.changes) // 2].key

    async def a_bot_writes(done: int, total: int, key: str) -> None:
        if done == 1:
            item = (await store.read_raw([victim]))[victim]
            changed = store.encode(victim, {"UserProfile": {"by": "the bot"}}, like=item)
            await store.write_raw(changed, if_match=item.etag)

    result = await apply_changes(writer, store, plan.changes, on_item=a_bot_writes)
    assert [k for k, _ in result.conflicts] == [victim]
    assert len(result.done) == len(plan.changes) - 1
    left = await _all(store)
    assert store.decode(left[victim]) == {"UserProfile": {"by": "the bot"}}
    assert not set(result.done) & set(left)
    undo = await revert_operation(writer, store, result.operation)
    assert undo.complete
    restored = await _all(store)
    assert set(restored) == set(before)
    assert store.decode(restored[victim]) == {"UserProfile": {"by": "the bot"}}
    assert all(restored[k].body == before[k].body for k in result.done)


async def test_items_that_cannot_take_the_change_are_left_with_a_reason(store: Storage) -> None:
    keys = await keys_with_prefix(store, "msteams/users/")
    plan = await plan_bulk(store, keys, SetProperty("UserProfile.name.first", "Ada"))
    assert plan.changes == []
    assert all("is a str, not an object" in why for _, why in plan.unchanged)
    plan = await plan_bulk(store, [*keys, "msteams/users/nobody"], SetProperty("New.x", 1))
    assert plan.missing == ["msteams/users/nobody"]
    assert len(plan.changes) == len(keys)


async def test_read_only_refuses_the_run(place: Place, writer: SafeWriter) -> None:
    async with place.opener(True) as store:
        keys = await keys_with_prefix(store, "msteams/users/")
        plan = await plan_bulk(store, keys, Delete())  # planning reads only
        with pytest.raises(ReadOnlyError):
            await apply_changes(writer, store, plan.changes)
        assert len(await store.read_raw(keys)) == len(keys)
