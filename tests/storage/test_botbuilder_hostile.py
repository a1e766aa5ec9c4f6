"""A hostile stored payload gives a botbuilder-python bot on our store a clear error, runs nothing.

Each payload sits inside a dialog stack of allowed botbuilder classes (so the
decoder walks into it) in the conversation document of the waterfall bot
(``peer/waterfall_bot.py``) on our SQLite store: a ``py/reduce`` of
``os.system``, a ``py/repr`` that evaluates ``os.system``, a ``py/object`` of a
class outside the allow-list whose module runs code when imported. The bot's
turn fails with ``ObjectNotAllowedError`` naming the key and what the payload
names, and the payload's marker file never appears. The control decodes the
same document as botbuilder's own storages do (``Unpickler().restore``, in the
same venv): the marker appears, so the payloads are live.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from explorer.storage.sqlite import SqliteStorage
from tests.storage.waterfall_support import CONVERSATION, DIALOG_STATE, bot
from tests.support import botbuilder_venv

pytestmark = pytest.mark.peer

#: a module whose import alone creates its marker (in the working folder)
HOSTILE_MODULE = 'open("pwned-class", "w").close()\n\nclass Payload:\n    pass\n'
PAYLOADS: dict[str, tuple[dict[str, Any], str]] = {
    # payload, and what the error names; commands use relative paths (py/repr splits on '/')
    "reduce": (
        {"py/reduce": [{"py/function": "os.system"}, {"py/tuple": ["touch pwned-reduce"]}]},
        "os.system",
    ),
    "repr": ({"py/repr": "os/os.system('touch pwned-repr')"}, "os/os.system('touch pwned-repr')"),
    "class": ({"py/object": "hostile_module.Payload", "x": 1}, "hostile_module.Payload"),
}
CONTROL = """
import json, sys
from jsonpickle.unpickler import Unpickler
try:
    Unpickler().restore(json.load(sys.stdin))  # what botbuilder's storages call on a read
except Exception:
    pass
"""


def hostile_document(payload: dict[str, Any]) -> dict[str, Any]:
    instance = {
        "py/object": "botbuilder.dialogs.dialog_instance.DialogInstance",
        "id": "profile",
        "state": {"options": None, "values": {"hook": payload}, "stepIndex": 0},
    }
    return {"DialogState": {"py/object": DIALOG_STATE, "_dialog_stack": [instance]}}


async def seed(path: Path, document: dict[str, Any]) -> None:
    async with SqliteStorage(path) as store:
        await store.write_documents({CONVERSATION: document})


@pytest.mark.parametrize("kind", PAYLOADS)
def test_a_hostile_payload_is_refused_and_runs_nothing(kind: str, tmp_path: Path) -> None:
    payload, named = PAYLOADS[kind]
    (tmp_path / "hostile_module.py").write_text(HOSTILE_MODULE)
    document = hostile_document(payload)
    path = tmp_path / "bot.db"
    asyncio.run(seed(path, document))

    done = bot({"kind": "sqlite", "path": str(path)}, "hi", cwd=tmp_path, extra_path=tmp_path)
    assert done["error"] == "ObjectNotAllowedError"
    assert (done["key"], done["type_name"]) == (CONVERSATION, named)
    assert done["message"].startswith(f"{CONVERSATION!r} holds ")
    assert "nothing it names was imported or run" in done["message"]
    assert sorted(p.name for p in tmp_path.glob("pwned*")) == []

    # the control: botbuilder's own decoding of the same document runs the payload
    botbuilder_venv.run(
        "-c", CONTROL, stdin=json.dumps(document), cwd=tmp_path, pythonpath=tmp_path
    )
    assert sorted(p.name for p in tmp_path.glob("pwned*")) == [f"pwned-{kind}"]
