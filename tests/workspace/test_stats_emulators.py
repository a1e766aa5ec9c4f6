"""Store insights on the real emulators: the known store on Blob (Azurite) and on Cosmos DB.

On Cosmos DB the counts per kind and channel come from server-side ``COUNT``
queries where the container is indexed, and from the scan where it is not;
both agree with the known composition, and each part's request units are
reported (the emulator charges 1 RU per request, so there they count requests).
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient

from explorer.storage.blob import from_url as blob_url
from explorer.storage.cosmos import from_url as cosmos_url
from explorer.workspace.stats import collect_stats
from tests.support.azurite import Azurite, unique_container
from tests.support.cosmos_emulator import Emulator
from tests.support.known_store import EXPECTED, KNOWN
from tests.workspace.test_stats import check_known

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(300)]


async def test_blob_known_composition(azurite: Azurite) -> None:
    store = blob_url(
        f"blob://{unique_container('stats')}",
        connection_string=azurite.connection_string,
        create_container=True,
    )
    async with store:
        await store.write(KNOWN)
        data = (await collect_stats(store)).as_json()
    check_known(data)
    assert data["counts_from"] == "scan"


async def _container(emulator: Emulator, database: str, name: str, **options: Any) -> None:
    async with CosmosClient(emulator.endpoint, emulator.key, connection_verify=False) as client:
        db = await client.create_database_if_not_exists(database)
        await db.create_container(name, PartitionKey(path="/id"), **options)


def _cosmos(emulator: Emulator, database: str, name: str) -> Any:
    return cosmos_url(
        f"cosmos://{database}/{name}", endpoint=emulator.endpoint, key=emulator.key, insecure=True
    )


async def test_cosmos_counts_on_the_server_and_each_part_s_request_units(
    cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    await _container(cosmos_emulator, cosmos_database, "state")
    async with _cosmos(cosmos_emulator, cosmos_database, "state") as store:
        await store.write(KNOWN)
        full = (await collect_stats(store)).as_json()
        server = await store.aggregate_counts()
        counted = (await collect_stats(store, counts_only=True)).as_json()
        scanned = (await collect_stats(store, counts_only=True, server_counts=False)).as_json()
        sub = (await collect_stats(store, "webchat/", counts_only=True)).as_json()
    check_known(full)
    assert full["counts_from"] == "server"
    assert set(full["request_charge"]) == {"aggregate_counts", "scan"}
    assert server is not None
    # one query per channel found and per count: cheap whatever the store's size
    assert full["request_charge"]["aggregate_counts"] == server.queries == server.request_charge
    assert counted["counts_from"] == "server"
    assert counted["scanned"] == 0  # no scan at all
    assert counted["request_charge"] == {"aggregate_counts": server.request_charge}
    assert scanned["counts_from"] == "scan"
    for name in ("total", "kinds", "channels"):
        assert counted[name] == scanned[name] == EXPECTED[name]
    assert set(scanned["request_charge"]) == {"scan"}
    assert sub["channels"] == {"webchat": EXPECTED["channels"]["webchat"]}
    assert sub["total"] == 5


async def test_cosmos_without_an_index_counts_by_scanning(
    cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    unindexed = {"indexing_policy": {"indexingMode": "none", "automatic": False}}
    await _container(cosmos_emulator, cosmos_database, "noindex", **unindexed)
    async with _cosmos(cosmos_emulator, cosmos_database, "noindex") as store:
        await store.write(KNOWN)
        assert await store.aggregate_counts() is None
        data = (await collect_stats(store)).as_json()
    check_known(data)
    assert data["counts_from"] == "scan"
    assert set(data["request_charge"]) == {"scan"}
