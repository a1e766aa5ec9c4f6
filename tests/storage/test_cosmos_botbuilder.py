"""A real botbuilder-python 4.17.1 bot and this project share one Cosmos DB container.

The bot (botbuilder-azure ``CosmosDbPartitionedStorage`` with azure-cosmos
4.7.0 in its own venv, TLS checks off for the emulator through its documented
``cosmos_client_options={"connection_policy": ...}``) runs turns with
``UserState``, ``ConversationState`` and ``PrivateConversationState`` holding
plain classes (jsonpickle ``py/object`` tags), in both compatibility modes; in
compatibility mode with a conversation id long enough to be truncated (with
compatibility mode off, azure-cosmos 4.7.0 itself refuses ids over 255
characters, so that bot cannot store such keys at all; the Agents SDK python,
on newer azure-cosmos, stores them in full). We list its state with the
CLI, read and edit it through the library (If-Match on the bot's etag), and
its next turns load our edit and keep saving. The js fixture gets the CLI
list/get/set treatment (no js bot runs here). The id escape is compared with
botbuilder's own ``CosmosDbKeyEscape`` on odd keys.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient

from explorer.storage.cosmos import CosmosStorage, from_url
from explorer.storage.cosmos_keys import compute_id
from tests.support import botbuilder_venv
from tests.support.cosmos_emulator import Emulator, unique_name

pytestmark = [pytest.mark.peer, pytest.mark.emulator]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LONG_CONVERSATION = "a:1" + "Xyz" * 100 + ";messageid=1700000000000"
SHORT_CONVERSATION = "a:1Xyz;messageid=1700000000000"
USER = "msteams/users/29:1AbC-x_y"


def conversation_key(conversation: str) -> str:
    return f"msteams/conversations/{conversation}"


def private_key(conversation: str) -> str:
    return f"{conversation_key(conversation)}/users/29:1AbC-x_y/"  # botbuilder-python's suffix


CONVERSATION = conversation_key(LONG_CONVERSATION)
PRIVATE = private_key(LONG_CONVERSATION)

#: the bot's state classes and turns, shared with the blob bot (``peer/bbturns.py``)
PEER = Path(__file__).resolve().parent / "peer"

BOT = """
import asyncio, json, sys

from azure.cosmos import documents
from botbuilder.azure import CosmosDbPartitionedConfig, CosmosDbPartitionedStorage

from bbturns import run_turns

endpoint, key, database, container, compat, conversation = sys.argv[1:7]
texts = sys.argv[7:]


async def main():
    policy = documents.ConnectionPolicy()
    policy.DisableSSLVerification = True  # the emulator's self-signed certificate
    storage = CosmosDbPartitionedStorage(
        CosmosDbPartitionedConfig(
            cosmos_db_endpoint=endpoint,
            auth_key=key,
            database_id=database,
            container_id=container,
            compatibility_mode=compat == "compat",
            cosmos_client_options={"connection_policy": policy},
        )
    )
    print(json.dumps(await run_turns(storage, conversation, texts)))


asyncio.run(main())
"""

ESCAPES = """
import json, sys
from botbuilder.azure.cosmosdb_partitioned_storage import CosmosDbKeyEscape

keys = json.loads(sys.stdin.read())
print(json.dumps({
    mode: [CosmosDbKeyEscape.sanitize_key(k, "", mode == "compat") for k in keys]
    for mode in ("compat", "full")
}))
"""


@pytest.fixture
def bot_dir(tmp_path: Path) -> Path:
    (tmp_path / "bot.py").write_text(BOT)
    (tmp_path / "escapes.py").write_text(ESCAPES)
    return tmp_path


def peer(bot_dir: Path, script: str, *args: str, stdin: str | None = None) -> dict[str, Any]:
    done = botbuilder_venv.run(script, *args, cwd=bot_dir, pythonpath=PEER, stdin=stdin)
    return botbuilder_venv.last_json(done.stdout)


def run_bot(
    bot_dir: Path,
    emulator: Emulator,
    database: str,
    container: str,
    mode: str,
    *texts: str,
    conversation: str = LONG_CONVERSATION,
) -> dict[str, Any]:
    args = (emulator.endpoint, emulator.key, database, container, mode, conversation)
    return peer(bot_dir, "bot.py", *args, *texts)


def cli(emulator: Emulator, *args: str, stdin: str | None = None) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "explorer", *args, "--insecure"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "COSMOS_ENDPOINT": emulator.endpoint,
            "COSMOS_KEY": emulator.key,
        },
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def listed_kinds(output: str) -> list[tuple[str, str]]:
    return sorted(tuple(line.split("\t", 1)) for line in output.splitlines() if line)  # type: ignore[misc]


def open_store(
    emulator: Emulator, database: str, container: str, *, read_only: bool = False
) -> CosmosStorage:
    """Our store on the bot's container (TLS checks off for the emulator)."""
    url = f"cosmos://{database}/{container}"
    return from_url(
        url, endpoint=emulator.endpoint, key=emulator.key, insecure=True, read_only=read_only
    )


