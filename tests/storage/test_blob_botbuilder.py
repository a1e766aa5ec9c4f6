"""A real botbuilder-python 4.17.1 bot and this project share one blob container.

The bot (botbuilder-azure ``BlobStorage`` on Azurite, with ``UserState``,
``ConversationState`` and ``PrivateConversationState`` holding plain classes
that jsonpickle tags with ``py/object``) runs in its own venv. We list and read
its state with the CLI and the library, change one property through our
storage, and the bot's next turns load that value and keep saving (its
If-Match writes still succeed). The same with a real botbuilder-js 4.23.3 bot
on ``BlobsStorage`` (node, installed on demand by ``tests.support.botbuilder_js``),
and the js fixture gets the list/get/set treatment through the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import ContainerClient

from explorer.storage.blob import from_url
from tests.support import botbuilder_js, botbuilder_venv
from tests.support.azurite import Azurite, unique_container

pytestmark = [pytest.mark.peer, pytest.mark.emulator]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
USER = "msteams/users/29:1AbC-x_y"
CONVERSATION = "msteams/conversations/a:1Xyz;messageid=1700000000000"
PRIVATE = f"{CONVERSATION}/users/29:1AbC-x_y/"  # botbuilder-python's own suffix

#: the bot's state classes and turns, shared with the cosmos bot (``peer/bbturns.py``)
PEER = Path(__file__).resolve().parent / "peer"

BOT = """
import asyncio, json, sys

from botbuilder.azure import BlobStorage, BlobStorageSettings

from bbturns import run_turns


