"""Stores filled with one user's state, decoys around it, for the support workflows (issue 14).

``SUPPORT_KINDS``: memory, SQLite, Blob with python names, Blob with js names
(``msteams%2Fusers%2F29%3A1AbC``) and Cosmos DB (python ``*47`` ids and js
``*2f`` ids). ``support_place(kind, request, tmp_path)`` prepares an empty place
and yields a ``Place``: ``opener(read_only)`` gives an unopened store, ``url`` and
``options`` are what the command line needs (``--connection-string``...).

The data (``fill``): ``USER`` (a Teams id) holds state in a channel, a
sub-channel (``msteams:COPILOT``), an Agents SDK agent scope and two private
conversation states (Teams and Web Chat); ``WEB_USER`` (a Web Chat id) holds its
own. Decoys that must never match ``USER``: ``29:1AbCD``, ``x29:1AbC``,
``29:1abc``, a conversation whose id is ``29:1AbC`` (and a private state of
another user in it), a sign-in key. ``VALUE_ONLY`` mentions ``USER`` only in
its values; ``DECOY_VALUE`` mentions ``29:1AbCD`` only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from explorer.core.items import RawItem
from explorer.storage import MemoryStorage, Storage
from explorer.storage.sqlite import SqliteStorage

USER = "29:1AbC"
WEB_USER = "dl_5e8a2b3c-77d1-4d3e-9b1f-0c2d4e6f8a9b"
TEAMS_CONV = "a:1XyZ-9Qrs_tUv"
WEB_CONV = "8DMnYq3wLJqHk2Xm-us|0000003"
BOT = "28:bot-app-id"

#: key -> document; keys in python/plain style (the js places add their trailing "/")
HOLDS_USER: dict[str, dict[str, Any]] = {
    f"msteams/users/{USER}": {"UserProfile": {"name": "Ada Lovelace", "lang": "en"}},
    f"msteams:COPILOT/users/{USER}": {"UserProfile": {"name": "Ada", "lang": "fr"}},
    f"msteams/{BOT}/users/{USER}": {"user": {"visits": 3}},
    f"msteams/conversations/{TEAMS_CONV}/users/{USER}/": {"PrivateNotes": {"n": 1}},
    f"webchat/conversations/{WEB_CONV}/users/{USER}/": {"PrivateNotes": {"n": 2}},
}
HOLDS_WEB_USER: dict[str, dict[str, Any]] = {
    f"webchat/users/{WEB_USER}": {"UserProfile": {"name": "Grace", "lang": "en"}},
    f"webchat/conversations/{WEB_CONV}/users/{WEB_USER}/": {"PrivateNotes": {"n": 3}},
}
DECOYS: dict[str, dict[str, Any]] = {
    "msteams/users/29:1AbCD": {"UserProfile": {"name": "decoy longer id"}},
    "msteams/users/x29:1AbC": {"UserProfile": {"name": "decoy prefixed id"}},
    "msteams/users/29:1abc": {"UserProfile": {"name": "decoy other case"}},
    f"msteams/conversations/{USER}": {"ConversationData": {"topic": "conversation id = user id"}},
    f"msteams/conversations/{USER}/users/29:9Other/": {"PrivateNotes": {"n": 4}},
    f"auth/msteams/{USER}": {"token": "sign-in state, not user state"},
    f"msteams/conversations/{TEAMS_CONV}": {
        "DialogState": {"dialogStack": [{"id": "main", "state": {}}]},
        "ConversationData": {"members": 2},
    },
}
#: mentions USER only in its values
VALUE_ONLY = "msteams/users/29:2Friend"
#: mentions only 29:1AbCD, a decoy, in its values
DECOY_VALUE = "msteams/users/29:3Other"
VALUES: dict[str, dict[str, Any]] = {
    VALUE_ONLY: {"UserProfile": {"friends": ["a:1|" + USER], "name": "Friend"}},
    DECOY_VALUE: {"UserProfile": {"friends": ["29:1AbCD", "x29:1AbC"], "name": "Other"}},
}
ALL: dict[str, dict[str, Any]] = {**HOLDS_USER, **HOLDS_WEB_USER, **DECOYS, **VALUES}

SUPPORT_KINDS = ("memory", "sqlite", "blob-python", "blob-js", "cosmos-python", "cosmos-js")
EMULATED = frozenset({"blob-python", "blob-js", "cosmos-python", "cosmos-js"})

Opener = Callable[[bool], Storage]


def js_key(key: str) -> str:
    """The key as a botbuilder-js bot writes it: with a trailing ``/``."""
    return key if key.endswith("/") else key + "/"


def bare(key: str) -> str:
    return key.rstrip("/")


@dataclass
class Place:
    """An empty place for one test, and how to reach it from the command line."""

    kind: str
    opener: Opener
    url: str
    options: tuple[str, ...] = ()
    #: the key style the place's bot writes (``js``: every key ends with ``/``)
    js: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def key(self, key: str) -> str:
        """``key`` as this place's bot writes it."""
        return js_key(key) if self.js else key

    def stored(self, key: str) -> str:
        """``key`` as this place lists it after the bot wrote it (js blob names lose the ``/``)."""
        return bare(key) if self.kind == "blob-js" else self.key(key)