async def raw_documents(emulator: Emulator, database: str, container: str) -> list[dict[str, Any]]:
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        proxy = client.get_database_client(database).get_container_client(container)
        return [dict(d) async for d in proxy.read_all_items()]


@pytest.mark.parametrize(
    ("mode", "conversation"), [("compat", LONG_CONVERSATION), ("full", SHORT_CONVERSATION)]
)
async def test_python_bot_reads_our_edit_and_keeps_working(
    cosmos_emulator: Emulator, bot_dir: Path, mode: str, conversation: str
) -> None:
    database, container = unique_name("bb"), "bot-state"
    conv, private = conversation_key(conversation), private_key(conversation)
    turn = {"conversation": conversation}
    first = run_bot(bot_dir, cosmos_emulator, database, container, mode, "hi", "again", **turn)
    assert first["replies"] == ["Ada (38) turn 1", "Ada (38) turn 2"]
    ids = {d["realId"]: d["id"] for d in await raw_documents(cosmos_emulator, database, container)}
    assert set(ids) == {USER, conv, private}
    truncation = "truncated" if mode == "compat" else "none"
    assert ids == {k: compute_id(k, "python", truncation=truncation) for k in ids}
    assert (len(ids[conv]) == 255) is (mode == "compat")

    # the CLI lists the bot's keys with their kinds
    out, _ = cli(cosmos_emulator, "ls", f"cosmos://{database}/{container}")
    assert listed_kinds(out) == sorted(
        [("user", USER), ("conversation", conv), ("private", private)]
    )

    # the library reads them decoded; one property edited with If-Match on the bot's etag
    async with open_store(cosmos_emulator, database, container) as store:
        assert store.dialect == "python"
        documents = await store.read([USER, conv, private])
        assert documents[USER]["UserProfile"] == {
            "py/object": "bbmodels.UserProfile",
            "name": "Ada",
            "age": 38,
            "turns": 2,
        }
        assert documents[conv]["ConversationData"]["messages"] == ["hi", "again"]
        assert documents[private]["secret"] == {"token": "t2"}
        for key in (USER, conv):
            raw = (await store.read_raw([key]))[key]
            document = store.decode(raw)
            if key == USER:
                document["UserProfile"]["age"] = 99
            else:
                document["ConversationData"]["messages"].append("from the explorer")
            await store.write_raw(store.encode(key, document, like=raw), if_match=raw.etag)
    after = {d["realId"]: d for d in await raw_documents(cosmos_emulator, database, container)}
    assert {k: d["id"] for k, d in after.items()} == ids  # ids kept
    assert list(after[USER])[:3] == ["id", "realId", "document"]

    # the bot's next turns load the edits (as its own classes) and keep saving
    second = run_bot(bot_dir, cosmos_emulator, database, container, mode, "third", "fourth", **turn)
    assert second["seen"][0] == {
        "class": "UserProfile",
        "name": "Ada",
        "age": 99,
        "turns": 2,
        "messages": ["hi", "again", "from the explorer"],
        "secret": {"token": "t2"},
    }
    assert second["replies"] == ["Ada (99) turn 3", "Ada (99) turn 4"]
    async with open_store(cosmos_emulator, database, container, read_only=True) as store:
        final = await store.read([USER, conv])
    assert final[USER]["UserProfile"]["turns"] == 4
    assert final[conv]["ConversationData"]["messages"][-2:] == ["third", "fourth"]


