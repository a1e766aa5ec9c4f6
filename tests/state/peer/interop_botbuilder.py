"""Run in the botbuilder-python 4.17.1 venv with the project on PYTHONPATH.

``python interop_botbuilder.py SQLITE_PATH`` prints one JSON object with what
it observed, for ``tests/state/test_peer_botbuilder.py`` to check. Over each
shared storage (botbuilder's MemoryStorage, our MemoryStorage, our
SqliteStorage), turns alternate between botbuilder's own state classes and
ours, every turn with a REAL ``TurnContext`` built by botbuilder's
``TestAdapter`` from a real ``Activity``, passed to our API unchanged.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from botbuilder.core import ConversationState as BbConversationState
from botbuilder.core import MemoryStorage as BbMemoryStorage
from botbuilder.core import PrivateConversationState as BbPrivateConversationState
from botbuilder.core import TurnContext
from botbuilder.core import UserState as BbUserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from explorer.state import (
    ConversationState,
    PrivateConversationState,
    PropertyNotFoundError,
    UserState,
)
from explorer.storage import ETagConflictError, MemoryStorage, SqliteStorage

CHANNEL, USER, CONVERSATION = "msteams", "29:1AbC-x;y@z=|", "19:meeting_Zj@thread.v2"


def real_turn(adapter: TestAdapter, user: str | None = USER) -> TurnContext:
    activity = Activity(
        type=ActivityTypes.message,
        channel_id=CHANNEL,
        from_property=ChannelAccount(id=user) if user else None,
        recipient=ChannelAccount(id="28:bot"),
        conversation=ConversationAccount(id=CONVERSATION),
        text="hi",
    )
    return TurnContext(adapter, activity)


async def botbuilder_turn(storage: Any, adapter: TestAdapter) -> dict[str, Any]:
    """One turn of a botbuilder-python bot: read, bump, save all three buckets."""
    tc = real_turn(adapter)
    user, conv, private = (
        BbUserState(storage),
        BbConversationState(storage),
        BbPrivateConversationState(storage),
    )
    profile = await user.create_property("profile").get(tc, lambda: {"name": "Ada", "visits": 0})
    profile["visits"] += 1
    await user.create_property("profile").set(tc, profile)
    topic = await conv.create_property("topic").get(tc, lambda: {"turns": 0})
    topic["turns"] += 1
    secret = await private.create_property("secret").get(tc, lambda: {"token": "t0"})
    secret["token"] = f"t{profile['visits']}"
    for state in (user, conv, private):
        await state.save_changes(tc)
    return {"visits": profile["visits"], "turns": topic["turns"], "token": secret["token"]}


async def our_turn(storage: Any, adapter: TestAdapter) -> dict[str, Any]:
    """The same turn with our buckets, given botbuilder's TurnContext unchanged."""
    tc = real_turn(adapter)
    user = UserState(storage, key_style="python")
    conv = ConversationState(storage, key_style="python")
    private = PrivateConversationState(storage, key_style="python")
    profile = await user.create_property("profile").get(tc)
    profile["visits"] += 1
    topic = await conv.create_property("topic").get(tc)
    topic["turns"] += 1
    await conv.create_property("topic").set(tc, topic)
    secret = await private.create_property("secret").get(tc)
    secret["token"] = f"t{profile['visits']}"
    for state in (user, conv, private):
        await state.save_changes(tc)
    # plain style: user and conversation keys match botbuilder-python, private does not
    plain = PrivateConversationState(storage)
    try:
        await plain.create_property("secret").get(real_turn(adapter))
        plain_private = "found"
    except PropertyNotFoundError as exc:
        plain_private = str(exc)
    return {
        "visits": profile["visits"],
        "turns": topic["turns"],
        "token": secret["token"],
        "plain_user_key_matches": UserState(storage).get_storage_key(tc)
        == user.get_storage_key(tc),
        "private_keys": [plain.get_storage_key(tc), private.get_storage_key(tc)],
        "plain_private": plain_private,
        "cache_keys": sorted(k for k in tc.turn_state if str(k).startswith("explorer.state.")),
    }


async def conflict_check(storage: Any, adapter: TestAdapter) -> str:
    """An optimistic bucket of ours refuses to overwrite a botbuilder save it did not see."""
    ours = UserState(storage, concurrency="optimistic", key_style="python")
    tc = real_turn(adapter)
    profile = await ours.create_property("profile").get(tc)
    profile["name"] = "ours"
    await botbuilder_turn(storage, adapter)
    try:
        await ours.save_changes(tc)
    except ETagConflictError as exc:
        return f"conflict on {exc.key}"
    return "overwrote"


async def missing_id(adapter: TestAdapter) -> str:
    try:
        await UserState(MemoryStorage()).load(real_turn(adapter, user=None))
    except ValueError as exc:
        return str(exc)
    return "no error"


async def main(sqlite_path: str) -> None:
    adapter = TestAdapter()
    results: dict[str, Any] = {"missing_id": await missing_id(adapter)}
    storages: dict[str, Any] = {
        "botbuilder-memory": BbMemoryStorage(),
        "explorer-memory": MemoryStorage(),
        "explorer-sqlite": SqliteStorage(sqlite_path),
    }
    for name, storage in storages.items():
        turns = [
            await botbuilder_turn(storage, adapter),
            await our_turn(storage, adapter),
            await botbuilder_turn(storage, adapter),
            await our_turn(storage, adapter),
        ]
        entry: dict[str, Any] = {"turns": turns}
        if name != "botbuilder-memory":  # its conflicts are bare KeyErrors, not ours
            entry["conflict"] = await conflict_check(storage, adapter)
            keys = [k async for k in storage.iter_keys()]
            entry["stored"] = await storage.read(keys)
        results[name] = entry
    await storages["explorer-sqlite"].close()
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
