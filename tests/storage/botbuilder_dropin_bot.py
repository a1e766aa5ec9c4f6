"""A botbuilder-python 4.17.1 bot whose storage is OURS. Run by ``test_botbuilder_dropin.py``.

Runs in the botbuilder venv with ``PYTHONPATH`` at the repository root:
``python botbuilder_dropin_bot.py memory|sqlite [PATH]``. botbuilder's own
``UserState``, ``ConversationState`` and ``PrivateConversationState`` sit on our
``MemoryStorage`` / ``SqliteStorage``; botbuilder's ``TestAdapter`` drives the
turns. Prints one JSON object: the replies, the stored documents as our
storage reads them, and what happened on a concurrent change.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from botbuilder.core import (
    ConversationState,
    PrivateConversationState,
    TurnContext,
    UserState,
)
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from explorer.storage import ETagConflictError, Storage
from explorer.storage.memory import MemoryStorage
from explorer.storage.sqlite import SqliteStorage

#: Teams-style ids, as a real channel sends them
TEMPLATE = Activity(
    channel_id="msteams",
    service_url="https://smba.trafficmanager.net/emea/",
    from_property=ChannelAccount(id="29:1AbC-x_y", name="Ada"),
    recipient=ChannelAccount(id="28:bot-id", name="Bot"),
    conversation=ConversationAccount(id="a:1Xyz;messageid=1700000000000"),
)


class Profile:
    """State as botbuilder samples keep it: a plain object."""

    def __init__(self) -> None:
        self.name = "unknown"
        self.visits = 0


async def run(storage: Storage) -> dict[str, Any]:
    user_state = UserState(storage)
    conversation_state = ConversationState(storage)
    private_state = PrivateConversationState(storage)
    count = user_state.create_property("Count")
    profile = user_state.create_property("Profile")
    history = conversation_state.create_property("History")
    last_seen = private_state.create_property("LastText")

    async def logic(context: TurnContext) -> None:
        turns = await count.get(context, lambda: 0) + 1  # botbuilder ignores a falsy default
        await count.set(context, turns)
        person = await profile.get(context, Profile)
        # Written as its public attributes, it reads back as a dict (never unpickled).
        if isinstance(person, Profile):
            person.visits += 1
        else:
            person["visits"] += 1
        said = await history.get(context, list)
        said.append(context.activity.text)
        await last_seen.set(context, context.activity.text)
        await context.send_activity(f"{turns}:{context.activity.text}")
        for state in (user_state, conversation_state, private_state):
            await state.save_changes(context)

    keys: list[str] = []

    async def key_logic(context: TurnContext) -> None:
        keys.extend(
            s.get_storage_key(context) for s in (user_state, conversation_state, private_state)
        )

    await TestAdapter(key_logic, TEMPLATE).send("keys")
    adapter = TestAdapter(logic, TEMPLATE)
    replies = []
    for text in ("hello", "again", "third"):
        flow = await adapter.send(text)
        replies.append(flow.adapter.get_next_activity().text)

    # A change another instance made between this turn's load and save.
    conflict = "none"

    async def racing_logic(context: TurnContext) -> None:
        nonlocal conflict
        await count.set(context, await count.get(context, lambda: 0) + 100)
        key = user_state.get_storage_key(context)
        theirs = (await storage.read([key]))[key]
        theirs["Count"] = -1
        await storage.write({key: theirs})
        try:
            await user_state.save_changes(context)
        except ETagConflictError as exc:
            conflict = f"{type(exc).__name__}: {exc.key}"

    await TestAdapter(racing_logic, TEMPLATE).send("race")
    return {
        "replies": replies,
        "conflict": conflict,
        "keys": keys,
        "stored": await storage.read(keys),
    }


async def main(kind: str, path: str | None) -> None:
    storage: Storage = SqliteStorage(path) if kind == "sqlite" and path else MemoryStorage()
    async with storage:
        result = await run(storage)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
