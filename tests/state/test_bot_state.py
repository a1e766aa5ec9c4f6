"""BotState rules: per-turn cache, change detection, concurrency, clear, delete, buckets."""

from __future__ import annotations

from typing import Any

import pytest

from explorer.state import (
    BotState,
    ConversationState,
    PrivateConversationState,
    Turn,
    TurnLike,
    UserState,
)
from explorer.storage import ETagConflictError, StorageBase

from .support import stored_etag

USER_KEY = "msteams/users/29:1AbC"
CONV_KEY = "msteams/conversations/19:meeting@thread.v2"


def turn() -> Turn:
    return Turn("msteams", "29:1AbC", "19:meeting@thread.v2")


# -- the per-turn cache -------------------------------------------------------


async def test_load_reads_the_document_without_storage_members(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"prefs": {"lang": "en"}}})
    state = UserState(storage)
    t = turn()
    await state.load(t)
    assert state.get(t) == {"prefs": {"lang": "en"}}


async def test_missing_item_loads_as_empty_document(storage: StorageBase) -> None:
    state = UserState(storage)
    t = turn()
    await state.load(t)
    assert state.get(t) == {}


async def test_get_before_load_is_none(storage: StorageBase) -> None:
    assert UserState(storage).get(turn()) is None


async def test_cache_is_shared_within_a_turn_and_fresh_on_a_new_turn(
    storage: StorageBase,
) -> None:
    state = UserState(storage)
    prop = state.create_property("count")
    first = turn()
    await prop.set(first, 1)
    await storage.write({USER_KEY: {"count": 99}})  # someone else, after our load
    await state.load(first)  # not forced: the cache stays
    assert await prop.get(first) == 1
    assert await prop.get(turn()) == 99  # a new turn reads afresh


async def test_forced_load_reads_again_and_drops_unsaved_changes(storage: StorageBase) -> None:
    state = UserState(storage)
    prop = state.create_property("count")
    t = turn()
    await prop.set(t, 1)
    await state.load(t, force=True)
    assert state.get(t) == {}


async def test_the_cache_lives_in_turn_state(storage: StorageBase) -> None:
    state = UserState(storage)
    t = turn()
    await state.load(t)
    assert state.cache_key in t.turn_state
    t.turn_state.clear()
    assert state.get(t) is None


async def test_two_buckets_of_one_class_do_not_share_a_turn_cache(storage: StorageBase) -> None:
    from explorer.storage import MemoryStorage

    other_store = MemoryStorage()
    await other_store.write({USER_KEY: {"where": "other"}})
    await storage.write({USER_KEY: {"where": "main"}})
    t = turn()
    main, other = UserState(storage), UserState(other_store)
    assert await main.create_property("where").get(t) == "main"
    assert await other.create_property("where").get(t) == "other"


# -- change detection ---------------------------------------------------------


async def test_unchanged_state_is_not_written(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"count": 1}})
    before = await stored_etag(storage, USER_KEY)
    state = UserState(storage)
    t = turn()
    assert await state.create_property("count").get(t) == 1
    await state.save_changes(t)
    assert await stored_etag(storage, USER_KEY) == before


async def test_reading_a_missing_item_does_not_create_it(storage: StorageBase) -> None:
    state = UserState(storage)
    t = turn()
    await state.load(t)
    await state.save_changes(t)
    assert await storage.read([USER_KEY]) == {}


async def test_a_nested_mutation_is_detected_and_written(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"profile": {"tags": ["a"]}}})
    state = UserState(storage)
    t = turn()
    profile = await state.create_property("profile").get(t)
    profile["tags"].append("b")  # mutate in place, no set()
    await state.save_changes(t)
    stored = (await storage.read([USER_KEY]))[USER_KEY]
    assert stored["profile"] == {"tags": ["a", "b"]}


async def test_setting_the_same_value_is_not_a_change(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"count": 1}})
    before = await stored_etag(storage, USER_KEY)
    state = UserState(storage)
    t = turn()
    await state.create_property("count").set(t, 1)
    await state.save_changes(t)
    assert await stored_etag(storage, USER_KEY) == before


