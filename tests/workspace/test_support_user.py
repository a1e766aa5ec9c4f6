"""Everything about one user (``workspace.user_lookup``) on every backend and key form."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from explorer.core.items import Entry, RawItem
from explorer.storage import Storage
from explorer.storage.paging import Page
from explorer.storage.sqlite import SqliteStorage
from explorer.workspace.user_lookup import find_in_values, find_user, holds_user, mentions
from tests.support.support_stores import (
    ALL,
    DECOY_VALUE,
    HOLDS_USER,
    HOLDS_WEB_USER,
    USER,
    VALUE_ONLY,
    WEB_USER,
    bare,
)


async def test_finds_every_item_of_the_user_and_no_decoy(read_only_store: Storage) -> None:
    lookup = await find_user(read_only_store, USER)
    assert {bare(k) for k in lookup.keys} == {bare(k) for k in HOLDS_USER}
    assert len(lookup.keys) == len(HOLDS_USER)
    kinds = {bare(i.key): (i.kind, i.channel, i.agent, i.conversation) for i in lookup.items}
    assert kinds[f"msteams:COPILOT/users/{USER}"] == ("user", "msteams:COPILOT", None, None)
    assert kinds[f"msteams/28:bot-app-id/users/{USER}"] == (
        "user",
        "msteams",
        "28:bot-app-id",
        None,
    )
    assert kinds[f"webchat/conversations/8DMnYq3wLJqHk2Xm-us|0000003/users/{USER}"] == (
        "private",
        "webchat",
        None,
        "8DMnYq3wLJqHk2Xm-us|0000003",
    )
    assert all(i.match == "key" for i in lookup.items)
    assert lookup.keys == sorted(lookup.keys)


async def test_web_chat_user(read_only_store: Storage) -> None:
    lookup = await find_user(read_only_store, WEB_USER)
    assert {bare(k) for k in lookup.keys} == {bare(k) for k in HOLDS_WEB_USER}


@pytest.mark.parametrize("decoy", ["29:1AbCD", "x29:1AbC", "29:1abc", "29:1Ab", "1AbC"])
async def test_each_decoy_id_finds_only_its_own(read_only_store: Storage, decoy: str) -> None:
    lookup = await find_user(read_only_store, decoy)
    assert all(holds_user(k, decoy) for k in lookup.keys)
    expected = {"29:1AbCD": 1, "x29:1AbC": 1, "29:1abc": 1}.get(decoy, 0)
    assert len(lookup.keys) == expected


async def test_cost_is_said(read_only_store: Storage) -> None:
    seen: list[int] = []
    lookup = await find_user(read_only_store, USER, on_progress=seen.append)
    assert seen
    assert seen[-1] == lookup.listed
    assert "listed" in lookup.describe_cost()
    assert "msteams:COPILOT" in lookup.channels


async def test_value_matches_are_marked_and_skip_decoys(read_only_store: Storage) -> None:
    lookup = await find_user(read_only_store, USER)
    progress: list[tuple[int, int]] = []
    values = await find_in_values(
        read_only_store,
        USER,
        skip=set(lookup.keys),
        on_progress=lambda d, t: progress.append((d, t)),
    )
    assert [bare(v.key) for v in values] == [bare(VALUE_ONLY)]
    assert values[0].match == "value"
    assert DECOY_VALUE not in {bare(v.key) for v in values}
    assert progress[-1][0] == progress[-1][1]


async def test_value_scan_can_be_cancelled(read_only_store: Storage) -> None:
    keys = [k async for k in read_only_store.iter_keys("")]
    started = asyncio.Event()

    def on_progress(done: int, total: int) -> None:
        started.set()

    task = asyncio.create_task(
        find_in_values(read_only_store, USER, keys=keys * 50, chunk=1, on_progress=on_progress)
    )
    await asyncio.wait_for(started.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_mentions_is_a_whole_token() -> None:
    assert mentions({"from": USER}, USER)
    assert mentions({"c": "19:abc;messageid=1|29:1AbC"}, USER)
    assert mentions({USER: True}, USER)
    assert not mentions({"from": "29:1AbCD"}, USER)
    assert not mentions({"from": "x29:1AbC"}, USER)
    assert not mentions({"from": "29:1abc"}, USER)
    assert mentions([1, [{"deep": [USER]}]], USER)


def test_holds_user_rules() -> None:
    assert holds_user(f"msteams/users/{USER}/", USER)
    assert holds_user(f"msteams/conversations/c/users/{USER}", USER)
    assert not holds_user(f"msteams/conversations/{USER}", USER)
    assert not holds_user(f"msteams/conversations/{USER}/users/29:9Other/", USER)
    assert not holds_user(f"auth/msteams/{USER}", USER)


async def test_skip_private_reads_user_states_only(read_only_store: Storage) -> None:
    lookup = await find_user(read_only_store, USER, private=False)
    users = {bare(k) for k in HOLDS_USER if "/conversations/" not in k}
    assert {bare(k) for k in lookup.keys} == users
    assert "private conversation state not looked for" in lookup.describe_cost()


class CountingSqlite(SqliteStorage):
    """A real SQLite store that counts what a lookup asks of it."""

    seeks = 0
    #: prefixes listed with ``iter_entries`` and the keys each yielded
    listings: ClassVar[dict[str, int]] = {}

    async def list_page(self, prefix: str = "", **options: Any) -> Page:
        CountingSqlite.seeks += 1
        return await super().list_page(prefix, **options)

    async def iter_entries(self, prefix: str = "") -> AsyncIterator[Entry]:
        CountingSqlite.listings.setdefault(prefix, 0)
        async for entry in super().iter_entries(prefix):
            CountingSqlite.listings[prefix] += 1
            yield entry

    async def next_page(self, prefix: str = "", **options: Any) -> Page:
        page = await super().next_page(prefix, **options)
        CountingSqlite.listings[prefix] = CountingSqlite.listings.get(prefix, 0) + len(page)
        return page


async def test_a_store_with_key_pages_is_sought_not_listed(tmp_path: Path) -> None:
    """Channels by seeks, user keys read: the Users groups (the bulk) are never
    listed, and the seeks grow with the channels, not with the keys."""
    seeks: list[int] = []
    for extra in (2_000, 20_000):
        path = tmp_path / f"users{extra}.db"
        async with SqliteStorage(path) as writer:
            await writer.write(ALL)
            await writer.write_raw_many(
                RawItem(key=f"msteams/users/29:{i:06d}", body=b'{"n": 1}') for i in range(extra)
            )
        async with CountingSqlite(path, read_only=True) as counted:
            CountingSqlite.seeks, CountingSqlite.listings = 0, {}
            lookup = await find_user(counted, USER)
            assert {bare(k) for k in lookup.keys} == {bare(k) for k in HOLDS_USER}
            assert "" not in CountingSqlite.listings  # the store was not listed
            assert all("/conversations/" in p for p in CountingSqlite.listings)
            conversations = sum(1 for k in ALL if "/conversations/" in k)
            assert lookup.listed == sum(CountingSqlite.listings.values()) == conversations
            assert f"by {lookup.seeks} seeks" in lookup.describe_cost()
            channels = len(lookup.channels)  # msteams, msteams:COPILOT, webchat
            assert channels == 3
            # one seek per name: channels and auth at the top, users / conversations /
            # the agent under each channel, and one past the last name of each level
            assert lookup.seeks == CountingSqlite.seeks <= 4 * (channels + 1)
            seeks.append(lookup.seeks)
            CountingSqlite.seeks, CountingSqlite.listings = 0, {}
            quick = await find_user(counted, USER, private=False)
            assert CountingSqlite.listings == {}  # no conversation scanned
            assert quick.listed == 0
            assert CountingSqlite.seeks == lookup.seeks
    assert seeks[0] == seeks[1]  # ten times the users: the same seeks
