"""A real botbuilder-python 4.17.1 waterfall bot runs on our storages, a fresh process per turn.

The bot (``peer/waterfall_bot.py``: a ``TextPrompt`` and a ``NumberPrompt`` in a
waterfall, a registered ``UserProfile`` class in user state) opens our SQLite,
Blob (Azurite) or Cosmos (emulator) store with ``objects=True``. Its replies
are the ones it gives on botbuilder's own ``BlobStorage``; between turns our
CLI's ``get`` shows its dialog stack (tags as members) and our dialogs helpers
read it. Popping the active dialog the way the explorer edits (raw item,
``pop_active``, written back in its own form with If-Match) changes the bot's
next turn: the waterfall takes the text the number prompt would have refused.
A conversation moves from botbuilder's own Blob / Cosmos storage to ours and
back, each reading what the other wrote; what ours wrote is what botbuilder's
jsonpickle writes for the same objects (a blob body byte for byte, but for the
stale ``e_tag`` member botbuilder's ``BlobStorage`` adds and we never store).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.cosmos.aio import CosmosClient

from explorer.state import pop_active, read_stack
from tests.storage.waterfall_support import (
    CONVERSATION,
    DIALOG_STATE,
    PEER,
    REPLIES,
    TURNS,
    USER,
    Place,
    bot,
)
from tests.support import botbuilder_venv
from tests.support.azurite import Azurite, unique_container
from tests.support.cosmos_emulator import Emulator, unique_name

pytestmark = pytest.mark.peer
EMULATED = pytest.mark.emulator


@pytest.fixture
async def cosmos_place(cosmos_emulator: Emulator) -> AsyncIterator[Place]:
    """A Cosmos place in a fresh database (bots create containers, not databases)."""
    database = unique_name("wf")
    endpoint, key = cosmos_emulator.endpoint, cosmos_emulator.key
    async with CosmosClient(endpoint, key, connection_verify=False) as client:
        await client.create_database(database)
        spec = {"endpoint": endpoint, "key": key, "database": database, "container": "state"}
        yield Place(
            "cosmos",
            {**spec, "kind": "cosmos"},
            f"cosmos://{database}/state",
            {"endpoint": endpoint, "key": key, "insecure": True},
            ("--endpoint", endpoint, "--key", key, "--insecure"),
        )
        await client.delete_database(database)


@pytest.fixture(
    params=["sqlite", pytest.param("blob", marks=EMULATED), pytest.param("cosmos", marks=EMULATED)]
)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    if request.param == "sqlite":
        path = tmp_path / "bot state.db"
        yield Place("sqlite", {"kind": "sqlite", "path": str(path)}, f"sqlite:{path}")
    elif request.param == "blob":
        azurite: Azurite = request.getfixturevalue("azurite")
        container, cs = unique_container("wf"), azurite.connection_string
        spec = {"kind": "blob", "connection_string": cs, "container": container}
        yield Place("blob", spec, f"blob://{container}", {"connection_string": cs},
                    ("--connection-string", cs))  # fmt: skip
    else:
        yield request.getfixturevalue("cosmos_place")


@pytest.fixture(scope="module")
def botbuilders_replies(azurite: Azurite) -> list[list[str]]:
    """The same turns on botbuilder's own ``BlobStorage``, a fresh process per turn."""
    spec = {"kind": "bb-blob", "connection_string": azurite.connection_string}
    spec["container"] = unique_container("bbref")
    return [bot(spec, text)["replies"] for text in TURNS]


def stack_ids(document: dict[str, Any]) -> list[str | None]:
    """The dialog stack, active first, as our dialogs helpers read it."""
    return [frame.id for frame in read_stack(document)]