def support_params(*, cli: bool = False) -> list[Any]:
    """One param per kind (``cli``: without memory, which a command line cannot reopen)."""
    return [
        pytest.param(kind, marks=(pytest.mark.emulator,) if kind in EMULATED else (), id=kind)
        for kind in SUPPORT_KINDS
        if not (cli and kind == "memory")
    ]


async def fill(store: Storage, place: Place, documents: dict[str, dict[str, Any]] = ALL) -> None:
    """Write ``documents`` in the place's own form (its key style and dialect)."""
    for key, document in documents.items():
        item = store.encode(place.key(key), document)
        await store.write_raw(item, create=True)


async def stored_keys(store: Storage) -> list[str]:
    return sorted([key async for key in store.iter_keys("")])


def raw(key: str, document: dict[str, Any]) -> RawItem:
    return RawItem(key=key, body=json.dumps(document).encode())


@asynccontextmanager
async def support_place(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Place]:
    if kind == "memory":
        shared = MemoryStorage()

        def memory_opener(read_only: bool) -> Storage:
            if not read_only:
                return shared
            return shared.view(read_only=True)

        yield Place(kind, memory_opener, "memory:")
    elif kind == "sqlite":
        path = tmp_path / "support store.db"
        yield Place(
            kind, lambda ro: SqliteStorage(path, read_only=ro, page_size=100), f"sqlite:{path}"
        )
    elif kind.startswith("blob-"):
        async with _blob_place(kind, request) as place:
            yield place
    else:
        async with _cosmos_place(kind, request) as place:
            yield place


@asynccontextmanager
async def filled_place(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Place]:
    """The place of ``request.param`` (a ``support_params`` entry) holding ``ALL``."""
    async with support_place(request.param, request, tmp_path) as made:
        async with made.opener(False) as store:
            await fill(store, made)
        yield made


@asynccontextmanager
async def _blob_place(kind: str, request: pytest.FixtureRequest) -> AsyncIterator[Place]:
    from azure.storage.blob.aio import ContainerClient

    from explorer.storage.blob import from_url
    from tests.support.azurite import Azurite, unique_container

    azurite: Azurite = request.getfixturevalue("azurite")
    dialect = kind.removeprefix("blob-")
    container = unique_container(f"support-{dialect}")
    cs = azurite.connection_string
    async with ContainerClient.from_connection_string(cs, container) as client:
        await client.create_container()
        try:
            yield Place(
                kind,
                lambda ro: from_url(
                    f"blob://{container}",
                    read_only=ro,
                    connection_string=cs,
                    dialect=dialect,
                    page_size=50,
                ),
                f"blob://{container}",
                ("--connection-string", cs),
                js=dialect == "js",
                extra={"container": container, "connection_string": cs},
            )
        finally:
            await client.delete_container()


@asynccontextmanager
async def _cosmos_place(kind: str, request: pytest.FixtureRequest) -> AsyncIterator[Place]:
    from azure.cosmos import PartitionKey
    from azure.cosmos.aio import CosmosClient

    from explorer.storage.cosmos import from_url
    from tests.support.cosmos_emulator import Emulator, unique_name

    emulator: Emulator = request.getfixturevalue("cosmos_emulator")
    dialect = kind.removeprefix("cosmos-")
    database = unique_name("support")
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        created = await client.create_database(database)
        await created.create_container("state", PartitionKey(path="/id"))
        try:
            yield Place(
                kind,
                lambda ro: from_url(
                    f"cosmos://{database}/state",
                    read_only=ro,
                    endpoint=emulator.endpoint,
                    key=emulator.key,
                    insecure=True,
                    dialect=dialect,
                    page_size=50,
                ),
                f"cosmos://{database}/state",
                ("--endpoint", emulator.endpoint, "--key", emulator.key, "--insecure"),
                js=dialect == "js",
                extra={"database": database},
            )
        finally:
            await client.delete_database(database)
