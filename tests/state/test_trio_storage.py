"""Buckets over a storage that has only read / write / delete (botbuilder's shape)."""

from __future__ import annotations

import pytest

from explorer.state import Turn, UserState
from explorer.storage import ETagConflictError

from .support import TrioStorage

KEY = "msteams/users/u"


def turn() -> Turn:
    return Turn("msteams", "u", "c")


async def test_reading_never_changes_the_stored_object() -> None:
    storage = TrioStorage()
    await storage.write({KEY: {"profile": {"n": 1}}})
    state = UserState(storage)
    t = turn()
    profile = await state.create_property("profile").get(t)
    profile["n"] = 2
    assert storage.items[KEY]["profile"] == {"n": 1}
    assert "e_tag" in storage.items[KEY]
    assert "e_tag" not in state.get(t)  # type: ignore[operator]


async def test_last_write_wins_writes_without_etag_and_only_when_changed() -> None:
    storage = TrioStorage()
    await storage.write({KEY: {"n": 1}})
    state = UserState(storage)
    t = turn()
    await state.load(t)
    await state.save_changes(t)
    assert storage.writes == 1  # unchanged: not written
    await storage.write({KEY: {"n": 5}})
    await state.create_property("n").set(t, 2)
    await state.save_changes(t)
    assert storage.items[KEY]["n"] == 2


async def test_optimistic_checks_the_etag_and_learns_the_new_one() -> None:
    storage = TrioStorage()
    await storage.write({KEY: {"n": 1}})
    state = UserState(storage, concurrency="optimistic")
    prop = state.create_property("n")
    t = turn()
    await prop.set(t, 2)
    await state.save_changes(t)
    await prop.set(t, 3)
    await state.save_changes(t)  # re-read its own etag after the first save
    assert storage.items[KEY]["n"] == 3
    await storage.write({KEY: {"n": 9}})
    await prop.set(t, 4)
    with pytest.raises(ETagConflictError):
        await state.save_changes(t)
    assert storage.items[KEY]["n"] == 9
