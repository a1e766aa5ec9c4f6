"""The CLI over the real emulators: Blob on Azurite, Cosmos on the cosmos emulator.

Demo fill, listing, set -> set -> revert restoring the stored bytes exactly,
export -> import into a fresh container of the same kind (names/ids kept), and
the account key never printed, audited or exported.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient

from explorer.workspace.demo import demo_items
from tests.cli.conftest import Run, one_error_line
from tests.support.azurite import Azurite, create_containers, unique_container
from tests.support.cosmos_emulator import Emulator, unique_name

pytestmark = pytest.mark.emulator
DEMO = ("--users", "20", "--conversations", "10")
N_DEMO = len(demo_items(users=20, conversations=10))


async def _cosmos_containers(emulator: Emulator, database: str, *names: str) -> None:
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        db = await client.create_database(database)
        for name in names:
            await db.create_container(name, PartitionKey(path="/id"))


def _journey(cli: Run, store: str, copy: str, opts: tuple[str, ...], tmp: Path) -> None:
    demo = cli("demo", store, *DEMO, *opts)
    assert demo.code == 0, demo.err
    listed = cli("ls", store, *opts)
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert len(lines) == N_DEMO
    assert {line.split("\t")[0] for line in lines} == {"user", "conversation", "private", "other"}
    rows = [
        json.loads(x) for x in cli("ls", store, "msteams/users/", "--json", *opts).out.splitlines()
    ]
    key = next(r["key"] for r in rows if r["dialect"] == "python")
    before = cli("get", store, key, "--raw", *opts).out
    doc = json.loads(cli("get", store, key, *opts).out)
    doc["UserProfile"]["age"] = 101
    edited = cli("set", store, key, "-", *opts, stdin=json.dumps(doc).encode())
    assert edited.code == 0, edited.err
    again = cli("set", store, key, "-", *opts, stdin=b'{"UserProfile": {"age": 7}}')
    assert again.code == 0, again.err
    assert cli("revert", store, key, "--to", "2", *opts).code == 0
    assert cli("get", store, key, "--raw", *opts).out == before  # the bot's bytes, exactly
    dump, dump2 = tmp / "a.jsonl", tmp / "b.jsonl"
    assert cli("export", store, str(dump), *opts).code == 0
    imported = cli("import", copy, str(dump), *opts)
    assert imported.code == 0, imported.err
    assert cli("export", copy, str(dump2), *opts).code == 0

    def rows_of(path: Path) -> list[dict[str, Any]]:
        found = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
        return sorted(
            ({k: v for k, v in r.items() if k not in ("etag", "last_modified")} for r in found),
            key=lambda r: r["key"],
        )

    assert rows_of(dump2) == rows_of(dump)


def test_blob_cli_journey(cli: Run, azurite: Azurite, tmp_path: Path, data_dir: Path) -> None:
    source, copy = unique_container(), unique_container()
    asyncio.run(create_containers(azurite.connection_string, source, copy))
    opts = ("--connection-string", azurite.connection_string)
    _journey(cli, f"blob://{source}", f"blob://{copy}", opts, tmp_path)
    secret = azurite.connection_string.split("AccountKey=")[1].split(";")[0]
    for path in (data_dir / "audit.jsonl", tmp_path / "a.jsonl"):
        assert secret not in path.read_text("utf-8")
    assert secret not in cli("audit", *opts).out


def test_blob_unreachable_is_one_clear_line(cli_process: Run) -> None:
    dead = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0a2V5MTIz;"
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    )
    result = cli_process("ls", "blob://nothing", "--connection-string", dead)
    assert result.code == 7  # the real entry: nothing else (SDK session warnings) on stderr
    line = one_error_line(result)
    assert "c2VjcmV0a2V5MTIz" not in line


def test_cosmos_cli_journey(
    cli: Run, cosmos_emulator: Emulator, tmp_path: Path, data_dir: Path
) -> None:
    database = unique_name("db")
    asyncio.run(_cosmos_containers(cosmos_emulator, database, "state", "copy"))
    opts = ("--endpoint", cosmos_emulator.endpoint, "--key", cosmos_emulator.key, "--insecure")
    _journey(cli, f"cosmos://{database}/state", f"cosmos://{database}/copy", opts, tmp_path)
    warned = cli("ls", f"cosmos://{database}/state", "nothing-here", *opts)
    assert "TLS certificate checks are OFF" in warned.err
    for path in (data_dir / "audit.jsonl", data_dir / "backups.db", tmp_path / "a.jsonl"):
        assert cosmos_emulator.key.encode() not in path.read_bytes()


def test_cosmos_store_warnings_reach_the_cli_user(cli: Run, cosmos_emulator: Emulator) -> None:
    database = unique_name("db")

    async def make() -> None:
        async with CosmosClient(
            cosmos_emulator.endpoint, cosmos_emulator.key, connection_verify=False
        ) as client:
            db = await client.create_database(database)
            container = await db.create_container(
                "noindex",
                PartitionKey(path="/id"),
                indexing_policy={"indexingMode": "none", "automatic": False},
            )
            await container.create_item(
                {"id": "c*47users*47u", "realId": "c/users/u", "document": {"v": 1}}
            )

    asyncio.run(make())
    opts = ("--endpoint", cosmos_emulator.endpoint, "--key", cosmos_emulator.key, "--insecure")
    got = cli("get", f"cosmos://{database}/noindex", "c/users/u", *opts)
    assert got.code == 0, got.err
    assert json.loads(got.out) == {"v": 1}
    notes = [line for line in got.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1
    assert "scan" in notes[0]