async def test_force_writes_unchanged_state(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"count": 1}})
    before = await stored_etag(storage, USER_KEY)
    state = UserState(storage)
    t = turn()
    await state.load(t)
    await state.save_changes(t, force=True)
    assert await stored_etag(storage, USER_KEY) != before
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 1


async def test_after_a_save_the_same_state_is_not_written_again(storage: StorageBase) -> None:
    state = UserState(storage)
    t = turn()
    await state.create_property("count").set(t, 1)
    await state.save_changes(t)
    saved = await stored_etag(storage, USER_KEY)
    await state.save_changes(t)
    assert await stored_etag(storage, USER_KEY) == saved


async def test_save_without_load_writes_nothing(storage: StorageBase) -> None:
    await UserState(storage).save_changes(turn(), force=True)
    assert await storage.read([USER_KEY]) == {}


async def test_saving_one_bucket_never_writes_another(storage: StorageBase) -> None:
    await storage.write({CONV_KEY: {"topic": "x"}})
    conv_etag = await stored_etag(storage, CONV_KEY)
    users, conversations = UserState(storage), ConversationState(storage)
    t = turn()
    await conversations.create_property("topic").set(t, "changed")
    await users.create_property("count").set(t, 1)
    await users.save_changes(t)
    assert await stored_etag(storage, CONV_KEY) == conv_etag
    assert (await storage.read([CONV_KEY]))[CONV_KEY]["topic"] == "x"
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 1


# -- concurrency ---------------------------------------------------------------


async def test_last_write_wins_overwrites_a_change_made_since_load(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"count": 1}})
    state = UserState(storage)
    t = turn()
    await state.create_property("count").set(t, 2)
    await storage.write({USER_KEY: {"count": 50}})
    await state.save_changes(t)
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 2


async def test_optimistic_refuses_to_overwrite_a_change_made_since_load(
    storage: StorageBase,
) -> None:
    await storage.write({USER_KEY: {"count": 1}})
    state = UserState(storage, concurrency="optimistic")
    t = turn()
    await state.create_property("count").set(t, 2)
    await storage.write({USER_KEY: {"count": 50}})
    with pytest.raises(ETagConflictError) as caught:
        await state.save_changes(t)
    assert caught.value.key == USER_KEY
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 50
    assert state.get(t) == {"count": 2}  # the change is kept for a retry
    await state.load(t, force=True)  # reload, apply again, save
    await state.create_property("count").set(t, 51)
    await state.save_changes(t)
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 51


async def test_optimistic_does_not_create_over_an_item_created_since_load(
    storage: StorageBase,
) -> None:
    state = UserState(storage, concurrency="optimistic")
    t = turn()
    await state.create_property("count").set(t, 1)  # loaded: missing
    await storage.write({USER_KEY: {"count": 7}})
    with pytest.raises(ETagConflictError):
        await state.save_changes(t)
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 7


async def test_optimistic_saves_twice_in_one_turn(storage: StorageBase) -> None:
    state = UserState(storage, concurrency="optimistic")
    prop = state.create_property("count")
    t = turn()
    await prop.set(t, 1)
    await state.save_changes(t)
    await prop.set(t, 2)
    await state.save_changes(t)  # uses the etag of its own first save
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 2
    await storage.write({USER_KEY: {"count": 9}})
    await prop.set(t, 3)
    with pytest.raises(ETagConflictError):
        await state.save_changes(t)


async def test_two_optimistic_turns_on_one_item_lose_no_update(storage: StorageBase) -> None:
    state = UserState(storage, concurrency="optimistic")
    prop = state.create_property("count")
    a, b = turn(), turn()
    await prop.set(a, (await prop.get(a, 0)) + 1)
    await prop.set(b, (await prop.get(b, 0)) + 1)
    await state.save_changes(a)
    with pytest.raises(ETagConflictError):
        await state.save_changes(b)
    retry = turn()
    await prop.set(retry, (await prop.get(retry, 0)) + 1)
    await state.save_changes(retry)
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 2


# -- clear and delete ------------------------------------------------------------


@pytest.mark.parametrize("concurrency", ["last_write_wins", "optimistic"])
async def test_clear_state_empties_the_document_on_the_next_save(
    storage: StorageBase, concurrency: Any
) -> None:
    await storage.write({USER_KEY: {"count": 1, "name": "Ada"}})
    state = UserState(storage, concurrency=concurrency)
    t = turn()
    await state.clear_state(t)
    assert state.get(t) == {}
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 1  # not yet
    await state.save_changes(t)
    assert set((await storage.read([USER_KEY]))[USER_KEY]) == {"e_tag"}


