"""botbuilder's own storage conformance suite passes on every one of our storages.

botbuilder-testing 4.17.1's ``StorageBaseTests`` is what botbuilder-python runs
against its own storages: reading and writing ``None`` (botbuilder's exact
messages), empty writes, crazy keys, etag rules (``"*"``, stale, and a refused
empty ``e_tag``), deletes, batches, and a waterfall dialog with a ``TextPrompt``
whose ``DialogState`` goes through the storage. It runs in the botbuilder venv
(``peer/conformance.py``) on our stores opened as a bot opens them
(``objects=True``), every test on a fresh, empty store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from azure.cosmos.aio import CosmosClient

from tests.support import botbuilder_venv
from tests.support.azurite import Azurite
from tests.support.cosmos_emulator import Emulator, unique_name

pytestmark = pytest.mark.peer

PEER = Path(__file__).resolve().parent / "peer"

#: the suite's eleven tests (botbuilder-testing 4.17.1)
SUITE = {
    "create_object",
    "delete_object",
    "delete_unknown_object",
    "does_not_raise_when_writing_no_items",
    "handle_crazy_keys",
    "handle_null_keys_when_reading",
    "handle_null_keys_when_writing",
    "perform_batch_operations",
    "proceeds_through_waterfall",
    "return_empty_object_when_reading_unknown_key",
    "update_object",
}


def run_suite(spec: dict[str, Any]) -> dict[str, str]:
    paths = [PEER, botbuilder_venv.ROOT, botbuilder_venv.azure_overlay()]
    done = botbuilder_venv.run(PEER / "conformance.py", json.dumps(spec), pythonpath=paths)
    results: dict[str, str] = botbuilder_venv.last_json(done.stdout)["results"]
    return results


def check(results: dict[str, str]) -> None:
    assert set(results) == SUITE
    failed = {name: outcome for name, outcome in results.items() if outcome != "passed"}
    assert not failed, "\n\n".join(f"{name}:\n{outcome}" for name, outcome in failed.items())


def test_memory_storage_passes_botbuilders_suite() -> None:
    check(run_suite({"kind": "memory"}))


def test_sqlite_storage_passes_botbuilders_suite(tmp_path: Path) -> None:
    check(run_suite({"kind": "sqlite", "path": str(tmp_path / "suite")}))


@pytest.mark.emulator
def test_blob_storage_passes_botbuilders_suite(azurite: Azurite) -> None:
    check(run_suite({"kind": "blob", "connection_string": azurite.connection_string}))


@pytest.fixture
async def bot_database(cosmos_emulator: Emulator) -> AsyncIterator[str]:
    """A fresh database (bots create containers, not databases); dropped afterwards."""
    name = unique_name("suite")
    async with CosmosClient(
        cosmos_emulator.endpoint, cosmos_emulator.key, connection_verify=False
    ) as client:
        await client.create_database(name)
        yield name
        await client.delete_database(name)


@pytest.mark.emulator
def test_cosmos_storage_passes_botbuilders_suite(
    cosmos_emulator: Emulator, bot_database: str
) -> None:
    spec = {
        "kind": "cosmos",
        "endpoint": cosmos_emulator.endpoint,
        "key": cosmos_emulator.key,
        "database": bot_database,
    }
    check(run_suite(spec))


def test_without_object_mode_the_waterfall_is_refused_with_the_remedy(tmp_path: Path) -> None:
    """The suite's waterfall on a store a bot opened without ``objects=True``: botbuilder's
    ``DialogState`` is refused at the first save, the error says how to store it."""
    spec = {"kind": "sqlite", "path": str(tmp_path / "plain"), "objects": False}
    results = run_suite(spec)
    refused = results.pop("proceeds_through_waterfall").rstrip().splitlines()[-1]
    assert refused.startswith("explorer.core.errors.StorageError: cannot store 'Channels.test/")
    assert "botbuilder.dialogs.dialog_state.DialogState keeps state in private" in refused
    assert "opens its storage with objects=True" in refused
    check({**results, "proceeds_through_waterfall": "passed"})  # the other ten pass