async def test_a_container_used_in_both_modes_shows_both_documents(
    cosmos_emulator: Emulator, bot_dir: Path
) -> None:
    database, container = unique_name("bb"), "both-modes"
    run_bot(bot_dir, cosmos_emulator, database, container, "compat", "hi")
    await asyncio.sleep(1.1)  # _ts has one-second resolution: make "later" really later
    # later a python bot with compatibility mode off (the Agents SDK default, on an
    # azure-cosmos that accepts long ids) writes the long keys under their full ids
    async with CosmosClient(
        cosmos_emulator.endpoint, cosmos_emulator.key, connection_verify=False
    ) as client:
        proxy = client.get_database_client(database).get_container_client(container)
        for key, document in (
            (CONVERSATION, {"ConversationData": {"messages": ["later"]}}),
            (PRIVATE, {"secret": {"token": "later"}}),
        ):
            full_id = compute_id(key, "python", truncation="none")
            await proxy.create_item({"id": full_id, "realId": key, "document": document})
    out, err = cli(cosmos_emulator, "ls", f"cosmos://{database}/{container}")
    listed = listed_kinds(out)
    assert listed.count(("conversation", CONVERSATION)) == 2
    assert listed.count(("private", PRIVATE)) == 2
    assert listed.count(("user", USER)) == 1
    assert "2 documents hold key" in err
    async with open_store(cosmos_emulator, database, container, read_only=True) as store:
        assert store.profile.modes_mixed
        assert any("both compatibility modes" in w for w in store.warnings)
        raw = (await store.read_raw([CONVERSATION]))[CONVERSATION]
        assert store.decode(raw)["ConversationData"]["messages"] == ["later"]  # the newest
        assert raw.meta["duplicate_ids"] == (
            compute_id(CONVERSATION, "python", truncation="truncated"),
        )
    # the compatibility-mode bot still reads its own document
    again = run_bot(bot_dir, cosmos_emulator, database, container, "compat", "again")
    assert again["seen"][0]["messages"] == ["hi"]


def test_our_ids_are_botbuilders_ids(bot_dir: Path) -> None:
    keys = [
        "msteams/users/29:1AbC-x_y",
        "weird key?#*\\with chars\tand\nlines\r",
        "unicode ünïcødé 🤖/x",
        "k" * 255,
        "k" * 256,
        "msteams/conversations/" + "19:meeting_" + "Zm9v" * 80 + "@thread.v2",
    ]
    theirs = peer(bot_dir, "escapes.py", stdin=json.dumps(keys))
    assert theirs["full"] == [compute_id(k, "python", truncation="none") for k in keys]
    assert theirs["compat"] == [compute_id(k, "python", truncation="truncated") for k in keys]


async def test_cli_lists_and_edits_the_js_fixture(cosmos_emulator: Emulator) -> None:
    items = json.loads((FIXTURES / "js-cosmos-partitioned.json").read_text("utf-8"))["items"]
    database = unique_name("js")
    async with CosmosClient(
        cosmos_emulator.endpoint, cosmos_emulator.key, connection_verify=False
    ) as client:
        created = await client.create_database(database)
        container = await created.create_container("js-state", PartitionKey(path="/id"))
        for item in items:
            await container.create_item(item)
        store_url = f"cosmos://{database}/js-state"
        out, _ = cli(cosmos_emulator, "ls", store_url)
        kinds = {key: kind for kind, key in listed_kinds(out)}
        assert kinds == {
            "msteams/conversations/conv-1/": "conversation",
            "msteams/users/user-1/": "user",
            "msteams/conversations/conv-1/users/user-1/": "private",
            "direct/dict-key": "other",
            "weird key?#*\\\\with chars": "other",  # the CLI prints a backslash as \\
            "direct/with-etag-star": "other",
        }
        key = "msteams/users/user-1/"
        shown, _ = cli(cosmos_emulator, "get", store_url, key)
        document = json.loads(shown)
        assert document["UserProfile"]["age"] == 38
        document["UserProfile"]["age"] = 39
        cli(cosmos_emulator, "set", store_url, key, "-", stdin=json.dumps(document))
        original = next(i for i in items if i["realId"] == key)
        after = await container.read_item(original["id"], partition_key=original["id"])
        expected = json.loads(json.dumps(original))
        expected["document"]["UserProfile"]["age"] = 39
        assert {k: v for k, v in after.items() if not k.startswith("_")} == expected
        assert list(after)[:3] == ["id", "realId", "document"]
