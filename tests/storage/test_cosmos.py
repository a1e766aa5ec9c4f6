"""Cosmos DB storage on the emulator: real bot documents, every dialect, legacy containers.

Documents are created exactly as the fixtures give them (dumps of what
botbuilder-python, botbuilder-js and the Agents SDK js wrote), then opened the
way the explorer opens a store (``from_url``), read, edited and checked with
the raw SDK.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos.partition_key import NonePartitionKeyValue

from explorer.core.errors import (
    BackendUnavailableError,
    DecodeError,
    ETagConflictError,
    ReadOnlyError,
    UnknownStoreError,
)
from explorer.storage.base import Capability
from explorer.storage.cosmos import CosmosStorage, from_url
from explorer.storage.cosmos.listing import EXACT_COUNT_MAX
from tests.support.cosmos_emulator import Emulator
from tests.support.fault_proxy import FaultProxy, Rule
from tests.support.latency_proxy import LatencyProxy

pytestmark = pytest.mark.emulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SERVER_FIELDS = {"_rid", "_self", "_ts", "_etag", "_attachments"}


def fixture(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))[
        "items"
    ]
    return items


@pytest.fixture
async def database(cosmos_emulator: Emulator, cosmos_database: str) -> AsyncIterator[DatabaseProxy]:
    async with CosmosClient(
        cosmos_emulator.endpoint, cosmos_emulator.key, connection_verify=False
    ) as client:
        yield await client.create_database(cosmos_database)


async def container_with(
    database: DatabaseProxy,
    name: str,
    items: list[dict[str, Any]],
    *,
    path: str = "/id",
    indexing: dict[str, Any] | None = None,
) -> ContainerProxy:
    container: ContainerProxy = await database.create_container(
        name, PartitionKey(path=path), indexing_policy=indexing
    )
    for item in items:
        await container.create_item(item)
    return container


def open_store(
    emulator: Emulator, database: DatabaseProxy, container: str, **options: Any
) -> CosmosStorage:
    return from_url(
        f"cosmos://{database.id}/{container}",
        endpoint=emulator.endpoint,
        key=emulator.key,
        insecure=True,
        **options,
    )


def stored(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in SERVER_FIELDS}


# -- real documents, read decoded ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ("python-cosmos-partitioned", "python"),
        ("js-cosmos-partitioned", "js"),
        ("agents-js-cosmos-partitioned", "agents-js"),
    ],
)
async def test_fixture_documents_list_and_read_decoded(
    cosmos_emulator: Emulator, database: DatabaseProxy, name: str, dialect: str
) -> None:
    items = fixture(name)
    await container_with(database, name, items)
    async with open_store(cosmos_emulator, database, name) as store:
        assert store.dialect == dialect
        entries = [e async for e in store.iter_entries()]
        assert sorted(e.key for e in entries) == sorted(i["realId"] for i in items)
        assert {e.name for e in entries} == {i["id"] for i in items}
        assert {e.dialect for e in entries} == {dialect}
        raw = await store.read_raw([i["realId"] for i in items])
        assert set(raw) == {i["realId"] for i in items}
        for item in items:
            got = raw[item["realId"]]
            if item["realId"] in store.duplicates:
                continue  # checked in test_a_key_held_by_two_documents_is_shown_twice
            assert got.name == item["id"]
            assert json.loads(got.body) == item  # the whole stored item, no server fields
            assert list(json.loads(got.body)) == list(item)
            expected = {k: v for k, v in item["document"].items() if k not in ("e_tag", "eTag")}
            assert store.decode(got) == expected
            assert got.etag
            assert got.last_modified is not None
        documents = await store.read([items[0]["realId"]])
        assert documents[items[0]["realId"]]["e_tag"] == raw[items[0]["realId"]].etag


async def test_edit_keeps_id_realid_extras_and_member_order(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = fixture("agents-js-cosmos-partitioned")
    container = await container_with(database, "agents", items)
    item = items[3]  # msteams/conversations/a:1XyZ;messageid=17/
    async with open_store(cosmos_emulator, database, "agents") as store:
        raw = (await store.read_raw([item["realId"]]))[item["realId"]]
        document = store.decode(raw)
        document["ConversationData"]["channelId"] = "edited"
        edited = store.encode(raw.key, document, like=raw)
        assert edited.name == item["id"]
        written = await store.write_raw(edited, if_match=raw.etag)
        assert written.etag != raw.etag
    after = await container.read_item(item["id"], partition_key=item["id"])
    assert list(stored(after)) == ["id", "realId", "document", "eTag"]
    assert after["eTag"] == ""
    assert after["realId"] == item["realId"]
    assert after["document"]["ConversationData"]["channelId"] == "edited"
    assert list(after["document"]) == list(item["document"])
    assert after["document"]["DialogState"] == item["document"]["DialogState"]


async def test_bot_write_keeps_a_dotnet_document_shape(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    doc_id = "msteams*2fconversations*2fconv-9"
    dotnet: dict[str, Any] = {
        "id": doc_id,
        "realId": "msteams/conversations/conv-9",
        "document": {
            "$type": "System.Collections.Generic.Dictionary`2[[System.String],[System.Object]]",
            "DialogState": {"$type": "Microsoft.Bot.Builder.Dialogs.DialogState", "n": 1},
        },
        "PartitionKey": doc_id,
    }
    container = await container_with(database, "dotnet", [dotnet])
    async with open_store(cosmos_emulator, database, "dotnet") as store:
        assert store.dialect == "dotnet"
        state = (await store.read([dotnet["realId"]]))[dotnet["realId"]]
        state["DialogState"]["n"] = 2
        await store.write({dotnet["realId"]: state})
        new_key = "msteams/conversations/conv-10"
        await store.write({new_key: {"$type": "X", "v": 1}})
        raw = (await store.read_raw([dotnet["realId"]]))[dotnet["realId"]]
        assert raw.meta == {"PartitionKey": doc_id}
    after = stored(await container.read_item(doc_id, partition_key=doc_id))
    assert list(after) == ["id", "realId", "document", "PartitionKey"]
    assert list(after["document"]) == ["$type", "DialogState"]
    assert after["document"]["DialogState"] == {
        "$type": "Microsoft.Bot.Builder.Dialogs.DialogState",
        "n": 2,
    }
    created = stored(
        await container.read_item(
            "msteams*2fconversations*2fconv-10", "msteams*2fconversations*2fconv-10"
        )
    )
    assert created["PartitionKey"] == created["id"]


@pytest.mark.parametrize(
    ("name", "new_id", "extras"),
    [
        ("python-cosmos-partitioned", "msteams*47users*47new-user", {}),
        ("js-cosmos-partitioned", "msteams*2fusers*2fnew-user", {}),
        ("agents-js-cosmos-partitioned", "msteams*2fusers*2fnew-user", {"eTag": ""}),
    ],
)
async def test_a_new_document_gets_the_containers_escape(
    cosmos_emulator: Emulator,
    database: DatabaseProxy,
    name: str,
    new_id: str,
    extras: dict[str, Any],
) -> None:
    container = await container_with(database, name, fixture(name))
    async with open_store(cosmos_emulator, database, name) as store:
        await store.write({"msteams/users/new-user": {"UserProfile": {"name": "Grace"}}})
    created = stored(await container.read_item(new_id, partition_key=new_id))
    assert created == {
        "id": new_id,
        "realId": "msteams/users/new-user",
        "document": {"UserProfile": {"name": "Grace"}},
        **extras,
    }


async def test_a_document_whose_id_cannot_be_recomputed_is_found_by_realid(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    key = "msteams/conversations/" + "z" * 300
    escaped = key.replace("/", "*2f")
    opaque_id = escaped[:247] + "1a2b3c4d"  # .NET before 4.23: process-local hash
    items = [
        {"id": opaque_id, "realId": key, "document": {"v": 1}, "PartitionKey": opaque_id},
        {
            "id": "msteams*2fusers*2fu",
            "realId": "msteams/users/u",
            "document": {},
            "PartitionKey": "msteams*2fusers*2fu",
        },
    ]
    container = await container_with(database, "opaque", items)
    async with open_store(cosmos_emulator, database, "opaque") as store:
        [entry] = [e async for e in store.iter_entries("msteams/conversations/")]
        assert (entry.key, entry.name, entry.dialect) == (key, opaque_id, "dotnet")
        state = (await store.read([key]))[key]
        assert state["v"] == 1
        state["v"] = 2
        await store.write({key: state})
    after = await container.read_item(opaque_id, partition_key=opaque_id)
    assert after["document"] == {"v": 2}
    assert [d["id"] async for d in container.read_all_items()].count(opaque_id) == 1


async def test_a_document_without_state_is_listed_and_refused_by_name_when_read(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = [
        {"id": "no-document", "realId": "direct/broken", "document": None},
        {"id": "not-a-bot-document", "name": "something else"},
        {"id": "direct*47ok", "realId": "direct/ok", "document": {"v": 1}},
    ]
    await container_with(database, "odd", items)
    async with open_store(cosmos_emulator, database, "odd") as store:
        entries = {e.key: e for e in [e async for e in store.iter_entries()]}
        assert set(entries) == {"direct/broken", "not-a-bot-document", "direct/ok"}
        assert "no realId" in (entries["not-a-bot-document"].error or "")
        with pytest.raises(DecodeError, match="direct/broken"):
            await store.read(["direct/broken"])
        raw = (await store.read_raw(["direct/broken"]))["direct/broken"]
        with pytest.raises(DecodeError, match="not an object"):
            store.decode(raw)
        assert (await store.read(["direct/ok"]))["direct/ok"]["v"] == 1
        # repaired in place: same document id, a state object again
        fixed = store.encode("direct/broken", {"fixed": True}, like=raw)
        await store.write_raw(fixed, if_match=raw.etag)
        after = (await store.read_raw(["direct/broken"]))["direct/broken"]
        assert after.name == "no-document"
        assert store.decode(after) == {"fixed": True}


# -- two documents, one realId ---------------------------------------------------


async def test_a_key_held_by_two_documents_is_shown_twice(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    # a python container used with compatibility mode on, then off (Agents SDK default)
    key = "msteams/conversations/" + "q" * 300
    escaped = key.replace("/", "*47")
    import hashlib

    truncated = escaped[:191] + hashlib.sha256(escaped.encode()).hexdigest()
    items = [
        {"id": truncated, "realId": key, "document": {"mode": "compat"}},
        {"id": "msteams*47users*47u1", "realId": "msteams/users/u1", "document": {}},
        {"id": escaped, "realId": key, "document": {"mode": "full"}},
    ]
    await container_with(database, "twice", items)
    async with open_store(cosmos_emulator, database, "twice") as store:
        entries = [e async for e in store.iter_entries()]
        twins = [e for e in entries if e.key == key]
        assert {e.name for e in twins} == {truncated, escaped}
        assert all("2 documents hold key" in (e.error or "") for e in twins)  # one page
        assert set(store.duplicates[key]) == {truncated, escaped}
        raw = (await store.read_raw([key]))[key]
        others = {truncated, escaped} - {raw.name}
        assert raw.meta["duplicate_ids"] == tuple(others)
        each = [await store.read_document(i) for i in (truncated, escaped)]
        assert [store.decode(r) for r in each if r is not None] == [
            {"mode": "compat"},
            {"mode": "full"},
        ]


async def test_a_fresh_store_finds_both_documents_of_a_key_without_listing(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = fixture("agents-js-cosmos-partitioned")
    await container_with(database, "agents", items)
    long_key = next(i["realId"] for i in items if len(i["id"]) == 64)
    async with open_store(cosmos_emulator, database, "agents") as store:
        raw = (await store.read_raw([long_key]))[long_key]
        assert len(raw.meta["duplicate_ids"]) == 1
        assert store.duplicates[long_key]


# -- legacy and unindexed containers ---------------------------------------------


async def test_legacy_partition_key_container(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = fixture("python-cosmos-partitioned")
    container = await container_with(database, "legacy", items, path="/_partitionKey")
    key = "msteams/users/user-1"
    async with open_store(cosmos_emulator, database, "legacy") as store:
        assert store.legacy_partition_key
        assert any("legacy" in w for w in store.warnings)
        assert len([e async for e in store.iter_entries()]) == len(items)
        state = (await store.read([key]))[key]
        state["extra"] = 2
        await store.write({key: state})
        await store.write({"msteams/users/new": {"v": 1}})
        await store.delete(["direct/dict-key"])
        assert set(await store.read(["direct/dict-key", "msteams/users/new"])) == {
            "msteams/users/new"
        }
    after = await container.read_item("msteams*47users*47user-1", NonePartitionKeyValue)
    assert after["document"]["extra"] == 2
    assert list(stored(after)) == ["id", "realId", "document"]
    assert "_partitionKey" not in after


async def test_indexing_none_falls_back_to_a_scan_and_says_so(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = fixture("js-cosmos-partitioned")
    odd = {"id": "hand-made-id", "realId": "msteams/users/odd/", "document": {"v": 1}}
    await container_with(
        database, "noindex", [*items, odd], indexing={"indexingMode": "none", "automatic": False}
    )
    async with open_store(cosmos_emulator, database, "noindex") as store:
        assert store.scan_only
        assert any("indexing mode is none" in w for w in store.warnings)
        keys = sorted([e.key async for e in store.iter_entries("msteams/users/")])
        assert keys == ["msteams/users/odd/", "msteams/users/user-1/"]
        read = await store.read(["msteams/users/odd/", "direct/dict-key", "absent"])
        assert set(read) == {"msteams/users/odd/", "direct/dict-key"}
        read["msteams/users/odd/"]["v"] = 2
        await store.write({"msteams/users/odd/": read["msteams/users/odd/"]})
        raw = (await store.read_raw(["msteams/users/odd/"]))["msteams/users/odd/"]
        assert raw.name == "hand-made-id"
        assert store.decode(raw) == {"v": 2}


async def test_indexing_turned_off_while_open_is_noticed_at_the_first_refused_query(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = fixture("python-cosmos-partitioned")
    odd = {"id": "hand-made-id", "realId": "msteams/users/odd", "document": {"v": 1}}
    container = await container_with(database, "later", [*items, odd])
    async with open_store(cosmos_emulator, database, "later") as store:
        assert not store.scan_only
        await database.replace_container(
            "later",
            PartitionKey(path="/id"),
            indexing_policy={"indexingMode": "none", "automatic": False},
        )
        for item in [*items, odd]:  # the emulator empties a replaced container
            await container.upsert_item(item)
        # its id is not the container's escape: only a realId lookup finds it
        read = await store.read(["msteams/users/odd"])
        assert read["msteams/users/odd"]["v"] == 1
        assert store.scan_only
        assert any("indexing mode is none" in w for w in store.warnings)
        keys = [e.key async for e in store.iter_entries("msteams/users/")]
        assert sorted(keys) == ["msteams/users/odd", "msteams/users/user-1"]


# -- etags, read-only, lifecycle -------------------------------------------------


async def test_stale_etag_conflicts_and_names_the_key(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    await container_with(database, "c", fixture("python-cosmos-partitioned"))
    key = "msteams/users/user-1"
    async with (
        open_store(cosmos_emulator, database, "c") as first,
        open_store(cosmos_emulator, database, "c") as second,
    ):
        mine = (await first.read_raw([key]))[key]
        theirs = (await second.read_raw([key]))[key]
        await second.write_raw(
            second.encode(key, {"by": "second"}, like=theirs), if_match=theirs.etag
        )
        with pytest.raises(ETagConflictError) as caught:
            await first.write_raw(first.encode(key, {"by": "first"}, like=mine), if_match=mine.etag)
        assert caught.value.key == key
        assert key in str(caught.value)
        with pytest.raises(ETagConflictError):
            await first.write_raw(first.encode(key, {"new": 1}), create=True)
        assert (await first.read([key]))[key]["by"] == "second"


async def test_read_only_refuses_before_any_request(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    await container_with(database, "c", fixture("js-cosmos-partitioned"))
    async with open_store(cosmos_emulator, database, "c", read_only=False) as writer:
        pass
    store = open_store(cosmos_emulator, database, "c")
    store.read_only = True
    async with store:
        charged = store.total_request_charge
        with pytest.raises(ReadOnlyError):
            await store.write({"msteams/users/user-1/": {"x": 1}})
        with pytest.raises(ReadOnlyError):
            await store.delete_raw("direct/dict-key")
        assert store.total_request_charge == charged
    assert writer.total_request_charge > 0


async def test_the_explorer_never_creates_containers_but_a_bot_does(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    with pytest.raises(BackendUnavailableError, match="never creates"):
        async with open_store(cosmos_emulator, database, "absent"):
            pass
    bot = CosmosStorage(
        database.id,
        "bot-state",
        endpoint=cosmos_emulator.endpoint,
        key=cosmos_emulator.key,
        insecure=True,
    )
    async with bot:
        await bot.write({"msteams/users/u": {"n": 1}})
    props = await database.get_container_client("bot-state").read()
    assert props["partitionKey"]["paths"] == ["/id"]
    missing_db = CosmosStorage(
        "no-such-database",
        "c",
        endpoint=cosmos_emulator.endpoint,
        key=cosmos_emulator.key,
        insecure=True,
    )
    with pytest.raises(BackendUnavailableError, match="database 'no-such-database' does not exist"):
        async with missing_db:
            pass


async def test_refused_container_creation_and_credentials_say_what_to_do(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    port = int(cosmos_emulator.endpoint.rstrip("/").rsplit(":", 1)[1])
    with FaultProxy(port, tls=True) as proxy:
        # an Entra ID data role may read and write items but not create containers
        proxy.add(
            Rule("status", match=lambda m, p: m == "POST" and p.endswith("/colls/"), status=403)
        )
        bot = CosmosStorage(
            database.id,
            "bot-state",
            endpoint=proxy.endpoint(),
            key=cosmos_emulator.key,
            insecure=True,
        )
        with pytest.raises(BackendUnavailableError, match="cannot create containers"):
            async with bot:
                pass
        proxy.add(Rule("status", times=None, status=401))
        with pytest.raises(BackendUnavailableError, match="refused the credentials"):
            async with from_url(
                f"cosmos://{database.id}/bot-state",
                endpoint=proxy.endpoint(),
                key=cosmos_emulator.key,
                insecure=True,
            ):
                pass


async def _fill(container: ContainerProxy, start: int, stop: int) -> None:
    for chunk in range(start, stop, 100):
        await asyncio.gather(
            *(
                container.create_item({"id": f"k{i:05d}", "realId": f"k/{i:05d}", "document": {}})
                for i in range(chunk, min(chunk + 100, stop))
            )
        )


async def test_the_container_total_is_the_count_cosmos_db_reports(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    """Past EXACT_COUNT_MAX documents ``count()`` answers the count Cosmos DB
    reports with the container's quota info (read on open: no request; then one
    metadata read), marked as an estimate, never a COUNT of the container; a
    prefix and a small container are counted exactly."""
    many = EXACT_COUNT_MAX + 50
    big = await database.create_container("reported", PartitionKey(path="/id"))
    await _fill(big, 0, many)
    async with open_store(cosmos_emulator, database, "reported") as store:
        assert Capability.REPORTED_TOTAL in store.capabilities
        before = store.total_request_charge
        total = await store.count()
        assert (total.value, total.exact, total.at_least) == (many, False, False)
        assert total.describe() == "≈ 1.1k"
        assert store.total_request_charge == before  # the figure read on open
        await _fill(big, many, many + 1)
        again = await store.count()
        assert (again.value, again.exact) == (many + 1, False)
        assert store.total_request_charge == before + 1  # one container read
        prefix = await store.count("k/")
        assert (prefix.value, prefix.exact) == (many + 1, True)
    small = await database.create_container("small", PartitionKey(path="/id"))
    await _fill(small, 0, 30)
    async with open_store(cosmos_emulator, database, "small") as store:
        assert Capability.REPORTED_TOTAL in store.capabilities
        exact = await store.count()
        assert (exact.value, exact.exact) == (30, True)


async def test_request_charge_is_recorded_and_known_ids_are_read_directly(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = fixture("python-cosmos-partitioned")
    await container_with(database, "c", items)
    async with open_store(cosmos_emulator, database, "c") as store:
        before = store.total_request_charge
        # the emulator charges 1 RU per request
        await store.read_raw([i["realId"] for i in items[:3]])
        assert store.last_request_charge == 1  # one read-many request for three ids
        await store.read_raw([items[0]["realId"]])
        assert store.last_request_charge == 1  # one point read
        assert await store.read_raw(["msteams/users/nobody"]) == {}
        assert store.last_request_charge == 2  # a point read, then the realId query
        assert store.total_request_charge == before + 4
        estimate = await store.estimate_scan()
        assert estimate.documents == len(items)
        assert estimate.request_charge > 0
        assert estimate.spent == store.last_request_charge


async def test_bulk_reads_are_concurrent_within_the_bound_and_cancellable(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = [{"id": f"k*47{i:03d}", "realId": f"k/{i:03d}", "document": {}} for i in range(48)]
    keys = [i["realId"] for i in items]
    await container_with(database, "bulk", items)
    port = int(cosmos_emulator.endpoint.rstrip("/").rsplit(":", 1)[1])
    delay = 0.05
    proxy = LatencyProxy(port, delay=delay).start()
    try:
        store = from_url(
            f"cosmos://{database.id}/bulk",
            endpoint=proxy.endpoint(),
            key=cosmos_emulator.key,
            insecure=True,
            max_concurrency=4,
        )
        async with store:
            started = time.perf_counter()
            assert len(await store.read(keys)) == len(items)
            assert time.perf_counter() - started < 6 * delay  # read-many: a round trip or two
            # a batch of new keys: looked up together, then written four at a time
            started = time.perf_counter()
            await store.write({f"new/{i:03d}": {"i": i} for i in range(48)})
            assert time.perf_counter() - started < 48 * delay / 2
            assert len(await store.read([f"new/{i:03d}" for i in range(48)])) == 48
            # where queries are refused (indexing none) the ids are point-read: four at a time
            store.scan_only = True
            opened = proxy.connections
            started = time.perf_counter()
            assert len(await store.read(keys)) == len(items)
            elapsed = time.perf_counter() - started
            assert proxy.connections - opened <= 4  # never more requests in flight
            assert elapsed < len(items) * delay / 2  # yet far from one at a time
            assert elapsed >= len(items) / 4 * delay * 0.9
            reading = asyncio.create_task(store.read(keys))
            await asyncio.sleep(delay * 2)
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
            assert len(await store.read(["k/000", "k/047"])) == 2  # still usable
    finally:
        proxy.stop()


async def test_listing_pages_resume_from_a_continuation_token(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    items = [{"id": f"k*47{i:03d}", "realId": f"k/{i:03d}", "document": {}} for i in range(25)]
    await container_with(database, "paged", items)
    async with open_store(cosmos_emulator, database, "paged", page_size=10) as store:
        pages = store.iter_pages()
        first, token = await anext(pages)
        await pages.aclose()  # cancelled after one page
        assert len(first) == 10
        assert token
        rest = [e.key async for page, _ in store.iter_pages(continuation=token) for e in page]
        assert sorted([e.key for e in first] + rest) == [i["realId"] for i in items]


async def test_tls_checks_off_is_said_and_only_allowed_for_a_local_emulator(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    await container_with(database, "c", [])
    async with open_store(cosmos_emulator, database, "c") as store:
        assert store.insecure
        assert not store.tls_verified
        assert store.warnings[0].startswith("TLS certificate checks are OFF")
    with pytest.raises(BackendUnavailableError, match="only for a local emulator"):
        from_url(
            "cosmos://db/c",
            endpoint="https://prod.documents.azure.com:443/",
            key="k",
            insecure=True,
        )
    # the SDK itself skips certificate checks for "localhost" and "127.0.0.1" (and the
    # store says so); through 127.0.0.2 the same emulator gets its certificate checked
    local = from_url(f"cosmos://{database.id}/c", endpoint="https://localhost:1/", key="k")
    assert not local.tls_verified
    assert local.warnings
    port = int(cosmos_emulator.endpoint.rstrip("/").rsplit(":", 1)[1])
    proxy = LatencyProxy(port, listen_host="127.0.0.2").start()
    try:
        verified = from_url(
            f"cosmos://{database.id}/c", endpoint=proxy.endpoint(), key=cosmos_emulator.key
        )
        assert verified.tls_verified
        assert verified.warnings == ()
        with pytest.raises(BackendUnavailableError, match="--insecure"):
            async with verified:
                pass
    finally:
        proxy.stop()


async def test_an_sdk_container_proxy_is_accepted(
    cosmos_emulator: Emulator, database: DatabaseProxy
) -> None:
    container = await container_with(database, "c", fixture("js-cosmos-partitioned"))
    store = from_url(f"cosmos://{database.id}/c", container=container)
    async with store:
        assert store.dialect == "js"
        assert "direct/dict-key" in await store.read(["direct/dict-key"])
    # the caller's client still works: the store did not close it
    assert (await container.read())["id"] == "c"


class StaticToken:
    """An Entra ID credential (AsyncTokenCredential) handing out a fixed token."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    async def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken("entra-token", int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> StaticToken:
        return self

    async def __aexit__(self, *_: object) -> None:
        pass


async def test_entra_id_credentials_are_used_without_a_key(
    cosmos_emulator: Emulator, database: DatabaseProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COSMOS_KEY", raising=False)
    await container_with(database, "c", fixture("js-cosmos-partitioned"))
    credential = StaticToken()
    store = from_url(
        f"cosmos://{database.id}/c",
        endpoint=cosmos_emulator.endpoint,
        credential=credential,
        insecure=True,
    )
    async with store:
        assert "direct/dict-key" in await store.read(["direct/dict-key"])
    assert credential.scopes  # the SDK asked it for a Cosmos DB token


def test_store_urls_are_checked() -> None:
    for bad in ("cosmos://", "cosmos://db", "cosmos://db/c/extra", "blob://x/y"):
        with pytest.raises(UnknownStoreError):
            from_url(bad, endpoint="https://localhost:1/", key="k")


async def test_no_endpoint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COSMOS_ENDPOINT", raising=False)
    with pytest.raises(BackendUnavailableError, match="COSMOS_ENDPOINT"):
        async with from_url("cosmos://db/c", key="k"):
            pass