@EMULATED
def test_waterfall_bot_on_our_storage_answers_as_on_botbuilders(
    place: Place, botbuilders_replies: list[list[str]]
) -> None:
    replies, stacks = [], []
    for turn, text in enumerate(TURNS, start=1):
        done = place.bot(text)
        replies.append(done["replies"])
        # the registered class came back as itself (the bot uses attribute access)
        assert done["profile"]["type"] == "UserProfile"
        assert done["profile"]["turns"] == turn
        shown = place.get(CONVERSATION)  # our CLI, between turns
        assert shown["DialogState"]["py/object"] == DIALOG_STATE
        stacks.append(stack_ids(shown))
    assert replies == botbuilders_replies == REPLIES
    assert stacks == [["name", "profile"], ["age", "profile"], []]
    profile = place.get(USER)["UserProfile"]
    assert profile["py/object"] == "waterfall_models.UserProfile"
    assert profile["age"] == {"py/reduce": [{"py/type": "decimal.Decimal"}, {"py/tuple": ["38"]}]}
    assert (profile["name"], profile["turns"]) == ("Ada", 3)


async def test_popping_the_active_dialog_changes_the_bots_next_turn(place: Place) -> None:
    for text in TURNS[:2]:
        place.bot(text)
    async with place.open() as store:  # as the explorer edits: raw item, its own form
        raw = (await store.read_raw([CONVERSATION]))[CONVERSATION]
        document = store.decode(raw)
        assert stack_ids(document) == ["age", "profile"]
        await store.write_raw(
            store.encode(CONVERSATION, pop_active(document), like=raw), if_match=raw.etag
        )
        after = store.decode((await store.read_raw([CONVERSATION]))[CONVERSATION])
    stored = document["DialogState"]["_dialog_stack"]
    assert after["DialogState"] == {"py/object": DIALOG_STATE, "_dialog_stack": stored[1:]}
    assert place.get(CONVERSATION)["DialogState"] == after["DialogState"]

    # the number prompt is gone: the waterfall takes the text itself
    assert place.bot("not telling")["replies"] == ["Thanks Ada, age not telling (str)."]
    assert stack_ids(place.get(CONVERSATION)) == []


def test_without_the_pop_the_number_prompt_refuses_text(tmp_path: Path) -> None:
    """The control for the test above: the same turns, nothing popped."""
    spec = {"kind": "sqlite", "path": str(tmp_path / "control.db")}
    for text in TURNS[:2]:
        bot(spec, text)
    assert bot(spec, "not telling")["replies"] == ["Please give your age as a number."]


#: run in the botbuilder venv: does botbuilder's own jsonpickle write exactly what we stored?
SAME_FORM = """
import json, sys
import jsonpickle
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

stored = json.loads(sys.stdin.read())
restored = Unpickler().restore(json.loads(json.dumps(stored["document"])))
print(json.dumps({
    "flattened": Pickler().flatten(restored) == stored["document"],  # CosmosDbPartitionedStorage
    "encoded": jsonpickle.encode(restored),  # BlobStorage (which adds its stale e_tag)
}))
"""


async def stored_forms(place: Place) -> dict[str, dict[str, Any]]:
    """What our store wrote for the bot: each document, and a blob's body text."""
    forms = {}
    async with place.open() as store:
        for key, raw in (await store.read_raw([CONVERSATION, USER])).items():
            stored = json.loads(raw.body)
            if place.kind == "cosmos":
                forms[key] = {"document": stored["document"]}
            else:
                forms[key] = {"document": stored, "body": raw.body.decode()}
    return forms


@EMULATED
@pytest.mark.parametrize("place", ["blob", "cosmos"], indirect=True)
async def test_a_conversation_moves_between_botbuilders_storage_and_ours(place: Place) -> None:
    theirs, ours = {**place.spec, "kind": f"bb-{place.kind}"}, place.spec
    # botbuilder's storage starts it, ours continues it, botbuilder's finishes it
    done = [bot(theirs, TURNS[0]), bot(ours, TURNS[1])]
    forms = await stored_forms(place)
    assert set(forms) == {CONVERSATION, USER}
    for form in forms.values():
        paths = [PEER, botbuilder_venv.ROOT]
        same = botbuilder_venv.run("-c", SAME_FORM, stdin=json.dumps(form), pythonpath=paths)
        checked = botbuilder_venv.last_json(same.stdout)
        assert checked["flattened"] is True
        if "body" in form:
            assert checked["encoded"] == form["body"]  # byte for byte, minus the e_tag
    done.append(bot(theirs, TURNS[2]))
    assert [turn["replies"] for turn in done] == REPLIES
    assert [turn["profile"]["turns"] for turn in done] == [1, 2, 3]