async def test_optimistic_clear_still_checks_the_etag(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"count": 1}})
    state = UserState(storage, concurrency="optimistic")
    t = turn()
    await state.clear_state(t)
    await storage.write({USER_KEY: {"count": 2}})
    with pytest.raises(ETagConflictError):
        await state.save_changes(t)


async def test_delete_removes_the_item_and_the_cache(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"count": 1}, CONV_KEY: {"topic": "x"}})
    state = UserState(storage)
    t = turn()
    await state.load(t)
    await state.delete(t)
    assert state.get(t) is None
    assert await storage.read([USER_KEY, CONV_KEY]) == {
        CONV_KEY: {"topic": "x", "e_tag": await stored_etag(storage, CONV_KEY)}
    }
    await state.delete(t)  # missing: a no-op
    assert await state.create_property("count").get(t, 0) == 0  # loads afresh


async def test_optimistic_delete_refuses_a_changed_item(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"count": 1}})
    state = UserState(storage, concurrency="optimistic")
    t = turn()
    await state.load(t)
    await storage.write({USER_KEY: {"count": 2}})
    with pytest.raises(ETagConflictError):
        await state.delete(t)
    assert (await storage.read([USER_KEY]))[USER_KEY]["count"] == 2


# -- buckets and keys ------------------------------------------------------------

KEYS = {
    "plain": (
        "msteams/users/29:1AbC",
        "msteams/conversations/19:meeting@thread.v2",
        "msteams/conversations/19:meeting@thread.v2/users/29:1AbC",
    ),
    "python": (
        "msteams/users/29:1AbC",
        "msteams/conversations/19:meeting@thread.v2",
        "msteams/conversations/19:meeting@thread.v2/users/29:1AbC/",
    ),
    "js": (
        "msteams/users/29:1AbC/",
        "msteams/conversations/19:meeting@thread.v2/",
        "msteams/conversations/19:meeting@thread.v2/users/29:1AbC/",
    ),
}


@pytest.mark.parametrize("style", ["plain", "python", "js"])
async def test_each_bucket_saves_under_its_key_in_the_chosen_style(
    storage: StorageBase, style: Any
) -> None:
    t = turn()
    buckets = [
        UserState(storage, key_style=style),
        ConversationState(storage, key_style=style),
        PrivateConversationState(storage, key_style=style),
    ]
    for bucket, key in zip(buckets, KEYS[style], strict=True):
        assert bucket.get_storage_key(t) == key
        await bucket.create_property("who").set(t, type(bucket).__name__)
        await bucket.save_changes(t)
    stored = {key: doc["who"] async for key, doc in _all(storage)}
    assert stored == dict(zip(KEYS[style], [type(b).__name__ for b in buckets], strict=True))


async def _all(storage: StorageBase) -> Any:
    keys = [key async for key in storage.iter_keys()]
    for key, doc in (await storage.read(keys)).items():
        yield key, doc


class TenantState(BotState):
    """A custom bucket: one document per tenant, from the channel id."""

    def get_storage_key(self, turn: TurnLike) -> str:
        assert isinstance(turn, Turn)
        return f"tenants/{turn.channel_id}"


async def test_a_custom_bucket_overrides_get_storage_key(storage: StorageBase) -> None:
    state = TenantState(storage)
    t = turn()
    await state.create_property("plan").set(t, "gold")
    await state.save_changes(t)
    assert (await storage.read(["tenants/msteams"]))["tenants/msteams"]["plan"] == "gold"


async def test_the_base_class_says_it_needs_a_key(storage: StorageBase) -> None:
    with pytest.raises(NotImplementedError, match="get_storage_key"):
        await BotState(storage).load(turn())


@pytest.mark.parametrize(
    ("option", "value"), [("key_style", "dotnet"), ("concurrency", "pessimistic")]
)
def test_unknown_options_are_refused(option: str, value: str) -> None:
    from explorer.storage import MemoryStorage

    with pytest.raises(ValueError, match=value):
        UserState(MemoryStorage(), **{option: value})
