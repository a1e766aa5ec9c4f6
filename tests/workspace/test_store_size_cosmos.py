"""Opening a Cosmos DB container: its size comes from the document count Cosmos DB
reports with the container's quota info (read on open), so deciding to open it as a
window and showing its total cost no ``COUNT`` of the whole container and no listing.

Requests are counted with the store's own request charge: the emulator charges
1 RU for every request, whatever it reads.
"""

from __future__ import annotations

from explorer.storage.base import Capability
from explorer.storage.cosmos import CosmosStorage, from_url
from explorer.storage.cosmos.listing import EXACT_COUNT_MAX
from explorer.workspace.tree_paged import PROBE_KEYS, probe_size
from tests.support.cosmos_emulator import Emulator, new_container_store


async def _reopened(emulator: Emulator, database: str, name: str, documents: int) -> CosmosStorage:
    """A container holding ``documents`` user states, and a new store on it (opened
    after they were written: what Cosmos DB reports on open counts them)."""
    async with await new_container_store(emulator, database, name) as writer:
        await writer.write({f"msteams/users/29:{i:05d}": {"n": i} for i in range(documents)})
    return from_url(f"cosmos://{database}/{name}", **emulator.store_options)


async def test_a_big_container_opens_paged_on_its_reported_total_at_no_cost(
    cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    many = EXACT_COUNT_MAX + 1
    async with await _reopened(cosmos_emulator, cosmos_database, "big", many) as store:
        assert Capability.REPORTED_TOTAL in store.capabilities
        spent = store.total_request_charge
        size = await probe_size(store)
        assert size.paged
        assert size.total is not None
        assert (size.total.value, size.total.exact) == (many, False)  # "≈ 1k"
        assert store.total_request_charge == spent


async def test_a_container_reported_small_is_counted_exactly(
    cosmos_emulator: Emulator, cosmos_database: str
) -> None:
    """Up to EXACT_COUNT_MAX documents a COUNT is cheap: exact, one request, and
    it decides the window as the probe page did (past PROBE_KEYS)."""
    for name, documents in (("few", 30), ("some", PROBE_KEYS + 50)):
        async with await _reopened(cosmos_emulator, cosmos_database, name, documents) as store:
            spent = store.total_request_charge
            size = await probe_size(store)
            assert size.paged == (documents > PROBE_KEYS)
            assert size.total is not None
            assert (size.total.value, size.total.exact) == (documents, True)
            assert store.total_request_charge == spent + 1
