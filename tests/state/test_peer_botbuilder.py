"""Compatibility with botbuilder-python 4.17.1 itself, run in its own venv.

A real ``TurnContext`` (botbuilder's ``TestAdapter`` and ``Activity``) goes into
our buckets and accessors unchanged, and turns alternate between botbuilder's
``UserState`` / ``ConversationState`` / ``PrivateConversationState`` and ours
over one storage (botbuilder's MemoryStorage, ours, and SQLite): each side
reads what the other wrote and writes what the other then reads.

Key styles: botbuilder-python builds ``{channel}/users/{user}`` and
``{channel}/conversations/{conv}`` exactly like our default ``plain`` style,
but its private conversation key ends with ``/`` (plus an optional namespace),
so a bot sharing private state with it uses ``key_style="python"``; with
``plain`` our private bucket looks under the key without the slash and finds
nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import botbuilder_venv

SCRIPT = Path(__file__).parent / "peer" / "interop_botbuilder.py"
USER_KEY = "msteams/users/29:1AbC-x;y@z=|"
PRIVATE_PLAIN = "msteams/conversations/19:meeting_Zj@thread.v2/users/29:1AbC-x;y@z=|"

pytestmark = pytest.mark.peer


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("peer") / "shared.db"
    done = botbuilder_venv.run(SCRIPT, db, pythonpath=botbuilder_venv.ROOT)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


STORAGES = ["botbuilder-memory", "explorer-memory", "explorer-sqlite"]


@pytest.mark.parametrize("storage", STORAGES)
def test_each_side_reads_what_the_other_wrote(observed: dict[str, Any], storage: str) -> None:
    turns = observed[storage]["turns"]
    # botbuilder, ours, botbuilder, ours: every turn continues from the last one
    assert [t["visits"] for t in turns] == [1, 2, 3, 4]
    assert [t["turns"] for t in turns] == [1, 2, 3, 4]
    assert [t["token"] for t in turns] == ["t1", "t2", "t3", "t4"]


@pytest.mark.parametrize("storage", STORAGES)
def test_key_styles_against_botbuilder_python(observed: dict[str, Any], storage: str) -> None:
    ours = observed[storage]["turns"][1]
    assert ours["plain_user_key_matches"] is True
    assert ours["private_keys"] == [PRIVATE_PLAIN, PRIVATE_PLAIN + "/"]
    assert "'secret' is not set in" in ours["plain_private"]
    assert repr(PRIVATE_PLAIN) in ours["plain_private"]


@pytest.mark.parametrize("storage", STORAGES)
def test_our_cache_lives_in_the_turn_context(observed: dict[str, Any], storage: str) -> None:
    names = [key.split("#")[0] for key in observed[storage]["turns"][1]["cache_keys"]]
    assert names == [
        "explorer.state.ConversationState",
        "explorer.state.PrivateConversationState",
        "explorer.state.UserState",
    ]


@pytest.mark.parametrize("storage", ["explorer-memory", "explorer-sqlite"])
def test_optimistic_never_overwrites_a_botbuilder_save(
    observed: dict[str, Any], storage: str
) -> None:
    assert observed[storage]["conflict"] == f"conflict on {USER_KEY}"
    stored = observed[storage]["stored"][USER_KEY]
    assert stored["profile"] == {"name": "Ada", "visits": 5}  # botbuilder's save stands


def test_a_real_turn_context_without_a_sender_is_a_clear_error(observed: dict[str, Any]) -> None:
    assert "activity.from_property.id" in observed["missing_id"]
    assert "UserState needs the user id" in observed["missing_id"]
