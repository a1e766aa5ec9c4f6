"""StatePropertyAccessor: get with default or factory, set, delete, all on the turn cache."""

from __future__ import annotations

from typing import Any

import pytest

from explorer.state import PropertyNotFoundError, StatePropertyAccessor, Turn, UserState
from explorer.storage import StorageBase

USER_KEY = "webchat/users/dl_123|abc"


def turn() -> Turn:
    return Turn("webchat", "dl_123|abc", "conv|0000")


async def test_get_returns_the_stored_value(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"UserProfile": {"name": "Ada"}}})
    prop = UserState(storage).create_property("UserProfile")
    assert await prop.get(turn()) == {"name": "Ada"}


async def test_missing_without_default_raises_a_key_error_naming_property_and_key(
    storage: StorageBase,
) -> None:
    prop = UserState(storage).create_property("UserProfile")
    with pytest.raises(PropertyNotFoundError) as caught:
        await prop.get(turn())
    assert isinstance(caught.value, KeyError)
    assert caught.value.name == "UserProfile"
    assert caught.value.key == USER_KEY
    assert "'UserProfile'" in str(caught.value)
    assert repr(USER_KEY) in str(caught.value)


async def test_a_stored_null_is_a_value(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"UserProfile": None}})
    prop = UserState(storage).create_property("UserProfile")
    assert await prop.get(turn(), {"name": "default"}) is None


async def test_a_default_is_copied_so_mutations_do_not_leak(storage: StorageBase) -> None:
    state = UserState(storage)
    prop = state.create_property("UserProfile")
    default: dict[str, Any] = {"tags": [], "visits": 0}
    first = await prop.get(turn(), default)
    first["tags"].append("x")
    first["visits"] += 1
    assert default == {"tags": [], "visits": 0}
    assert await prop.get(turn(), default) == {"tags": [], "visits": 0}


@pytest.mark.parametrize("falsy", [0, "", {}, [], False])
async def test_a_falsy_default_is_a_default(storage: StorageBase, falsy: Any) -> None:
    t = turn()
    prop = UserState(storage).create_property("p")
    assert await prop.get(t, falsy) == falsy
    assert await prop.get(t) == falsy  # cached in the turn


async def test_a_factory_result_is_cached_and_saved(storage: StorageBase) -> None:
    state = UserState(storage)
    prop = state.create_property("UserProfile")
    calls: list[int] = []

    def factory() -> dict[str, Any]:
        calls.append(1)
        return {"name": "new"}

    t = turn()
    value = await prop.get(t, factory)
    assert await prop.get(t, factory) is value
    assert await prop.get(t) is value
    assert len(calls) == 1
    await state.save_changes(t)
    assert (await storage.read([USER_KEY]))[USER_KEY]["UserProfile"] == {"name": "new"}


async def test_a_class_is_a_factory(storage: StorageBase) -> None:
    prop = UserState(storage).create_property("seen")
    assert await prop.get(turn(), list) == []


async def test_get_is_cached_in_the_turn(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"p": {"n": 1}}})
    prop = UserState(storage).create_property("p")
    t = turn()
    first = await prop.get(t)
    await storage.write({USER_KEY: {"p": {"n": 2}}})
    assert await prop.get(t) is first


async def test_set_then_save(storage: StorageBase) -> None:
    state = UserState(storage)
    t = turn()
    await state.create_property("a").set(t, [1, 2])
    await state.create_property("b").set(t, "x")
    await state.save_changes(t)
    stored = (await storage.read([USER_KEY]))[USER_KEY]
    assert {k: v for k, v in stored.items() if k != "e_tag"} == {"a": [1, 2], "b": "x"}


async def test_delete_removes_only_that_property(storage: StorageBase) -> None:
    await storage.write({USER_KEY: {"a": 1, "b": 2}})
    state = UserState(storage)
    t = turn()
    await state.create_property("a").delete(t)
    await state.create_property("missing").delete(t)  # a no-op
    await state.save_changes(t)
    stored = (await storage.read([USER_KEY]))[USER_KEY]
    assert {k: v for k, v in stored.items() if k != "e_tag"} == {"b": 2}


async def test_accessors_of_one_bucket_share_the_document(storage: StorageBase) -> None:
    state = UserState(storage)
    t = turn()
    await state.create_property("a").set(t, 1)
    assert await state.create_property("a").get(t) == 1
    assert state.get(t) == {"a": 1}


def test_a_property_needs_a_name(storage: StorageBase) -> None:
    with pytest.raises(ValueError, match="name"):
        UserState(storage).create_property("")
    assert isinstance(UserState(storage).create_property("x"), StatePropertyAccessor)
