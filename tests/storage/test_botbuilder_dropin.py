"""Our stores as the storage of a real botbuilder-python 4.17.1 bot.

``botbuilder_dropin_bot.py`` runs in the botbuilder venv (its own pinned Azure
SDKs) with the repository on ``PYTHONPATH``, so this also proves that the
storage modules import nothing outside the standard library.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from explorer.storage.sqlite import SqliteStorage
from tests.support import botbuilder_venv

pytestmark = pytest.mark.peer

HERE = Path(__file__).resolve().parent
USER = "msteams/users/29:1AbC-x_y"
CONVERSATION = "msteams/conversations/a:1Xyz;messageid=1700000000000"
PRIVATE = f"{CONVERSATION}/users/29:1AbC-x_y/"  # botbuilder-python's own suffix


def run_bot(*args: str) -> dict[str, Any]:
    script = HERE / "botbuilder_dropin_bot.py"
    done = botbuilder_venv.run(script, *args, pythonpath=botbuilder_venv.ROOT)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def check_bot_result(result: dict[str, Any]) -> None:
    assert result["replies"] == ["1:hello", "2:again", "3:third"]
    assert result["keys"] == [USER, CONVERSATION, PRIVATE]
    # botbuilder's save_changes wrote with the etag it loaded; our store refused
    # it after another writer's change, naming the key
    assert result["conflict"] == f"ETagConflictError: {USER}"
    stored = result["stored"]
    assert stored[USER]["Count"] == -1  # the other writer's value survived
    assert stored[USER]["Profile"] == {"name": "unknown", "visits": 3}
    assert stored[CONVERSATION]["History"] == ["hello", "again", "third"]
    assert stored[PRIVATE]["LastText"] == "third"
    assert all(isinstance(doc["e_tag"], str) and doc["e_tag"] for doc in stored.values())


def test_memory_storage_under_botbuilder_state() -> None:
    check_bot_result(run_bot("memory"))


def test_sqlite_storage_under_botbuilder_state_then_read_here(tmp_path: Path) -> None:
    path = tmp_path / "bot state.db"
    result = run_bot("sqlite", str(path))
    check_bot_result(result)
    here, listed, body = asyncio.run(read_back(path))
    assert here == result["stored"]  # same documents, same etags
    assert sorted(listed) == sorted(here)
    assert b"py/object" not in body  # objects stored as attributes, never pickled


async def read_back(path: Path) -> tuple[dict[str, Any], list[str], bytes]:
    async with SqliteStorage(path, read_only=True) as store:
        here = await store.read([USER, CONVERSATION, PRIVATE])
        listed = [k async for k in store.iter_keys("msteams/")]
        body = (await store.read_raw([USER]))[USER].body
    return here, listed, body
