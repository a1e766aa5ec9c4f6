"""Object mode on the stores themselves: what a bot opening them with ``objects=True`` gets,
and that nothing changes for anyone else.

- botbuilder's contract for ``read`` / ``write`` arguments, in both modes;
- plain documents are stored byte for byte as without object mode;
- objects are stored in botbuilder's tagged form, given back as objects by
  ``read`` and as tagged JSON by everything else (``read_documents``, a store
  opened without object mode, ``explorer.state``'s buckets);
- a class that ``read`` would not give back is refused at ``write``, naming it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from explorer.core.errors import ObjectNotAllowedError, StorageError
from explorer.state import Turn, UserState
from explorer.storage import MemoryStorage, StorageBase
from explorer.storage.sqlite import SqliteStorage

KEY = "msteams/users/29:1AbC"


class Level(enum.IntEnum):
    LOW = 1


class Settings:
    def __init__(self) -> None:
        self.level = Level.LOW
        self._history = ["a"]


class Unregistered:
    def __init__(self) -> None:
        self.x = 1


Opener = Callable[..., StorageBase]


@pytest.fixture(params=["memory", "sqlite"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens stores over one place: memory stores share their items, SQLite its file."""
    if request.param == "sqlite":
        return lambda **options: SqliteStorage(tmp_path / "bot.db", **options)
    first = MemoryStorage()

    def memory(**options: object) -> StorageBase:
        store = MemoryStorage(**options)  # type: ignore[arg-type]
        store._items = first._items
        return store

    return memory


@pytest.fixture
async def bot_store(opener: Opener) -> AsyncIterator[StorageBase]:
    async with opener(objects=True, state_classes=[Settings, Level]) as store:
        yield store


@pytest.mark.parametrize("objects", [False, True])
async def test_botbuilders_argument_checks(opener: Opener, objects: bool) -> None:
    async with opener(objects=objects) as store:
        with pytest.raises(StorageError) as no_keys:
            await store.read(None)
        assert no_keys.value.args == ("Keys are required when reading",)
        with pytest.raises(StorageError) as no_changes:
            await store.write(None)
        assert no_changes.value.args == ("Changes are required when writing",)
        await store.write({})
        await store.write([])  # type: ignore[arg-type]  # botbuilder's suite writes a list
        await store.write({KEY: {"n": 1}})
        before = await store.read([KEY, "other"])
        with pytest.raises(StorageError, match="its e_tag is empty") as empty:
            await store.write({"other": {"n": 0}, KEY: {"n": 2, "e_tag": ""}})
        assert empty.value.key == KEY
        assert await store.read([KEY, "other"]) == before  # nothing written
        assert list(before) == [KEY]


async def test_plain_documents_are_stored_byte_for_byte_as_without_object_mode(
    opener: Opener,
) -> None:
    document = {"UserProfile": {"name": "Zoë", "tags": ["a"], "n": None}, "py/x": "text"}
    async with opener() as plain, opener(objects=True) as bot:
        await plain.write({"plain": document})
        await bot.write({"bot": document})
        raw = await plain.read_raw(["plain", "bot"])
        assert raw["bot"].body == raw["plain"].body
        assert await bot.read(["bot"]) == {"bot": {**document, "e_tag": raw["bot"].etag}}


async def test_objects_are_stored_tagged_and_given_back_only_to_the_bot(
    opener: Opener, bot_store: StorageBase
) -> None:
    await bot_store.write({KEY: {"Settings": Settings(), "e_tag": "*"}})
    stored = json.loads((await bot_store.read_raw([KEY]))[KEY].body)
    name = f"{Settings.__module__}.Settings"
    assert stored == {
        "Settings": {
            "py/object": name,
            "level": {"py/reduce": [{"py/type": f"{Level.__module__}.Level"}, {"py/tuple": [1]}]},
            "_history": ["a"],
        }
    }
    settings = (await bot_store.read([KEY]))[KEY]["Settings"]
    assert (type(settings), settings.level, settings._history) == (Settings, Level.LOW, ["a"])
    # everyone else sees the tags as members
    assert (await bot_store.read_documents([KEY]))[KEY]["Settings"] == stored["Settings"]
    async with opener() as explorer_view:
        assert (await explorer_view.read([KEY]))[KEY]["Settings"] == stored["Settings"]


async def test_our_state_library_sees_json_on_a_store_in_object_mode(
    bot_store: StorageBase,
) -> None:
    await bot_store.write({KEY: {"Settings": Settings()}})
    state = UserState(bot_store)
    turn = Turn("msteams", "29:1AbC", "c1")
    settings = await state.create_property("Settings").get(turn)
    assert settings["py/object"] == f"{Settings.__module__}.Settings"
    settings["_history"].append("b")
    await state.save_changes(turn)
    again = (await bot_store.read([KEY]))[KEY]["Settings"]
    assert (type(again), again._history) == (Settings, ["a", "b"])


async def test_a_class_read_would_not_give_back_is_refused_at_write(
    bot_store: StorageBase,
) -> None:
    with pytest.raises(ObjectNotAllowedError) as refused:
        await bot_store.write({"other": {"n": 1}, KEY: {"Profile": Unregistered()}})
    assert refused.value.key == KEY
    assert refused.value.type_name == f"{Unregistered.__module__}.Unregistered"
    assert "register_state_class" in str(refused.value)
    assert await bot_store.read_raw([KEY, "other"]) == {}  # nothing written


def test_state_classes_need_object_mode() -> None:
    with pytest.raises(ValueError, match="objects=True"):
        MemoryStorage(state_classes=[Settings])
