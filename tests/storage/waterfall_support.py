"""Running the botbuilder-python waterfall bot (``peer/waterfall_bot.py``) turn by turn.

A ``Place`` is one store the bot and this project share: the spec the bot
process opens (``peer/bbstores.py``), the store URL and options the CLI and the
library open it with (as the explorer does: no object mode). ``bot(spec,
text)`` runs one turn in a fresh botbuilder-venv process; ``cli_get`` reads a
document with ``python -m explorer get``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.storage import Storage, open_store
from tests.support import botbuilder_venv

PEER = Path(__file__).resolve().parent / "peer"
CONVERSATION_ID = "a:1Xyz;messageid=1700000000000"
CONVERSATION = f"msteams/conversations/{CONVERSATION_ID}"
USER = "msteams/users/29:1AbC-x_y"
TURNS = ("hi", "Ada", "38")
#: what the bot answers to TURNS (on botbuilder's own storage as on ours)
REPLIES = [["What is your name?"], ["How old are you, Ada?"], ["Thanks Ada, age 38 (Decimal)."]]
DIALOG_STATE = "botbuilder.dialogs.dialog_state.DialogState"


@dataclass(frozen=True)
class Place:
    """One store shared by the bot (``spec``) and the explorer (``url`` + ``options``)."""

    kind: str
    spec: dict[str, Any]
    url: str
    options: dict[str, Any] = field(default_factory=dict)
    #: the CLI's global options that reach the store
    cli_options: tuple[str, ...] = ()

    def bot(self, text: str, conversation: str = CONVERSATION_ID) -> dict[str, Any]:
        return bot(self.spec, text, conversation)

    def open(self) -> Storage:
        """The store as the explorer opens it (unopened; ``async with`` it)."""
        return open_store(self.url, **self.options)

    def get(self, key: str) -> dict[str, Any]:
        return cli_get(self.url, key, *self.cli_options)


def bot(
    spec: dict[str, Any],
    text: str,
    conversation: str = CONVERSATION_ID,
    *,
    cwd: Path | None = None,
    extra_path: Path | None = None,
) -> dict[str, Any]:
    """One turn of the waterfall bot in a fresh process: its replies, or its error.

    ``cwd``: the process's working folder; ``extra_path``: one more folder on its
    ``PYTHONPATH`` (after ours).
    """
    paths = [PEER, botbuilder_venv.ROOT, botbuilder_venv.azure_overlay()]
    if extra_path is not None:
        paths.append(extra_path)
    args = (json.dumps(spec), text, conversation)
    done = botbuilder_venv.run(PEER / "waterfall_bot.py", *args, pythonpath=paths, cwd=cwd)
    return botbuilder_venv.last_json(done.stdout)


def cli_get(url: str, key: str, *options: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "get", url, key, *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document