async def main(connection_string, container, texts):
    storage = BlobStorage(
        BlobStorageSettings(container_name=container, connection_string=connection_string)
    )
    result = await run_turns(storage, "a:1Xyz;messageid=1700000000000", texts)
    print(json.dumps(result))


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
"""


@pytest.fixture
def bot_dir(tmp_path: Path) -> Path:
    (tmp_path / "bot.py").write_text(BOT)
    return tmp_path


def run_bot(bot_dir: Path, azurite: Azurite, container: str, *texts: str) -> dict[str, Any]:
    args = (azurite.connection_string, container, *texts)
    done = botbuilder_venv.run("bot.py", *args, cwd=bot_dir, pythonpath=PEER)
    return botbuilder_venv.last_json(done.stdout)


def cli(azurite: Azurite, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "explorer", *args, "--connection-string", azurite.connection_string],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def listed_kinds(output: str) -> set[tuple[str, str]]:
    return {tuple(line.split("\t", 1)) for line in output.splitlines() if line}  # type: ignore[misc]


async def blob_body(azurite: Azurite, container: str, name: str) -> bytes:
    async with ContainerClient.from_connection_string(azurite.connection_string, container) as c:
        return bytes(await (await c.download_blob(name)).readall())


async def test_python_bot_reads_our_edit_and_keeps_working(azurite: Azurite, bot_dir: Path) -> None:
    container = unique_container("bot")
    first = run_bot(bot_dir, azurite, container, "hi", "again")
    assert first["replies"] == ["Ada (38) turn 1", "Ada (38) turn 2"]

    # the CLI lists the bot's keys with their kinds, and shows them decoded
    listed = listed_kinds(cli(azurite, "ls", f"blob://{container}"))
    assert listed == {("user", USER), ("conversation", CONVERSATION), ("private", PRIVATE)}

    # the library reads them decoded, with the real etag and the tags shown as members
    async with from_url(
        f"blob://{container}", connection_string=azurite.connection_string
    ) as store:
        documents = await store.read([USER, CONVERSATION, PRIVATE])
        assert documents[USER]["UserProfile"] == {
            "py/object": "bbmodels.UserProfile",
            "name": "Ada",
            "age": 38,
            "turns": 2,
        }
        assert documents[CONVERSATION]["ConversationData"]["messages"] == ["hi", "again"]
        assert documents[PRIVATE]["secret"] == {"token": "t2"}

        # one property edited through our storage: only its bytes (and the stale e_tag) change
        raw = (await store.read_raw([USER]))[USER]
        assert raw.dialect == "python"
        document = store.decode(raw)
        document["UserProfile"]["age"] = 99
        await store.write_raw(store.encode(USER, document, like=raw), if_match=raw.etag)
    after = await blob_body(azurite, container, USER)
    stale = json.loads(raw.body)["e_tag"]
    assert after.decode() == raw.body.decode().replace('"age": 38', '"age": 99').replace(
        f'"e_tag": "{stale}"', f'"e_tag": "{raw.etag}"'
    )

    # the bot's next turns load the edit (as its own class) and keep saving
    second = run_bot(bot_dir, azurite, container, "third", "fourth")
    assert second["seen"][0] == {
        "class": "UserProfile",
        "name": "Ada",
        "age": 99,
        "turns": 2,
        "messages": ["hi", "again"],
        "secret": {"token": "t2"},
    }
    assert second["replies"] == ["Ada (99) turn 3", "Ada (99) turn 4"]
    async with from_url(
        f"blob://{container}", connection_string=azurite.connection_string, read_only=True
    ) as store:
        final = await store.read([USER, CONVERSATION])
    assert final[USER]["UserProfile"]["age"] == 99
    assert final[USER]["UserProfile"]["turns"] == 4
    assert final[CONVERSATION]["ConversationData"]["messages"] == ["hi", "again", "third", "fourth"]


async def test_cli_lists_and_round_trips_the_js_fixture(azurite: Azurite) -> None:
    container = unique_container("js")
    items = json.loads((FIXTURES / "js-blobsstorage.json").read_text())["items"]
    async with ContainerClient.from_connection_string(azurite.connection_string, container) as c:
        await c.create_container()
        for item in items:
            await c.upload_blob(
                item["name"],
                item["body"].encode(),
                content_settings=ContentSettings(content_type=item["content_type"]),
            )
    listed = listed_kinds(cli(azurite, "ls", f"blob://{container}"))
    kinds = {key: kind for kind, key in listed}
    assert kinds["msteams/users/user-1"] == "user"
    assert kinds["msteams/conversations/conv-1"] == "conversation"
    assert kinds["msteams/conversations/conv-1/users/user-1"] == "private"
    assert kinds["direct/dict-key"] == "other"
    assert len(kinds) == len(items)

    key = "msteams/users/user-1/"  # the key the js bot itself uses
    shown = json.loads(cli(azurite, "get", f"blob://{container}", key))
    document = shown.get("document", shown) if isinstance(shown, dict) else shown
    assert document["UserProfile"]["age"] == 38
    document["UserProfile"]["age"] = 39
    cli(azurite, "set", f"blob://{container}", key, "-", stdin=json.dumps(document))
    original = next(i for i in items if i["name"] == "msteams%2Fusers%2Fuser-1")["body"]
    after = await blob_body(azurite, container, "msteams%2Fusers%2Fuser-1")
    assert after.decode() == original.replace('"age":38', '"age":39')


JS_USER = "msteams/users/29:1AbC-x_y/"  # botbuilder-js keys end with '/'
JS_CONVERSATION = "msteams/conversations/a:1Xyz;messageid=1700000000000/"


def run_js_bot(azurite: Azurite, container: str, *texts: str) -> dict[str, Any]:
    done = subprocess.run(
        [*botbuilder_js.ensure(), azurite.connection_string, container, *texts],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def test_js_bot_reads_our_edit_and_keeps_working(azurite: Azurite) -> None:
    container = unique_container("jsbot")
    first = run_js_bot(azurite, container, "hi", "again")
    assert first["replies"] == ["Ada (38) turn 1", "Ada (38) turn 2"]

    listed = listed_kinds(cli(azurite, "ls", f"blob://{container}"))
    assert listed == {  # names drop the js trailing '/'
        ("user", JS_USER.rstrip("/")),
        ("conversation", JS_CONVERSATION.rstrip("/")),
        ("private", f"{JS_CONVERSATION}users/29:1AbC-x_y"),
    }
    async with from_url(
        f"blob://{container}", connection_string=azurite.connection_string
    ) as store:
        raw = (await store.read_raw([JS_USER]))[JS_USER]
        assert (raw.dialect, raw.name) == ("js", "msteams%2Fusers%2F29%3A1AbC-x_y")
        document = store.decode(raw)
        assert document == {"UserProfile": {"name": "Ada", "age": 38, "turns": 2}}
        document["UserProfile"]["age"] = 99
        await store.write_raw(store.encode(JS_USER, document, like=raw), if_match=raw.etag)
    after = await blob_body(azurite, container, raw.name)
    assert after.decode() == raw.body.decode().replace('"age":38', '"age":99')

    second = run_js_bot(azurite, container, "third", "fourth")
    assert second["seen"][0]["profile"] == {"name": "Ada", "age": 99, "turns": 2}
    assert second["replies"] == ["Ada (99) turn 3", "Ada (99) turn 4"]
    async with from_url(
        f"blob://{container}", connection_string=azurite.connection_string, read_only=True
    ) as store:
        final = await store.read([JS_USER, JS_CONVERSATION])
    assert final[JS_USER]["UserProfile"] == {"name": "Ada", "age": 99, "turns": 4}
    assert final[JS_CONVERSATION]["ConversationData"]["messages"] == [
        "hi",
        "again",
        "third",
        "fourth",
    ]
