"""Blob backend behaviour beyond the conformance suite, on Azurite.

The fixtures in ``tests/fixtures`` (copied from shared/) are real dumps of what botbuilder-python,
botbuilder-js and the Agents SDK wrote; they are uploaded byte for byte (name,
content type, body) and then read, listed, edited and written back through the
backend. The .NET body is built from botbuilder-dotnet's documented form.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import ContainerClient

from explorer.core.errors import (
    BackendUnavailableError,
    DecodeError,
    ETagConflictError,
    ReadOnlyError,
)
from explorer.storage import blob as blob_module
from explorer.storage import blob_dialects
from explorer.storage.blob import BlobStorage, from_url
from explorer.storage.registry import open_store
from tests.support.azurite import Azurite, unique_container
from tests.support.latency_proxy import LatencyProxy

pytestmark = pytest.mark.emulator

#: real dumps copied into the repository
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

DOTNET_BODY = (
    '{"$type":"System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],'
    '[System.Object, System.Private.CoreLib]], System.Private.CoreLib",'
    '"UserProfile":{"$type":"EchoBot.UserProfile, EchoBot","Name":"Ada","Age":38,"Nick":null},'
    '"Visits":{"$type":"System.Collections.Generic.List`1[[System.String, '
    'System.Private.CoreLib]], System.Private.CoreLib","$values":["mon","tue"]}}'
)
DOTNET_NAME = "msteams%2fusers%2f29%3a1abc+d%c3%a9j%c3%a0"  # key msteams/users/29:1abc déjà


def fixture_items(name: str) -> list[dict[str, str]]:
    items: list[dict[str, str]] = json.loads((FIXTURES / f"{name}.json").read_text())["items"]
    return items


@pytest.fixture
async def container(azurite: Azurite) -> AsyncIterator[ContainerClient]:
    """A fresh, empty container (raw SDK client), deleted afterwards."""
    async with azurite.new_container("blob") as client:
        yield client


async def upload(
    client: ContainerClient, items: list[dict[str, str]], metadata: dict[str, str] | None = None
) -> None:
    for item in items:
        await client.upload_blob(
            item["name"],
            item["body"].encode(),
            content_settings=ContentSettings(content_type=item["content_type"]),
            metadata=metadata,
        )


def store_of(azurite: Azurite, client: ContainerClient, **options: Any) -> BlobStorage:
    return from_url(
        f"blob://{client.container_name}", connection_string=azurite.connection_string, **options
    )


async def raw_blob(client: ContainerClient, name: str) -> tuple[bytes, Any]:
    stream = await client.download_blob(name)
    return bytes(await stream.readall()), stream.properties


async def names(client: ContainerClient) -> list[str]:
    return [b.name async for b in client.list_blobs()]


# -- listing and reading each dialect ------------------------------------------

KEYS = {
    "python-blobstorage": (
        "python",
        {
            "direct/dict-key",
            "direct/storeitem",
            "msteams/conversations/conv-1",
            "msteams/conversations/conv-1/users/user-1/",
            "msteams/users/user-1",
            "weird key?#*/with chars",  # the key held '\\': python names cannot tell
        },
    ),
    "js-blobsstorage": (
        "js",
        {
            "direct/dict-key",
            "direct/with-etag-star",
            "msteams/conversations/conv-1",
            "msteams/conversations/conv-1/users/user-1",  # the js trailing '/' is not in names
            "msteams/users/user-1",
            "weird key?#*\\with chars",
        },
    ),
    "agents-python-blobstorage": ("agents-python", None),
}


@pytest.mark.parametrize("fixture", sorted(KEYS))
async def test_listing_decodes_each_dialect(
    azurite: Azurite, container: ContainerClient, fixture: str
) -> None:
    items = fixture_items(fixture)
    await upload(container, items)
    dialect, keys = KEYS[fixture]
    async with store_of(azurite, container, read_only=True) as store:
        entries = [e async for e in store.iter_entries()]
        assert {e.dialect for e in entries} == {dialect}
        assert all(e.error is None for e in entries)
        assert {e.name for e in entries} == {i["name"] for i in items}
        if keys is not None:
            assert {e.key for e in entries} == keys
        documents = await store.read([e.key for e in entries])
        assert len(documents) == len(items)
        raw = await store.read_raw([e.key for e in entries])
        for entry in entries:
            assert raw[entry.key].body == next(
                i["body"].encode() for i in items if i["name"] == entry.name
            )
            assert raw[entry.key].dialect == dialect
            assert raw[entry.key].etag == entry.etag


async def test_bot_keys_find_their_blobs(azurite: Azurite, container: ContainerClient) -> None:
    """The keys the bots used (js with trailing '/', python with '\\') read their blobs."""
    await upload(container, fixture_items("js-blobsstorage"))
    await upload(container, fixture_items("python-blobstorage")[-1:])  # the weird python key
    async with store_of(azurite, container) as store:
        found = await store.read_raw(
            ["msteams/users/user-1/", "msteams/conversations/conv-1/users/user-1/"]
        )
        assert {i.name for i in found.values()} == {
            "msteams%2Fusers%2Fuser-1",
            "msteams%2Fconversations%2Fconv-1%2Fusers%2Fuser-1",
        }
        weird = await store.read_raw(["weird key?#*\\with chars"])
        # the js blob of that key, since js is this container's main dialect
        assert weird["weird key?#*\\with chars"].dialect == "js"


async def test_read_uses_the_blob_etag_not_the_body(
    azurite: Azurite, container: ContainerClient
) -> None:
    await upload(container, fixture_items("python-blobstorage"))
    _, props = await raw_blob(container, "msteams/users/user-1")
    async with store_of(azurite, container) as store:
        document = (await store.read(["msteams/users/user-1"]))["msteams/users/user-1"]
    assert document["e_tag"] == props.etag.strip('"')
    assert document["e_tag"] != "0x22D0C3EDECEE2E0"  # the stale one in the body
    assert document["UserProfile"]["py/object"] == "bbmodels.UserProfile"  # shown, not resolved


# -- write-back keeps the form ---------------------------------------------------

EDITS = [
    # fixture, key, edit, original text, new text
    (
        "python-blobstorage",
        "msteams/users/user-1",
        ("UserProfile", "age", 39),
        '"age": 38',
        '"age": 39',
    ),
    (
        "js-blobsstorage",
        "msteams/users/user-1/",
        ("UserProfile", "age", 39),
        '"age":38',
        '"age":39',
    ),
    (
        "agents-python-blobstorage",
        "msteams/users/29:1AbC",
        ("UserProfile", "name", "Zoë 🚀!"),
        '"Zo\\u00eb \\ud83d\\ude80"',
        '"Zo\\u00eb \\ud83d\\ude80!"',
    ),
]


@pytest.mark.parametrize(("fixture", "key", "edit", "old", "new"), EDITS, ids=[e[0] for e in EDITS])
async def test_editing_one_property_changes_only_its_bytes(
    azurite: Azurite,
    container: ContainerClient,
    fixture: str,
    key: str,
    edit: tuple[str, str, Any],
    old: str,
    new: str,
) -> None:
    items = fixture_items(fixture)
    await upload(container, items, metadata={"owner": "support", "ticket": "42"})
    before = await names(container)
    async with store_of(azurite, container) as store:
        raw = (await store.read_raw([key]))[key]
        original_body, original_props = await raw_blob(container, raw.name)
        document = store.decode(raw)
        member, prop, value = edit
        document[member][prop] = value
        written = await store.write_raw(store.encode(key, document, like=raw), if_match=raw.etag)
    body, props = await raw_blob(container, raw.name)
    expected = original_body.decode().replace(old, new, 1)
    if b'"e_tag"' in original_body:  # python: the stale e_tag becomes the etag we replaced
        stale = json.loads(original_body)["e_tag"]
        expected = expected.replace(f'"e_tag": "{stale}"', f'"e_tag": "{raw.etag}"')
    assert body.decode() == expected
    assert await names(container) == before
    assert props.content_settings.content_type == original_props.content_settings.content_type
    assert props.metadata == {"owner": "support", "ticket": "42"}
    assert written.etag == props.etag.strip('"') != raw.etag


async def test_a_copy_in_anothers_form_gets_its_own_name(
    azurite: Azurite, container: ContainerClient
) -> None:
    await upload(container, fixture_items("js-blobsstorage"))
    async with store_of(azurite, container) as store:
        raw = (await store.read_raw(["msteams/users/user-1/"]))["msteams/users/user-1/"]
        copy = store.encode("msteams/users/user-2/", store.decode(raw), like=raw)
        assert copy.name == "msteams%2Fusers%2Fuser-2"
        await store.write_raw(copy, create=True)
    body, _ = await raw_blob(container, "msteams%2Fusers%2Fuser-2")
    assert body == raw.body
    original, _ = await raw_blob(container, raw.name)
    assert original == raw.body


async def test_a_read_only_store_opens_on_its_names_and_lists_after_the_bodies_vote(
    azurite: Azurite, container: ContainerClient
) -> None:
    """The names alone say python family; the bodies (untagged) say agents-python. A
    read-only store opens before it has read them; what it lists waits for their vote."""
    await upload(container, fixture_items("agents-python-blobstorage"))
    async with store_of(azurite, container, read_only=True) as store:
        assert store.profile.main.name == "python"  # the names' vote: no body read yet
        listed = [(e.key, e.dialect) async for e in store.iter_entries("msteams/users/")]
        assert listed
        assert {dialect for _, dialect in listed} == {"agents-python"}
        assert store.profile.main.name == "agents-python"
    async with store_of(azurite, container) as writable:  # settled on open: it may write
        assert writable.profile.main.name == "agents-python"
    async with store_of(azurite, container, read_only=True) as closed_at_once:
        voting = closed_at_once._voting
        assert voting is not None
        assert not voting.done()
    assert voting.done()  # closing stops the bodies' reads


async def test_agents_python_bodies_never_gain_an_e_tag(
    azurite: Azurite, container: ContainerClient
) -> None:
    await upload(container, fixture_items("agents-python-blobstorage"))
    async with store_of(azurite, container) as store:
        assert store.profile.main.name == "agents-python"
        current = await store.read(["msteams/users/user-1"])
        current["msteams/users/user-1"]["prefs"]["count"] = 3
        await store.write(current)  # the bot trio, with the read etag
        await store.write({"msteams/users/new-user": {"prefs": {"lang": "fr"}}})
    body, _ = await raw_blob(container, "msteams/users/user-1")
    assert b"e_tag" not in body
    new_body, props = await raw_blob(container, "msteams/users/new-user")
    assert new_body == b'{"prefs": {"lang": "fr"}}'
    assert props.content_settings.content_type == "application/octet-stream"


async def test_dotnet_blob_keeps_type_first_and_lowercase_name(
    azurite: Azurite, container: ContainerClient
) -> None:
    await upload(
        container, [{"name": DOTNET_NAME, "content_type": "application/json", "body": DOTNET_BODY}]
    )
    key = "msteams/users/29:1abc déjà"
    async with store_of(azurite, container) as store:
        [entry] = [e async for e in store.iter_entries()]
        assert (entry.key, entry.dialect) == (key, "dotnet")
        raw = (await store.read_raw([key]))[key]
        document = store.decode(raw)
        assert next(iter(document)) == "$type"
        document["UserProfile"]["Age"] = 39
        document["Visits"]["$values"].append("wed")
        await store.write_raw(store.encode(key, document, like=raw), if_match=raw.etag)
    body, _ = await raw_blob(container, DOTNET_NAME)
    assert body.decode() == DOTNET_BODY.replace('"Age":38', '"Age":39').replace(
        '["mon","tue"]', '["mon","tue","wed"]'
    )
    assert await names(container) == [DOTNET_NAME]


@pytest.mark.parametrize(
    ("fixture", "key", "name", "content_type", "body"),
    [
        (
            "python-blobstorage",
            "msteams/users/new\\one",
            "msteams/users/new/one",
            "application/octet-stream",
            b'{"p": {"n": "\\u00e9", "l": [1, 2]}}',
        ),
        (
            "js-blobsstorage",
            "msteams/users/new one/",
            "msteams%2Fusers%2Fnew%20one",
            "application/json",
            '{"p":{"n":"é","l":[1,2]}}'.encode(),
        ),
    ],
)
async def test_new_items_take_the_containers_dialect(
    azurite: Azurite,
    container: ContainerClient,
    fixture: str,
    key: str,
    name: str,
    content_type: str,
    body: bytes,
) -> None:
    await upload(container, fixture_items(fixture))
    async with store_of(azurite, container, dialect="dotnet") as store:
        await store.write({key: {"p": {"n": "é", "l": [1, 2]}}})
        assert (await store.read([key]))[key]["p"]["n"] == "é"
    stored, props = await raw_blob(container, name)
    assert stored == body
    assert props.content_settings.content_type == content_type


async def test_an_empty_container_uses_the_configured_dialect(
    azurite: Azurite, container: ContainerClient
) -> None:
    async with store_of(azurite, container, dialect="agents-js") as store:
        await store.write({"msteams/users/u1/": {"v": 1}})
    assert await names(container) == ["%2Fmsteams%2Fusers%2Fu1"]


async def test_a_migrated_container_lists_every_form(
    azurite: Azurite, container: ContainerClient
) -> None:
    await upload(container, fixture_items("python-blobstorage"))
    await upload(container, fixture_items("js-blobsstorage")[2:5])
    await upload(
        container, [{"name": DOTNET_NAME, "content_type": "application/json", "body": DOTNET_BODY}]
    )
    await upload(
        container,
        [
            {
                "name": "%2Fmsteams%2Fusers%2Fagent-user",
                "content_type": "application/json",
                "body": "{}",
            }
        ],
    )
    async with store_of(azurite, container) as store:
        assert store.profile.main.name == "python"
        users = sorted([(e.key, e.dialect) async for e in store.iter_entries("msteams/users/")])
        assert users == [
            ("msteams/users/29:1abc déjà", "dotnet"),
            ("msteams/users/agent-user", "agents-js"),
            ("msteams/users/user-1", "js"),
            ("msteams/users/user-1", "python"),
        ]
        # the same key in two forms: a read takes the container's main dialect
        assert (await store.read_raw(["msteams/users/user-1"]))["msteams/users/user-1"].name == (
            "msteams/users/user-1"
        )


async def test_children_of_a_prefix(azurite: Azurite, container: ContainerClient) -> None:
    await upload(container, fixture_items("python-blobstorage"))
    await upload(container, fixture_items("js-blobsstorage")[2:4])  # js conv-1 and its private
    async with store_of(azurite, container, read_only=True) as store:

        async def children(prefix: str) -> tuple[set[str], set[tuple[str, str | None]]]:
            found = [c async for c in store.iter_children(prefix)]
            folders = {c for c in found if isinstance(c, str)}
            assert len(folders) == sum(isinstance(c, str) for c in found)  # each folder once
            return folders, {(c.key, c.dialect) for c in found if not isinstance(c, str)}

        assert (await children(""))[0] == {"direct/", "msteams/", "weird key?#*/"}
        folders, entries = await children("msteams/conversations/")
        assert folders == {"msteams/conversations/conv-1/"}
        assert entries == {
            ("msteams/conversations/conv-1", "python"),
            ("msteams/conversations/conv-1", "js"),
        }
        folders, entries = await children("msteams/conversations/conv-1/users/")
        assert folders == {"msteams/conversations/conv-1/users/user-1/"}
        assert entries == {("msteams/conversations/conv-1/users/user-1", "js")}
        with pytest.raises(ValueError, match="ends with '/'"):
            _ = [c async for c in store.iter_children("msteams")]


@pytest.mark.parametrize("form", ["js", "agents-js", "dotnet"])
async def test_a_flat_named_container_is_walked_a_level_at_a_time(
    azurite: Azurite, container: ContainerClient, form: str
) -> None:
    """js, agents-js and .NET names have no ``/``: a level is walked by the escaped
    slash (``%2F``, ``%2f``) as the delimiter, so the top level and a channel cost
    their few children, not a listing of every name below (the 600 users here)."""
    dialect = blob_dialects.dialect(form)
    users = [f"msteams/users/29:{i:04d}" for i in range(600)]
    keys = [
        *users,
        "msteams/conversations/a:1",
        "msteams/conversations/a:1/users/29:0001",
        "webchat/users/dl_1",
        "auth/29:0001/signin",
        "lone key",
    ]
    await asyncio.gather(
        *(
            container.upload_blob(
                dialect.name_of(key),
                b"{}",
                content_settings=ContentSettings(content_type="application/json"),
            )
            for key in keys
        )
    )
    port = int(azurite.connection_string.split("127.0.0.1:")[1].split("/")[0])
    with LatencyProxy(port) as proxy:
        proxied = azurite.connection_string.replace(f":{port}/", f":{proxy.port}/")
        store = from_url(
            f"blob://{container.container_name}", connection_string=proxied, read_only=True
        )
        async with store:
            assert store.profile.main is dialect

            async def children(prefix: str) -> tuple[set[str], set[str], int]:
                before = proxy.received
                found = [c async for c in store.iter_children(prefix)]
                folders = {c for c in found if isinstance(c, str)}
                assert len(folders) == sum(isinstance(c, str) for c in found)  # each once
                keys = {c.key for c in found if not isinstance(c, str)}
                return folders, keys, proxy.received - before

            folders, items, read = await children("")
            assert (folders, items) == ({"auth/", "msteams/", "webchat/"}, {"lone key"})
            assert read < 6_000, read  # a listing of the 600 user names reads ~100 KB
            folders, items, read = await children("msteams/")
            assert (folders, items) == ({"msteams/conversations/", "msteams/users/"}, set())
            assert read < 6_000, read
            folders, items, _ = await children("msteams/conversations/")
            assert folders == {"msteams/conversations/a:1/"}
            assert items == {"msteams/conversations/a:1"}
            assert (await children("msteams/conversations/a:1/"))[0] == {
                "msteams/conversations/a:1/users/"
            }
            assert len((await children("msteams/users/"))[1]) == len(users)


# -- bad bodies and names ----------------------------------------------------------


async def test_bad_bodies_fail_per_item_and_listing_goes_on(
    azurite: Azurite, container: ContainerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("explorer.storage.base.MAX_DOCUMENT_BYTES", 1000)
    bad = {
        "bad/not-json": b"{not json",
        "bad/not-utf8": b'{"a": "\xff\xfe"}',
        "bad/empty": b"",
        "bad/array": b"[1, 2]",
        "bad/huge": b'{"a": "' + b"x" * 2000 + b'"}',
    }
    for name, body in bad.items():
        await container.upload_blob(name, body)
    await container.upload_blob(
        "bad%ZZname", b"{}", content_settings=ContentSettings("application/json")
    )
    await container.upload_blob("good/one", b'{"ok": true}')
    async with store_of(azurite, container) as store:
        entries = [e async for e in store.iter_entries()]
        assert len(entries) == 7
        [broken] = [e for e in entries if e.error]
        assert broken.name == "bad%ZZname"
        assert "cannot be decoded" in broken.error
        raw = await store.read_raw([*bad, "good/one"])
        assert set(raw) == {*bad, "good/one"}
        for key in bad:
            with pytest.raises(DecodeError) as caught:
                store.decode(raw[key])
            assert caught.value.key == key
        assert store.decode(raw["good/one"]) == {"ok": True}


# -- etags, conflicts, read-only -----------------------------------------------------


async def test_conflicts_are_typed_and_name_the_key(
    azurite: Azurite, container: ContainerClient
) -> None:
    await upload(container, fixture_items("js-blobsstorage"))
    key = "msteams/users/user-1/"
    async with store_of(azurite, container) as store:
        raw = (await store.read_raw([key]))[key]
        document = store.decode(raw)
        document["extra"] = 2
        await container.upload_blob(raw.name, b'{"someone":"else"}', overwrite=True)
        with pytest.raises(ETagConflictError) as caught:
            await store.write_raw(store.encode(key, document, like=raw), if_match=raw.etag)
        assert caught.value.key == key
        with pytest.raises(ETagConflictError):
            await store.write_raw(store.encode(key, document, like=raw), create=True)
        with pytest.raises(ETagConflictError):
            await store.write({key: {**document, "eTag": raw.etag}})
        with pytest.raises(ETagConflictError):
            await store.delete_raw(key, if_match=raw.etag)
    body, _ = await raw_blob(container, raw.name)
    assert body == b'{"someone":"else"}'


async def test_read_only_refuses_before_any_request(
    azurite: Azurite, container: ContainerClient
) -> None:
    await upload(container, fixture_items("python-blobstorage"))
    before = {n: (await raw_blob(container, n))[0] for n in await names(container)}
    async with store_of(azurite, container, read_only=True) as store:
        raw = (await store.read_raw(["msteams/users/user-1"]))["msteams/users/user-1"]
        for attempt in (
            lambda: store.write_raw(store.encode(raw.key, {"x": 1}, like=raw)),
            lambda: store.write({"msteams/users/user-1": {"x": 1}}),
            lambda: store.delete(["msteams/users/user-1"]),
            lambda: store.delete_raw("direct/dict-key"),
        ):
            with pytest.raises(ReadOnlyError):
                await attempt()
    assert {n: (await raw_blob(container, n))[0] for n in await names(container)} == before


# -- paging, cancelling, bulk reads ----------------------------------------------------


async def test_listing_streams_pages_and_stops_early(
    azurite: Azurite, container: ContainerClient
) -> None:
    for i in range(23):
        await container.upload_blob(f"p/{i:03d}", b"{}")
    async with store_of(azurite, container, page_size=5) as store:
        assert len([k async for k in store.iter_keys("p/")]) == 23
        listing = store.iter_keys()
        first = [await anext(listing) for _ in range(7)]
        await listing.aclose()
        assert first == [f"p/{i:03d}" for i in range(7)]


async def test_bulk_read_is_bounded_and_complete(
    azurite: Azurite, container: ContainerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(40):
        await container.upload_blob(f"k/{i}", json.dumps({"i": i}).encode())
    in_flight = peak = 0
    original = ContainerClient.download_blob

    async def counting(self: ContainerClient, *args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(self, *args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(ContainerClient, "download_blob", counting)
    async with store_of(azurite, container, max_concurrency=4) as store:
        documents = await store.read([f"k/{i}" for i in range(40)] + ["k/missing"])
    assert {k: v["i"] for k, v in documents.items()} == {f"k/{i}": i for i in range(40)}
    assert 1 < peak <= 4


# -- opening -----------------------------------------------------------------------------


async def test_open_by_url_env_key_and_sas(
    azurite: Azurite, container: ContainerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    from tests.support import azurite as support

    await container.upload_blob("k", b'{"v": 1}')
    url = f"blob://{container.container_name}"
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    async with open_store(url) as store:
        assert await store.read(["k"])
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    async with open_store(url, account_url=azurite.blob_endpoint, account_key=support.KEY) as s:
        assert await s.read(["k"])
    sas = generate_container_sas(
        support.ACCOUNT,
        container.container_name,
        account_key=support.KEY,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    async with open_store(url, account_url=azurite.blob_endpoint, sas_token=sas) as s:
        assert [k async for k in s.iter_keys()] == ["k"]
    async with BlobStorage(container) as s:  # an SDK client passed in, left open
        assert await s.read(["k"])
    assert await names(container) == ["k"]
    with pytest.raises(BackendUnavailableError, match="AZURE_STORAGE_CONNECTION_STRING"):
        from_url(url)


async def test_a_missing_container_is_a_clear_error(azurite: Azurite) -> None:
    name = unique_container("missing")
    store = from_url(f"blob://{name}", connection_string=azurite.connection_string)
    with pytest.raises(BackendUnavailableError, match="does not exist"):
        await store.open()
    await store.close()
    async with from_url(
        f"blob://{name}", connection_string=azurite.connection_string, create_container=True
    ) as created:
        await created.write({"k": {}})
        assert [k async for k in created.iter_keys()] == ["k"]
        await created._container.delete_container()


def test_page_size_is_the_service_maximum() -> None:
    assert blob_module.PAGE_SIZE == 5000


async def test_entra_id_is_the_fallback_for_an_account_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity.aio import DefaultAzureCredential

    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING", raising=False)
    store = from_url("blob://state", account_url="https://acct.blob.core.windows.net")
    assert isinstance(store._container.credential, DefaultAzureCredential)
    assert store._container.account_name == "acct"
    await store.close()  # closes the credential it made; no request was sent


# -- the tree's first rows -------------------------------------------------------------


@pytest.mark.parametrize("form", ["python", "js", "dotnet"])
async def test_the_tree_shows_sampled_channels_before_the_listing_answers(
    azurite: Azurite, container: ContainerClient, form: str
) -> None:
    from explorer.storage.blob import SAMPLE_NAMES
    from explorer.workspace.tree import LoadState, StateTree
    from explorer.workspace.tree_load import expand_node
    from tests.support import azurite as azurite_support

    dialect = blob_dialects.dialect(form)
    keys = [f"msteams/users/29:{i:03d}" for i in range(SAMPLE_NAMES + 5)]
    for key in [*keys, "webchat/users/w1"]:  # webchat sorts after the sample
        await container.upload_blob(
            dialect.name_of(key),
            b'{"a": 1}',
            content_settings=ContentSettings(content_type=dialect.content_type),
        )
    proxy = LatencyProxy(azurite.port, delay=0.5).start()  # a lister far away
    try:
        slow = azurite_support.connection_string("127.0.0.1", proxy.port)
        async with (
            store_of(azurite, container, read_only=True) as store,
            from_url(f"blob://{container.container_name}", connection_string=slow) as lister,
        ):
            tree = StateTree()
            conn = tree.add_connection("blob", store, lazy=True)
            conn.lister = lister
            listing = asyncio.ensure_future(expand_node(tree, conn))
            await asyncio.sleep(0.2)
            assert conn.load_state is LoadState.LOADING
            assert [c.label for c in conn.children] == ["msteams"]  # before the listing
            await listing
            assert [c.label for c in conn.children] == ["msteams", "webchat"]
            assert store.known_children("") == ()  # once: a refresh lists, never guesses
    finally:
        proxy.stop()
